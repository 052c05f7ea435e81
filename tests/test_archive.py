"""`invoke archive` and the offline rebuild from it, for real, with both lock tools (slow).

The rebuild runs in a fresh clone with every index pointed at a closed port,
proxies likewise, and an empty uv cache: any use of the network fails loudly.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import bake_into, check_env, choices, run, venv_python

pytestmark = pytest.mark.slow

# Nothing listens on the discard port: a request there is refused at once.
CLOSED = "http://127.0.0.1:9"


class Archived:
    def __init__(self, project: Path, folder: Path, output: str) -> None:
        self.project, self.folder, self.output = project, folder, output


@pytest.fixture(scope="module", params=choices("lock_tool"))
def archived(
    request: pytest.FixtureRequest, module_tmp: Callable[[str], Path]
) -> Iterator[Archived]:
    """A project with its locks committed and its env built, then `invoke archive`."""
    project = bake_into(module_tmp(request.param), lock_tool=request.param)
    run(["make", "env"], cwd=project)
    run(["git", "add", "--all"], cwd=project)
    run(["git", "commit", "--quiet", "-m", "locks"], cwd=project)
    done = run(["invoke", "archive"], cwd=project)
    (folder,) = (project / "archives").iterdir()
    yield Archived(project, folder, done.stdout + done.stderr)


def offline_env(tmp_path: Path) -> dict[str, str]:
    """Every index and proxy at a closed port, and no download cache to fall back on."""
    import os

    return {
        **os.environ,
        "PIP_INDEX_URL": f"{CLOSED}/simple",
        "UV_INDEX_URL": f"{CLOSED}/simple",
        "UV_CACHE_DIR": str(tmp_path / "empty-uv-cache"),
        "PIP_NO_CACHE_DIR": "1",
        "HTTP_PROXY": CLOSED,
        "HTTPS_PROXY": CLOSED,
        "ALL_PROXY": CLOSED,
    }


def fresh_clone(archived: Archived, tmp_path: Path) -> Path:
    clone = tmp_path / "clone"
    run(["git", "clone", "--quiet", str(archived.project), str(clone)], cwd=tmp_path)
    return clone


def test_the_archive_holds_what_the_env_needs(archived: Archived) -> None:
    """Every locked wheel for this machine, the locks, the report, the SBOM, the note and
    the checksums, which `--verify` accepts."""
    folder = archived.folder
    names = {path.name for path in (folder / "wheels").iterdir()}
    assert any(name.startswith("numpy-") for name in names), names
    assert any(name.startswith("pytest-") for name in names), names
    assert {"requirements.txt", "requirements-dev.txt", "pylock.toml", ".python-version"} <= {
        path.name for path in (folder / "locks").iterdir()
    }
    for name in ("env-report.json", "sbom.cdx.json", "REBUILD.md", "SHA256SUMS"):
        assert (folder / name).is_file(), name
    assert "not saved" in archived.output  # no image was built for this project
    run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=folder)
    verified = run(["invoke", "archive", "--verify", str(folder)], cwd=archived.project)
    assert "archive: ok" in verified.stdout


def test_an_offline_rebuild_in_a_fresh_clone_is_the_same_env(
    archived: Archived, tmp_path: Path
) -> None:
    """No index, no proxy, no cache: the env builds from the archive alone, passes
    check-env, and its report compares equal to the archived one."""
    clone = fresh_clone(archived, tmp_path)
    env = offline_env(tmp_path)
    command = ["python3", "-m", "tools", "env", "--from-archive", str(archived.folder)]
    built = run(command, cwd=clone, env=env, timeout=900)
    assert "no package index" in built.stdout, built.stdout
    assert check_env(clone).returncode == 0
    compare = ["-m", "tools", "report", "--compare", str(archived.folder / "env-report.json")]
    compared = run([str(venv_python(clone)), *compare], cwd=clone)
    assert "same environment" in compared.stdout


def test_without_the_archive_the_offline_clone_cannot_build(
    archived: Archived, tmp_path: Path
) -> None:
    """The control: the same settings really cut the index off."""
    clone = fresh_clone(archived, tmp_path)
    failed = run(
        ["python3", "-m", "tools", "env"], cwd=clone, env=offline_env(tmp_path), check=False
    )
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert not (clone / ".venv").exists()


def test_a_tampered_wheel_is_refused_by_verify_and_by_the_rebuild(
    archived: Archived, tmp_path: Path
) -> None:
    """A changed byte in a wheel: `--verify` names it, and the rebuild stops before any env
    is made."""
    copy = tmp_path / "archive"
    shutil.copytree(archived.folder, copy)
    wheel = next((copy / "wheels").glob("rich-*.whl"))
    with wheel.open("ab") as file:
        file.write(b"\0")
    verified = run(["invoke", "archive", "--verify", str(copy)], cwd=archived.project, check=False)
    assert verified.returncode == 1
    assert f"archive: wheels/{wheel.name}: its sha256 is not SHA256SUMS's" in verified.stdout
    assert f"wheels/{wheel.name}: no lock lists its sha256" in verified.stdout
    clone = fresh_clone(archived, tmp_path)
    command = ["python3", "-m", "tools", "env", "--from-archive", str(copy)]
    refused = run(command, cwd=clone, env=offline_env(tmp_path), check=False)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"ERROR: {copy} is not the archive it was (wheels/"), (
        refused.stderr
    )
    assert not (clone / ".venv").exists()
