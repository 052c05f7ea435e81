"""tools/lockfile.py in-process: lock lines, the input-hash header, whether a lock's pins satisfy
its `.in` file, and what makes a lock stale."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import ToolsProject

HASH = "sha256:" + "a" * 64


def stamped(
    tools: ToolsProject, lock: str = "requirements.txt", source: str = "requirements.in"
) -> tuple[Path, Path]:
    """A lock of `source` (written if missing) headed as `invoke lock` heads it."""
    in_file = tools.root / source
    if not in_file.exists():
        tools.write(source, "numpy>=1.26\n")
    lock_path = tools.write(lock, f"numpy==1.26.4 \\\n    --hash={HASH}\n")
    tools.module("lockfile").stamp(lock_path, in_file)
    return lock_path, in_file


def test_canonical_follows_pep_503(tools: ToolsProject) -> None:
    """Runs of `-`, `_` and `.` become one `-`, and case is folded."""
    canonical = tools.module("lockfile").canonical
    assert canonical("Pre_Commit.Hooks") == "pre-commit-hooks"
    assert canonical("zope__interface") == "zope-interface"


def test_read_lock_joins_continuations_and_collects_hashes(tools: ToolsProject) -> None:
    """A requirement split over `\\` lines is one entry at its first line, with every hash and
    its marker; `# via` comments and options are not entries."""
    lock = tools.write(
        "requirements.txt",
        "# input-sha256: abc (requirements.in) python=3.11\n"
        "--index-url https://pypi.org/simple\n"
        'colorama==0.4.6 ; sys_platform == "win32" \\\n'
        "    --hash=sha256:11 \\\n"
        "    --hash=sha256:22\n"
        "    # via pytest\n"
        "numpy==1.26.4 \\\n"
        "    --hash=sha256:33\n"
        "    # via -r requirements.in\n",
    )
    entries = tools.module("lockfile").read_lock(lock)
    assert [(e.line_no, e.name, e.pinned_version) for e in entries] == [
        (3, "colorama", "0.4.6"),
        (7, "numpy", "1.26.4"),
    ]
    assert entries[0].hashes == ["sha256:11", "sha256:22"]
    assert entries[0].marker == 'sys_platform == "win32"'
    assert entries[1].requirement == "numpy==1.26.4"
    assert [entry.via for entry in entries] == [["pytest"], ["-r requirements.in"]]


def test_read_lock_collects_via_lists(tools: ToolsProject) -> None:
    """`# via` alone starts a list of `#   name` lines; another comment ends it."""
    lock = tools.write(
        "requirements.txt",
        "packaging==24.1\n    # via\n    #   nox\n    #   pytest\n"
        "# The following packages are considered to be unsafe in a requirements file:\n"
        "#   not-a-parent\n"
        "six==1.16.0  # via foo, bar\n",
    )
    entries = tools.module("lockfile").read_lock(lock)
    assert [entry.via for entry in entries] == [["nox", "pytest"], ["foo", "bar"]]


def test_read_lock_drops_trailing_comments(tools: ToolsProject) -> None:
    """A ` # comment` after a requirement is not part of it."""
    lock = tools.write("requirements.txt", "six==1.16.0  # via foo\n")
    (entry,) = tools.module("lockfile").read_lock(lock)
    assert entry.requirement == "six==1.16.0" and entry.hashes == []


@pytest.mark.parametrize(
    ("requirement", "version"),
    [
        ("numpy==1.26.4", "1.26.4"),
        ("uvicorn[standard]==0.30.1", "0.30.1"),
        ("numpy>=1.26", None),
        ("numpy==1.*", None),
        ("numpy===1.26.4", None),
        ("numpy==1.26,<2", None),
        ("numpy", None),
    ],
)
def test_pinned_version_is_only_an_exact_pin(
    tools: ToolsProject, requirement: str, version: str | None
) -> None:
    """Only `name==X` (extras allowed) is a pin; ranges, wildcards and `===` are not."""
    line = tools.module("lockfile").LockLine(1, requirement)
    assert line.pinned_version == version


def test_lock_line_name_stops_at_extras_and_specifiers(tools: ToolsProject) -> None:
    LockLine = tools.module("lockfile").LockLine
    assert LockLine(1, "Uvicorn[standard]==0.30").name == "uvicorn"
    assert LockLine(1, "my_pkg @ https://example.org/p.whl").name == "my-pkg"


def test_read_header_reads_hash_python_and_scope(tools: ToolsProject) -> None:
    """The header may follow a few comment lines; its line number is recorded."""
    lock = tools.write(
        "requirements.txt",
        "# generated\n# by a tool\n# input-sha256: 0123abcd (requirements.in) python=3.12 "
        "scope=universal\nsix==1\n",
    )
    header = tools.module("lockfile").read_header(lock)
    assert header == ("0123abcd", "3.12", "universal", 3, None)


def test_read_header_reads_the_pins_digest(tools: ToolsProject) -> None:
    lock = tools.write(
        "requirements.txt", "# input-sha256: 0123abcd (requirements.in) python=3.12 pins=89ab\n"
    )
    assert tools.module("lockfile").read_header(lock).pins == "89ab"


def test_read_header_of_an_older_lock_has_no_fields(tools: ToolsProject) -> None:
    lockfile = tools.module("lockfile")
    lock = tools.write("requirements.txt", "# input-sha256: 0123abcd (requirements.in)\n")
    assert lockfile.read_header(lock) == ("0123abcd", None, None, 1, None)
    assert lockfile.read_header(lock).sha256 == "0123abcd"


def test_read_header_is_none_without_header_or_file(tools: ToolsProject) -> None:
    lockfile = tools.module("lockfile")
    assert lockfile.read_header(tools.write("requirements.txt", "six==1\n")) is None
    assert lockfile.read_header(tools.root / "nope.txt") is None


def test_content_hash_ignores_line_endings_but_not_names(tools: ToolsProject) -> None:
    """CRLF and LF checkouts hash alike; the same text under another name does not."""
    lockfile = tools.module("lockfile")
    lf = tools.write("a/requirements.in", "numpy\nscipy\n")
    crlf = tools.root / "b" / "requirements.in"
    crlf.parent.mkdir()
    crlf.write_bytes(b"numpy\r\nscipy\r\n")
    other = tools.write("c/other.in", "numpy\nscipy\n")
    assert lockfile.content_sha256(lf) == lockfile.content_sha256(crlf)
    assert lockfile.content_sha256(lf) != lockfile.content_sha256(other)


def test_input_files_follow_every_spelling_of_an_include(tools: ToolsProject) -> None:
    """`--constraint x` and `-r=x` are hashed like `-c x`: a change to either file makes the
    lock stale (the pins are read against the same files)."""
    lockfile = tools.module("lockfile")
    dev_in = tools.write("dev.in", "--constraint a.txt\n-r=b.in\n--requirement c.in\nruff\n")
    assert lockfile.input_files(dev_in) == [
        dev_in,
        *(tools.root / n for n in ("a.txt", "b.in", "c.in")),
    ]


def test_header_line_names_the_constraint_files(tools: ToolsProject) -> None:
    """A dev input's `-c requirements.txt` is part of its hash and named in the header."""
    lockfile = tools.module("lockfile")
    tools.write("requirements.txt", "six==1\n")
    dev_in = tools.write("requirements-dev.in", "-c requirements.txt\nruff\n")
    assert lockfile.input_files(dev_in) == [dev_in, tools.root / "requirements.txt"]
    digest = lockfile.content_sha256(dev_in, tools.root / "requirements.txt")
    assert lockfile.header_line(dev_in, scope="linux") == (
        f"# input-sha256: {digest} (requirements-dev.in + requirements.txt) python=3.11 scope=linux"
    )


def test_stamp_replaces_the_old_header_and_makes_the_lock_fresh(tools: ToolsProject) -> None:
    """Stamping twice leaves one header, first; pip-tools locks are scoped to this platform."""
    lockfile = tools.module("lockfile")
    lock, in_file = stamped(tools)
    lockfile.stamp(lock, in_file)
    lines = lock.read_text(encoding="utf-8").splitlines()
    assert sum(line.startswith(lockfile.HEADER) for line in lines) == 1
    assert lines[0].startswith(lockfile.HEADER) and lines[1] == "numpy==1.26.4 \\"
    assert lockfile.read_header(lock).scope == sys.platform
    assert lockfile.is_fresh(lock, in_file) and lockfile.stale_reason(lock, in_file) is None


def test_scope_with_uv_is_universal_but_linux_for_image_locks(tools: ToolsProject) -> None:
    tools.answer(lock_tool="uv", gpu="12.4", __cuda_version="12.4")
    lockfile = tools.module("lockfile")
    assert lockfile.scope_for("requirements.txt") == "universal"
    assert lockfile.scope_for("requirements-gpu.txt") == "linux"
    assert lockfile.scope_for("conda-lock.yml") == "conda"


def test_a_changed_input_makes_the_lock_stale(tools: ToolsProject) -> None:
    """A requirement the lock does not pin is named with its line in the `.in` file."""
    lockfile = tools.module("lockfile")
    lock, in_file = stamped(tools)
    in_file.write_text("numpy>=1.26\nscipy\n", encoding="utf-8")
    assert lockfile.stale_reason(lock, in_file) == (
        "requirements.txt is stale: does not pin scipy, which requirements.in:2 asks for "
        "(`scipy`); run `invoke lock`"
    )


def test_a_comment_edit_of_the_input_keeps_the_lock_fresh(tools: ToolsProject) -> None:
    """The input hash no longer matches, but every requirement is still pinned in range."""
    lockfile = tools.module("lockfile")
    lock, in_file = stamped(tools)
    in_file.write_text("# the arrays\nnumpy >= 1.26  # any 1.26 or later\n", encoding="utf-8")
    digest = lockfile.content_sha256(*lockfile.input_files(in_file))
    assert lockfile.read_header(lock).sha256 != digest
    assert lockfile.is_fresh(lock, in_file)


def test_a_changed_runtime_pin_makes_the_dev_lock_stale(tools: ToolsProject) -> None:
    """The dev lock is constrained by requirements.txt: a shared pin that moves there stales
    it; a runtime pin the dev lock does not share does not."""
    lockfile = tools.module("lockfile")
    runtime, _ = stamped(tools)
    tools.write("requirements-dev.in", "-c requirements.txt\nnumpy\n")
    dev, dev_in = stamped(tools, "requirements-dev.txt", "requirements-dev.in")
    runtime.write_text(runtime.read_text(encoding="utf-8") + "six==1\n", encoding="utf-8")
    assert lockfile.is_fresh(dev, dev_in)
    edit = runtime.read_text(encoding="utf-8").replace("numpy==1.26.4", "numpy==2.0.0")
    runtime.write_text(edit, encoding="utf-8")
    assert lockfile.stale_reason(dev, dev_in) == (
        "requirements-dev.txt is stale: pins numpy==1.26.4, where requirements.txt (its `-c` "
        "constraint) pins 2.0.0; run `invoke lock`"
    )


def test_a_lock_without_the_header_takes_the_python_of_its_tool(tools: ToolsProject) -> None:
    """A lock pip-compile or uv wrote by hand (no header) is fresh when it satisfies the
    intent; the Python its tool's header names must be the project's."""
    lockfile = tools.module("lockfile")
    in_file = tools.write("requirements.in", "numpy>=1.26\n")
    pins = f"numpy==1.26.4 \\\n    --hash={HASH}\n    # via -r requirements.in\n"
    lock = tools.write("requirements.txt", pins)
    assert lockfile.is_fresh(lock, in_file)
    tool_header = "# This file is autogenerated by pip-compile with Python {}\n"
    lock.write_text(tool_header.format("3.11") + pins, encoding="utf-8")
    assert lockfile.is_fresh(lock, in_file)
    lock.write_text(tool_header.format("3.12") + pins, encoding="utf-8")
    assert lockfile.stale_reason(lock, in_file) == (
        "requirements.txt is stale: locked for Python 3.12, .python-version says 3.11; "
        "run `invoke lock`"
    )
    uv_header = "#    uv pip compile requirements.in --python-version 3.10 -o requirements.txt\n"
    lock.write_text(uv_header + pins, encoding="utf-8")
    assert lockfile.tool_python(lock) == "3.10"


def test_another_python_makes_the_lock_stale(tools: ToolsProject) -> None:
    lockfile = tools.module("lockfile")
    lock, in_file = stamped(tools)
    tools.write(".python-version", "3.12.1\n")
    assert lockfile.stale_reason(lock, in_file) == (
        "requirements.txt is stale: locked for Python 3.11, .python-version says 3.12; "
        "run `invoke lock`"
    )


def test_a_header_without_python_is_stale(tools: ToolsProject) -> None:
    lockfile = tools.module("lockfile")
    in_file = tools.write("requirements.in", "numpy\n")
    digest = lockfile.content_sha256(*lockfile.input_files(in_file))
    header = f"# input-sha256: {digest} (requirements.in)\n"
    lock = tools.write("requirements.txt", header + "numpy==1.26.4\n")
    found = lockfile.staleness(lock, in_file)
    assert found.problem == (
        "is stale: its header records no Python version (written by an older template)"
    )
    assert found.fix == "run `invoke lock`"


def test_missing_files_each_have_their_own_reason(tools: ToolsProject) -> None:
    """No input, no lock, no .python-version: three different lines."""
    lockfile = tools.module("lockfile")
    lock, in_file = tools.root / "requirements.txt", tools.root / "requirements.in"
    assert lockfile.stale_reason(lock, in_file) == (
        "requirements.txt has lost its input: requirements.in is missing; restore requirements.in"
    )
    tools.write("requirements.in", "numpy\n")
    assert lockfile.stale_reason(lock, in_file) == "requirements.txt is missing; run `invoke lock`"
    tools.write("requirements.txt", "numpy==1\n")
    lockfile.stamp(lock, in_file)
    (tools.root / ".python-version").unlink()
    assert lockfile.stale_reason(lock, in_file) == (
        "requirements.txt cannot be checked: .python-version is missing; "
        "write the project's Python (e.g. 3.11) into .python-version"
    )


def test_conda_lock_is_relocked_with_the_conda_flag(tools: ToolsProject) -> None:
    lockfile = tools.module("lockfile")
    assert lockfile.relock_command(Path("conda-lock.yml")) == "invoke lock --conda"
    assert lockfile.relock_command(Path("requirements.txt")) == "invoke lock"


def test_satisfaction_is_remembered_per_content(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second look at the same lock and inputs does not read the pins again (no packaging
    import); any edit of either reads them anew."""
    lockfile = tools.module("lockfile")
    lock, in_file = stamped(tools)
    with lock.open("a", encoding="utf-8") as edited:  # the header no longer vouches for it
        edited.write("# a comment\n")
    assert lockfile.is_fresh(lock, in_file)
    assert (tools.root / ".cache" / "lock-satisfies.json").exists()
    calls = []
    satisfies = tools.module("lockfile")
    original = satisfies.unsatisfied
    monkeypatch.setattr(satisfies, "unsatisfied", lambda *a: calls.append(a) or original(*a))
    assert lockfile.is_fresh(lock, in_file) and calls == []
    in_file.write_text("numpy>=2\n", encoding="utf-8")
    assert not lockfile.is_fresh(lock, in_file) and len(calls) == 1
    assert not lockfile.is_fresh(lock, in_file) and len(calls) == 1


def test_a_lock_as_invoke_lock_wrote_it_is_fresh_without_reading_its_pins(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The header's input hash and pins digest both match: no pins read (no packaging
    import, no memo), as on a fresh clone; a pin edited below the header is read again."""
    lockfile = tools.module("lockfile")
    lock, in_file = stamped(tools)
    assert lockfile.read_header(lock).pins == lockfile.pins_sha256(
        lockfile.lines_below_header(lock)
    )
    calls = []
    satisfies = tools.module("lockfile")
    original = satisfies.unsatisfied
    monkeypatch.setattr(satisfies, "unsatisfied", lambda *a: calls.append(a) or original(*a))
    assert lockfile.is_fresh(lock, in_file) and calls == []
    assert not (tools.root / ".cache" / "lock-satisfies.json").exists()
    lock.write_text(lock.read_text(encoding="utf-8").replace("1.26.4", "1.25.0"), "utf-8")
    found = lockfile.staleness(lock, in_file)
    assert len(calls) == 1
    assert found and found.line_no == 2 and "numpy==1.25.0" in found.problem, found


# Whether a lock's pins satisfy its `.in` file.


def pin(name: str, version: str, *via: str, marker: str = "") -> str:
    """One lock entry as pip-compile and uv write it: hashes, then `# via` lines."""
    marked = f" ; {marker}" if marker else ""
    lines = [f"{name}=={version}{marked} \\", f"    --hash={HASH}"]
    if len(via) == 1:
        lines.append(f"    # via {via[0]}")
    elif via:
        lines += ["    # via", *(f"    #   {parent}" for parent in via)]
    return "\n".join(lines) + "\n"


def problem(tools: ToolsProject, intent: str, lock: str, source: str = "requirements.in") -> str:
    """What `unsatisfied` says about `lock` against `intent`, or "" when it is satisfied."""
    in_file = tools.write(source, intent)
    lock_file = tools.write(source.replace(".in", ".txt"), lock)
    found = tools.module("lockfile").unsatisfied(lock_file, in_file)
    return f"{found.line_no}: {found.problem}" if found else ""


RICH = pin("rich", "13.7.1", "-r requirements.in") + pin("pygments", "2.18.0", "rich")


def test_pins_within_range_and_reached_satisfy(tools: ToolsProject) -> None:
    assert problem(tools, "rich>=13\n", RICH) == ""


def test_comments_spacing_and_index_options_are_not_requirements(tools: ToolsProject) -> None:
    intent = "# the console\n--index-url https://pypi.org/simple\n\nrich >= 13  # colours\n"
    assert problem(tools, intent, RICH) == ""


def test_a_missing_requirement_names_its_line(tools: ToolsProject) -> None:
    assert problem(tools, "rich>=13\nnumpy>=1.26\n", RICH) == (
        "1: does not pin numpy, which requirements.in:2 asks for (`numpy>=1.26`)"
    )


def test_a_requirement_with_a_marker_may_be_missing(tools: ToolsProject) -> None:
    """The lock was resolved where the marker is false (pip-compile locks for one platform)."""
    assert problem(tools, "rich>=13\ncolorama ; sys_platform == 'win32'\n", RICH) == ""


def test_a_pin_outside_the_range_is_named_at_its_line(tools: ToolsProject) -> None:
    assert problem(tools, "rich>=14\n", RICH) == (
        "1: pins rich==13.7.1, outside requirements.in:1's `rich>=14`"
    )


def test_every_marker_variant_of_a_pin_must_be_in_range(tools: ToolsProject) -> None:
    """A universal lock pins numpy once per Python range; each one counts."""
    lock = pin("numpy", "1.26.4", "-r requirements.in", marker="python_version < '3.12'")
    lock += pin("numpy", "2.1.0", "-r requirements.in", marker="python_version >= '3.12'")
    assert problem(tools, "numpy>=1.26\n", lock) == ""
    assert problem(tools, "numpy>=1.26,<2\n", lock) == (
        "4: pins numpy==2.1.0, outside requirements.in:1's `numpy>=1.26,<2`"
    )


def test_a_prerelease_pin_counts_as_in_range(tools: ToolsProject) -> None:
    lock = pin("torch", "2.6.0rc1", "-r requirements.in")
    assert problem(tools, "torch>=2.5\n", lock) == ""


def test_a_pin_nothing_reaches_is_named_the_removed_one_first(tools: ToolsProject) -> None:
    """rich removed from the intent: rich (which claims the intent) is named, not pygments."""
    lock = pin("numpy", "1.26.4", "-r requirements.in") + RICH
    assert problem(tools, "numpy>=1.26\n", lock) == (
        "4: pins rich, which nothing in requirements.in asks for or depends on (removed from it?)"
    )


def test_a_lock_without_annotations_is_not_followed(tools: ToolsProject) -> None:
    """`--no-annotate` locks say nothing of what needs what: only the ranges are checked."""
    assert problem(tools, "rich>=13\n", "rich==13.7.1\npygments==2.18.0\n") == ""


def test_a_dependency_listed_under_several_parents_is_reached(tools: ToolsProject) -> None:
    lock = RICH + pin("markdown-it-py", "3.0.0", "pygments", "rich")
    assert problem(tools, "rich>=13\n", lock) == ""


def test_included_files_add_requirements(tools: ToolsProject) -> None:
    """`-r requirements.in` in the GPU intent: its requirements count, with their lines."""
    tools.write("requirements.in", "rich>=13\n")
    intent = "-r requirements.in\nnvidia-cuda-runtime==13.0.*\n"
    found = problem(tools, intent, RICH, source="requirements-gpu.in")
    assert found == (
        "1: does not pin nvidia-cuda-runtime, which requirements-gpu.in:2 asks for "
        "(`nvidia-cuda-runtime==13.0.*`)"
    )


def test_pins_must_agree_with_the_constraint_lock(tools: ToolsProject) -> None:
    tools.write("requirements.txt", pin("pygments", "2.18.0", "rich"))
    dev = pin("pytest", "8.3.3", "-r requirements-dev.in")
    dev += pin("pygments", "2.17.0", "-c requirements.txt", "pytest")
    intent = "-c requirements.txt\npytest\n"
    assert problem(tools, intent, dev, source="requirements-dev.in") == (
        "4: pins pygments==2.17.0, where requirements.txt (its `-c` constraint) pins 2.18.0"
    )


def test_an_unreadable_requirement_is_named(tools: ToolsProject) -> None:
    found = problem(tools, "rich>=13\nnot a requirement!\n", RICH)
    assert found.startswith("1: requirements.in:2 cannot be read (")


def test_without_packaging_pips_copy_is_used(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make env` runs before any env: a Python with pip but no packaging still checks."""
    pytest.importorskip("pip._vendor.packaging.requirements", reason="this Python has no pip")
    monkeypatch.setitem(sys.modules, "packaging.requirements", None)
    assert problem(tools, "rich>=14\n", RICH).startswith("1: pins rich==13.7.1, outside")
