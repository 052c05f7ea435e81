"""check-env of a baked venv project, run for real: fast by default, shadowing, --deep, --json.

One project is baked with uv and built with `make env`; tests that change its
env work on a copy (the copied .venv runs as `.venv/bin/python`).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import CHECK_ENV, bake_into, check_env, copy_project, edit, run, venv_python

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(module_tmp: Callable[[str], Path]) -> Path:
    """The default project, locked with uv and built with `make env` (read only)."""
    project = bake_into(module_tmp("check-env"), lock_tool="uv")
    run(["make", "env"], cwd=project)
    return project


@pytest.fixture
def copy(project: Path, tmp_path: Path) -> Path:
    """A copy of the project whose env a test may change."""
    return copy_project(project, tmp_path, symlinks=True)


def check_env_with(project: Path, *args: str, **env: str):
    """check-env in the project's .venv with extra environment variables."""
    command = [str(venv_python(project)), *CHECK_ENV, *args]
    return run(command, cwd=project, check=False, env={**os.environ, **env})


def site_packages(project: Path) -> Path:
    (folder,) = (project / ".venv" / "lib").glob("python3*/site-packages")
    return folder


def fake_package(folder: Path, name: str) -> Path:
    """A package `name` in `folder` that is not the installed one."""
    package = folder / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise SystemExit('the fake was imported')\n")
    return package / "__init__.py"


def test_default_run_passes_and_imports_nothing(project: Path) -> None:
    """The default run passes without an `imports` row; numpy and rich are never imported,
    nor packaging once its answers for this env are remembered."""
    assert check_env(project).returncode == 0  # the first run asks packaging and remembers
    command = [str(venv_python(project)), "-X", "importtime", *CHECK_ENV]
    result = run(command, cwd=project, check=False)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1] == "result: ok"
    assert "\nimports " not in result.stdout and "\nfiles " not in result.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "encodings" in imported, "-X importtime reported nothing"
    assert not {"numpy", "rich", "packaging"} & imported


def test_unmet_requirement_fails_consistent_after_remembered_runs(copy: Path) -> None:
    """A dependency downgraded below what rich needs fails `consistent`, though earlier runs
    remembered packaging's answers, and a damaged memo file changes nothing."""
    assert check_env(copy).returncode == 0
    uv = ["uv", "pip", "install", "--quiet", "--no-deps", "--python", str(venv_python(copy))]
    run([*uv, "markdown-it-py==2.1.0"], cwd=copy)
    for memo in ("kept", "damaged"):
        if memo == "damaged":
            (copy / ".venv" / ".repro-check-cache.json").write_text("{not json")
        result = check_env(copy, "--only", "consistent")
        assert result.returncode == 1, memo
        assert "rich needs markdown-it-py>=2.2.0" in result.stdout, result.stdout
        assert "found 2.1.0" in result.stdout


def test_imports_flag_runs_the_import_check(project: Path) -> None:
    """--imports adds the `imports` check, and `--only imports` runs it alone."""
    result = check_env(project, "--imports")
    assert result.returncode == 0
    assert "imports     ok     3 modules import" in result.stdout
    only = check_env(project, "--only", "imports")
    assert only.returncode == 0
    assert [line.split()[0] for line in only.stdout.splitlines()[2:-1]] == ["imports"]


def test_pythonpath_shadowing_fails_locked(project: Path, tmp_path: Path) -> None:
    """A numpy that PYTHONPATH puts first fails `locked`, naming the path and PYTHONPATH."""
    fake = fake_package(tmp_path / "modules", "numpy")
    result = check_env_with(project, PYTHONPATH=str(tmp_path / "modules"))
    assert result.returncode == 1
    assert "import numpy: expected numpy " in result.stdout
    assert f"found {fake}, whose folder {tmp_path / 'modules'} is put on sys.path" in result.stdout
    assert f"by PYTHONPATH (its entry {tmp_path / 'modules'}); fix: unset PYTHONPATH" in (
        result.stdout
    )
    assert "result: 1 check(s) failed (locked)" in result.stdout


def test_pth_file_shadowing_fails_locked(copy: Path, tmp_path: Path) -> None:
    """A .pth file that puts another rich first fails `locked`, naming that .pth file."""
    fake = fake_package(tmp_path / "modules", "rich")
    pth = site_packages(copy) / "zz-stray.pth"
    pth.write_text(f"import sys; sys.path.insert(0, {str(tmp_path / 'modules')!r})\n")
    result = check_env(copy)
    assert result.returncode == 1
    assert "import rich: expected rich " in result.stdout
    assert f"found {fake}" in result.stdout
    assert f"by the .pth file {pth}; fix: delete {pth}" in result.stdout


def base_python() -> Path:
    """The interpreter the template's own venv was made from: outside any virtual env."""
    return Path(getattr(sys, "_base_executable", sys.executable))


def test_user_site_shadowing_fails_locked(project: Path, tmp_path: Path) -> None:
    """A pip in the user site, before the declared env's own, fails `locked`, naming the user site.

    A venv puts its site-packages before the user site; an env that is not a venv
    (an image's system Python, a conda env) does not, so this uses the base
    interpreter declared as the env, the way an image declares its Python.
    """
    code = "import importlib.metadata as m, sys; print(m.version('pip'), sys.prefix)"
    version, prefix = run([str(base_python()), "-s", "-c", code], cwd=project).stdout.split()
    lock = tmp_path / "requirements-pip.txt"
    lock.write_text(f"pip=={version}\n")
    user_base = tmp_path / "userbase"
    minor = f"python{sys.version_info.major}.{sys.version_info.minor}"
    user_site = user_base / "lib" / minor / "site-packages"
    fake = fake_package(user_site, "pip")
    env = {**os.environ, "PYTHONUSERBASE": str(user_base), "REPRO_PROJECT_ENV": prefix}
    probe = "import site, sys; print(sys.path.index(site.getusersitepackages()))"
    assert run([str(base_python()), "-c", probe], cwd=project, env=env).stdout.strip().isdigit()
    command = [str(base_python()), *CHECK_ENV, "--only", "locked", "--lock", str(lock)]
    result = run(command, cwd=project, check=False, env=env)
    assert result.returncode == 1
    assert f"import pip: expected pip {version}'s " in result.stdout
    assert f"found {fake}" in result.stdout
    assert f"by the user site ({user_site}); fix: set PYTHONNOUSERSITE=1" in result.stdout
    quiet = run(command, cwd=project, check=False, env={**env, "PYTHONNOUSERSITE": "1"})
    assert quiet.returncode == 0, quiet.stdout


def test_deep_finds_an_edited_and_a_missing_file(copy: Path) -> None:
    """An installed file edited or removed passes the default run and fails `--deep` (`files`)."""
    package = site_packages(copy) / "rich"
    version = next(path.name for path in package.parent.glob("rich-*.dist-info"))
    version = version.removeprefix("rich-").removesuffix(".dist-info")
    clean = check_env(copy, "--deep")
    assert clean.returncode == 0
    assert "files       ok     " in clean.stdout
    with (package / "__init__.py").open("a", encoding="utf-8") as file:
        file.write("\n")
    (package / "color.py").unlink()
    assert check_env(copy).returncode == 0
    result = check_env(copy, "--deep")
    assert result.returncode == 1
    assert (
        f"rich {version}: rich/__init__.py: expected the file RECORD hashes, "
        "found other contents (its sha256 differs); fix: rebuild the env: `make env FORCE=1`"
    ) in result.stdout
    missing = "rich/color.py: expected the file RECORD hashes, found a missing file"
    assert f"rich {version}: {missing}" in result.stdout
    assert "result: 1 check(s) failed (files)" in result.stdout


def test_repro_locks_sets_the_default_locks(project: Path) -> None:
    """REPRO_LOCKS=requirements.txt checks that lock alone: with --strict, dev tools are extras."""
    result = check_env_with(project, "--strict", REPRO_LOCKS="requirements.txt")
    assert result.returncode == 1
    assert "pins from requirements.txt\n" in result.stdout
    assert "pytest: expected only locked packages, found pytest " in result.stdout
    given = check_env_with(project, "--strict", "--lock", "requirements.txt", "--lock",
                           "requirements-dev.txt", REPRO_LOCKS="requirements.txt")  # fmt: skip
    assert given.returncode == 0, "--lock overrides REPRO_LOCKS"


def test_repro_locks_naming_a_missing_lock_fails(project: Path) -> None:
    """A lock that REPRO_LOCKS names but the project lacks is an error with the fix."""
    result = check_env_with(project, REPRO_LOCKS="requirements.txt requirements-gpu.txt")
    assert result.returncode == 1
    assert "requirements-gpu.txt not found; run `invoke lock`" in result.stderr


def test_json_on_errors(project: Path) -> None:
    """--json prints one JSON object for an expected (1), usage (2) and unexpected error (3)."""
    missing = check_env(project, "--json", "--lock", "nope.txt")
    assert missing.returncode == 1
    data = json.loads(missing.stdout)
    assert data["ok"] is False and "nope.txt not found; run `invoke lock`" in data["error"]
    usage = check_env(project, "--json", "--only", "bogus")
    assert usage.returncode == 2
    assert "invalid choice: 'bogus'" in json.loads(usage.stdout)["error"]
    unexpected = check_env_with(project, "--json", REPRO_LOCKS="src")  # a folder, not a lock
    assert unexpected.returncode == 3
    error = json.loads(unexpected.stdout)["error"]
    assert error.startswith("unexpected IsADirectoryError: ")
    log = project / re.search(r"the traceback is in (\S+\.log)", error)[1]
    assert "Traceback (most recent call last)" in log.read_text(encoding="utf-8")


def test_output_during_imports_stays_out_of_json(copy: Path) -> None:
    """A module that prints when imported (from Python and to fd 1) leaves --json parseable."""
    noisy = "import os\nprint('noise from print')\nos.write(1, b'noise from fd 1\\n')\n"
    (site_packages(copy) / "noisy_module.py").write_text(noisy)
    edit(copy / "pyproject.toml", r"check-imports = \[", 'check-imports = ["noisy_module", ')
    result = check_env(copy, "--json", "--imports")
    assert result.returncode == 0, result.stdout
    checks = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
    assert checks["imports"]["detail"] == "4 modules import"
    assert "noise from print" in result.stderr and "noise from fd 1" in result.stderr


def test_outside_any_env_prints_one_line(project: Path) -> None:
    """The interpreter outside any env prints one line naming the project's env, exit 1."""
    base = base_python()
    executable = run([str(base), "-c", "import sys; print(sys.executable)"], cwd=project)
    result = check_env(project, python=base)
    assert result.returncode == 1
    assert result.stdout == (
        f"check-env: {executable.stdout.strip()} is not the project's env; "
        "run `invoke check-env` or `.venv/bin/python -m tools check-env`\n"
    )
    as_json = check_env(project, "--json", python=base)
    assert as_json.returncode == 1
    assert "is not the project's env" in json.loads(as_json.stdout)["error"]
