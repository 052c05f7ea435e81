"""tools/archive.py in-process: `--verify` against the checksums and the locks' hashes, and
`env --from-archive`'s refusals before anything is installed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conftest import ToolsProject

WHEEL = b"a wheel's bytes"
DIGEST = hashlib.sha256(WHEEL).hexdigest()
LOCK = f"rich==13.7.1 \\\n    --hash=sha256:{DIGEST}\n"


def archive(tools: ToolsProject) -> Path:
    """A small archive as `invoke archive` lays it out: a lock, its wheel, the checksums."""
    folder = tools.root / "archives" / "a"
    (folder / "locks").mkdir(parents=True)
    (folder / "wheels").mkdir()
    (folder / "locks" / "requirements.txt").write_text(LOCK, encoding="utf-8")
    (folder / "wheels" / "rich-13.7.1-py3-none-any.whl").write_bytes(WHEEL)
    tools.module("archive").write_sums(folder)
    return folder


def found(tools: ToolsProject, folder: Path) -> list[str]:
    return [problem.what for problem in tools.module("archive").verify(folder).problems]


def test_an_intact_archive_passes(tools: ToolsProject) -> None:
    folder = archive(tools)
    sums = (folder / "SHA256SUMS").read_text(encoding="utf-8")
    assert f"{DIGEST}  wheels/rich-13.7.1-py3-none-any.whl\n" in sums
    assert found(tools, folder) == []


def test_a_changed_file_is_named(tools: ToolsProject) -> None:
    folder = archive(tools)
    (folder / "locks" / "requirements.txt").write_text(LOCK + "\n", encoding="utf-8")
    assert found(tools, folder) == ["locks/requirements.txt: its sha256 is not SHA256SUMS's"]


def test_a_wheel_no_lock_lists_is_named_even_with_new_checksums(tools: ToolsProject) -> None:
    """Rewriting SHA256SUMS does not hide a swapped wheel: the locks hold its hash."""
    folder = archive(tools)
    (folder / "wheels" / "rich-13.7.1-py3-none-any.whl").write_bytes(b"other bytes")
    tools.module("archive").write_sums(folder)
    assert found(tools, folder) == ["wheels/rich-13.7.1-py3-none-any.whl: no lock lists its sha256"]


def test_missing_and_unlisted_files_are_named(tools: ToolsProject) -> None:
    folder = archive(tools)
    (folder / "locks" / "requirements.txt").unlink()
    (folder / "extra.txt").write_text("x", encoding="utf-8")
    assert found(tools, folder) == [
        "extra.txt: not in SHA256SUMS",
        "locks/requirements.txt: listed in SHA256SUMS, missing",
        "wheels/rich-13.7.1-py3-none-any.whl: no lock lists its sha256",
    ]


def test_a_folder_without_checksums_is_not_an_archive(tools: ToolsProject) -> None:
    assert found(tools, tools.root) == [f"{tools.root}: no SHA256SUMS"]


def test_verify_exits_1_naming_the_problems(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = archive(tools)
    (folder / "wheels" / "rich-13.7.1-py3-none-any.whl").write_bytes(b"other bytes")
    assert tools.module("cli").main(["archive", "--verify", str(folder)]) == 1
    captured = capsys.readouterr()
    assert "archive: wheels/rich-13.7.1-py3-none-any.whl: its sha256 is not" in captured.out
    assert captured.err == f"ERROR: {folder} is not the archive it was: 2 problem(s) above\n"


def test_a_rebuild_refuses_an_archive_of_other_locks(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """The env is the locks of this checkout: an archive of others is refused, unchanged."""
    folder = archive(tools)
    tools.write("requirements.txt", "rich==14.0.0 \\\n    --hash=sha256:" + "b" * 64 + "\n")
    with pytest.raises(tools.module("project").ToolError) as error:
        tools.module("make_env").offline_from(folder)
    assert str(error.value) == (
        "requirements.txt here differ from the archive's locks; check out the commit the "
        "archive was made from (its locks are in locks/)"
    )
