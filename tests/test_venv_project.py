"""Slow tier: a baked project's own commands, run for real with pip-tools and with uv.

Each lock tool gets one project, baked, locked with `invoke lock` and built
with `make env` once per module; tests that break something work on a copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packaging.requirements import Requirement

from conftest import append, check_env, copy_project, default_sigint, edit, install_into, run

pytestmark = pytest.mark.slow
MACHINE_LINES = re.compile(r"^\s*--(index-url|extra-index-url|find-links|trusted-host)|file://")


@pytest.fixture(scope="module")
def project(built_project: Path) -> Path:
    return built_project


@pytest.fixture
def copy_of(tmp_path: Path):
    """Factory: a copy of a built project (its .venv works from the new path for python -m)."""

    return lambda project: copy_project(project, tmp_path, symlinks=True)


def logical_lines(text: str) -> list[str]:
    """Requirement lines with their `\\` continuations joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line.strip() for line in joined.splitlines() if line.strip()[:1].isalnum()]


def pins(lock: Path) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", lock.read_text(), flags=re.MULTILINE)
    return {name.lower(): version for name, version in found}


def test_locks_are_hashed_stamped_and_portable(project: Path) -> None:
    """Lock lines are ==-pinned with hashes, the header records the input, no machine lines."""
    for lock_name, in_name in (("requirements.txt", "requirements.in"),
                               ("requirements-dev.txt", "requirements-dev.in")):  # fmt: skip
        text = (project / lock_name).read_text()
        first = text.splitlines()[0]
        assert first.startswith("# input-sha256: ") and in_name in first
        assert "invoke lock" in text
        assert not [line for line in text.splitlines() if MACHINE_LINES.search(line)]
        assert str(Path.home()) not in text and "/tmp" not in text
        requirements = logical_lines(text)
        assert requirements, lock_name
        for line in requirements:
            spec, _, hashes = line.partition(" --hash=")
            (operator,) = {s.operator for s in Requirement(spec).specifier}
            assert operator == "==", line
            assert hashes.startswith("sha256:"), line
    assert {"numpy", "rich"} <= set(pins(project / "requirements.txt"))


def test_env_then_check_env_pass(project: Path) -> None:
    """After `make env`, `invoke check-env` passes every check."""
    result = run(["invoke", "check-env", "--strict"], cwd=project)
    assert "result: ok" in result.stdout


def test_second_make_env_is_a_no_op(project: Path) -> None:
    """A second `make env` with unchanged locks changes nothing."""
    stamp = project / ".venv" / ".repro-stamp"
    before = (stamp.stat().st_mtime_ns, (project / ".venv").stat().st_ino)
    result = run(["make", "env"], cwd=project)
    assert "nothing to do" in result.stdout
    assert (stamp.stat().st_mtime_ns, (project / ".venv").stat().st_ino) == before


def test_project_make_test_passes(project: Path) -> None:
    """The baked project's own `make test` passes in its .venv."""
    result = run(["make", "test"], cwd=project)
    assert " passed" in result.stdout


def test_nox_check_env_passes(project: Path) -> None:
    """`nox -s check_env` builds a fresh env from the locks and check-env --strict passes in it."""
    result = run(["nox", "-s", "check_env"], cwd=project)
    assert "result: ok" in result.stdout + result.stderr


def test_a_tampered_wheel_hash_fails_the_install_instead_of_building_the_sdist(
    project: Path, copy_of, tmp_path: Path
) -> None:
    """With rich's wheel hash changed, pip and uv would fall back to rich's sdist (whose hash
    still matches) and run its build; the locks install wheels only, so nox's install stops
    on the mismatch and nothing is built."""
    copy = copy_of(project)
    lock = copy / "requirements.txt"
    block = re.search(r"^rich==.*?(?=^\S|\Z)", lock.read_text(), re.S | re.M).group(0)
    hashes = re.findall(r"sha256:([0-9a-f]{64})", block)
    assert len(hashes) == 2  # rich ships one wheel and one sdist
    wheel = wheel_hash(copy, "rich", tmp_path)
    assert wheel in hashes
    edit(lock, wheel, "0" * 64)
    result = run(["nox", "-s", "check_env"], cwd=copy, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert re.search(r"hash", output, re.I), output
    assert "Building" not in output and "Running setup.py" not in output, output


def wheel_hash(project: Path, name: str, tmp_path: Path) -> str:
    """The sha256 of the wheel of `name` at its locked version, from the index itself."""
    version = pins(project / "requirements.txt")[name]
    download = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    download += ["--only-binary", ":all:", "--dest", str(tmp_path / "wheel"), f"{name}=={version}"]
    run(download, cwd=project)
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    return hashlib.sha256(wheel.read_bytes()).hexdigest()


def test_nox_lock_writes_the_same_locks(project: Path, copy_of) -> None:
    """`nox -s lock` is the same door as `invoke lock`: re-locking changes nothing."""
    copy = copy_of(project)
    before = {name: (copy / name).read_text() for name in ("requirements.txt",
                                                           "requirements-dev.txt")}  # fmt: skip
    run(["nox", "-s", "lock"], cwd=copy)
    assert {name: (copy / name).read_text() for name in before} == before


def test_upgrade_package_passes_through(project: Path, copy_of) -> None:
    """`invoke lock` keeps an older pin; `--upgrade-package rich` moves it."""
    copy = copy_of(project)
    lock = copy / "requirements.txt"
    newest = pins(lock)["rich"]
    old = "13.7.1"
    in_file = copy / "requirements.in"
    edit(in_file, r"rich>=13", f"rich>=13,<={old}")
    run(["invoke", "lock"], cwd=copy)
    assert pins(lock)["rich"] == old
    edit(in_file, re.escape(f",<={old}"), "")
    run(["invoke", "lock"], cwd=copy)
    assert pins(lock)["rich"] == old, "a plain re-lock keeps the existing pin"
    run(["invoke", "lock", "--upgrade-package", "rich"], cwd=copy)
    assert pins(lock)["rich"] == newest


class TestBreakagesAreCaught:
    """Each way an env can drift from its locks fails check-env with exit 1 and names it."""

    @pytest.fixture
    def broken(self, project: Path, copy_of) -> Path:
        return copy_of(project)

    def test_other_version_installed(self, broken: Path) -> None:
        """A locked package at another version is reported with both versions."""
        locked = pins(broken / "requirements.txt")["rich"]
        install_into(broken, "install", "--quiet", "--no-deps", "rich==13.7.1")
        result = check_env(broken)
        assert result.returncode == 1
        assert f"rich: expected {locked} (requirements.txt), found 13.7.1" in result.stdout

    def test_locked_package_uninstalled(self, broken: Path) -> None:
        """A locked package that is missing is reported as not installed."""
        locked = pins(broken / "requirements.txt")["mdurl"]
        install_into(broken, "uninstall", "--yes", "mdurl")
        result = check_env(broken)
        assert result.returncode == 1
        assert f"mdurl: expected {locked} (requirements.txt), found not installed" in result.stdout

    def test_extra_package_fails_only_when_strict(self, broken: Path) -> None:
        """An unlocked package is a warning, and a failure with --strict."""
        install_into(broken, "install", "--quiet", "--no-deps", "six==1.16.0")
        assert check_env(broken).returncode == 0
        result = check_env(broken, "--strict")
        assert result.returncode == 1
        assert "six: expected only locked packages, found six 1.16.0" in result.stdout

    def test_edited_input_makes_lock_stale(self, broken: Path) -> None:
        """requirements.in edited without re-locking fails `fresh`, and `make env` refuses."""
        append(broken / "requirements.in", "scipy\n")
        result = check_env(broken, "--only", "fresh")
        assert result.returncode == 1
        assert (
            "requirements.txt: expected pins that satisfy the current requirements.in, found "
            "does not pin scipy, which requirements.in:"
        ) in result.stdout
        env = run(["make", "env"], cwd=broken, check=False)
        assert env.returncode != 0
        assert "requirements.txt is stale" in env.stderr

    def test_venv_of_another_project_is_a_warning(self, broken: Path, tmp_path: Path) -> None:
        """check-env run from a venv outside the project warns under `isolated`."""
        other = tmp_path / "elsewhere"
        run([sys.executable, "-m", "venv", "--without-pip", str(other)], cwd=tmp_path)
        result = check_env(broken, "--only", "isolated", python=other / "bin" / "python")
        assert result.returncode == 0
        assert "isolated    warn" in result.stdout
        assert "another project's environment" in result.stdout

    def test_interpreter_outside_venv(self, broken: Path) -> None:
        """check-env run by an interpreter outside .venv fails `isolated`."""
        base = Path(getattr(sys, "_base_executable", sys.executable))
        result = check_env(broken, "--only", "isolated", python=base)
        assert result.returncode == 1
        assert "is not the project's env" in result.stdout


@pytest.fixture
def built_copy(project: Path, copy_of) -> Path:
    """A copy whose .venv is known to pass check-env."""
    copy = copy_of(project)
    assert check_env(copy, "--strict").returncode == 0
    return copy


def venv_identity(project: Path) -> tuple[int, str]:
    venv = project / ".venv"
    return venv.stat().st_ino, (venv / ".repro-stamp").read_text()


def test_absent_python_is_refused_and_venv_untouched(built_copy: Path) -> None:
    """A .python-version naming an absent Python: `make env` refuses, .venv stays as it was."""
    before = venv_identity(built_copy)
    # The same X.Y, so the locks stay fresh and the interpreter search is what refuses.
    (built_copy / ".python-version").write_text("3.11.99\n")
    result = run(["make", "env"], cwd=built_copy, check=False)
    assert result.returncode != 0
    assert "Python 3.11.99 (named by .python-version) is not installed" in result.stderr
    assert venv_identity(built_copy) == before


def test_bad_pin_keeps_previous_venv(built_copy: Path) -> None:
    """A lock with a pin that cannot install: `make env` fails, the previous .venv still passes."""
    lock = built_copy / "requirements-dev.txt"
    good = lock.read_text()
    edit(lock, r"^invoke==\S+", "invoke==99.0.0")
    result = run(["make", "env"], cwd=built_copy, check=False)
    assert result.returncode != 0
    # The copy's .venv was built at another path, so this is a rebuild that fails.
    assert "installing the locks into .venv failed: no versions satisfy" in result.stderr
    assert not (built_copy / ".venv.previous").exists()
    lock.write_text(good)
    assert check_env(built_copy, "--strict").returncode == 0


def test_interrupted_build_restores_previous_venv(built_copy: Path) -> None:
    """Ctrl-C during a rebuild exits 130 and puts the previous .venv back."""
    before = venv_identity(built_copy)
    build = subprocess.Popen(
        [sys.executable, "-m", "tools", "env", "--force"], cwd=built_copy,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=default_sigint,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not (built_copy / ".venv.previous").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    os.kill(build.pid, signal.SIGINT)
    output, _ = build.communicate(timeout=120)
    assert build.returncode == 130, output
    assert venv_identity(built_copy) == before
    assert check_env(built_copy, "--strict").returncode == 0


def test_sbom_of_the_locks_validates_and_repeats(project: Path) -> None:
    """`invoke sbom` twice: the same bytes, valid CycloneDX 1.6, one component per pin."""
    output = project / "sbom.cdx.json"
    try:
        texts = []
        for _ in range(2):
            result = run(["invoke", "sbom"], cwd=project)
            assert re.fullmatch(
                r"sbom: wrote sbom\.cdx\.json \(\d+ components from requirements\.txt\)\n",
                result.stdout,
            ), result.stdout
            texts.append(output.read_text(encoding="utf-8"))
        assert texts[0] == texts[1]
        error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(texts[0])
        assert error is None, error.data.message if error else ""
        components = json.loads(texts[0])["components"]
        versions = {(component["name"], component["version"]) for component in components}
        lock = (project / "requirements.txt").read_text(encoding="utf-8")
        assert versions == set(re.findall(r"^([a-z0-9-]+)==([^\s;\\]+)", lock, re.M))
    finally:
        output.unlink(missing_ok=True)
