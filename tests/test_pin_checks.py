"""The pin checks of the generated project: lock-fresh, pins-exact, python-agrees, hooks-agree.

Each check passes on a clean project and, on a project broken in one way,
exits 1 with the promised `<file>:<line>: <check>: <what>; <fix>` line.
The fast tier runs them on a fresh bake; the slow tier on a locked one.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import bake_into, run, stamp_locks

CHECKS = {
    "lock-fresh": "tools/lock_fresh.py",
    "pins-exact": "tools/pins_exact.py",
    "python-agrees": "tools/python_agrees.py",
    "hooks-agree": "tools/hooks_agree.py",
}
OTHER = "3.12"  # any X.Y other than the default answer's 3.11


def check(project: Path, name: str) -> tuple[int, str]:
    result = run([sys.executable, CHECKS[name]], cwd=project, check=False)
    return result.returncode, result.stdout + result.stderr


def assert_fails(project: Path, name: str, line: str) -> None:
    """The check exits 1 and prints a `<file>:<line>: <name>: ...; <fix>` line matching `line`."""
    code, output = check(project, name)
    assert code == 1, output
    pattern = rf"^{line}"
    assert re.search(pattern, output, re.MULTILINE), f"no line matching {pattern!r} in:\n{output}"
    for printed in output.splitlines():
        assert re.match(rf"^[^:\s]+:\d+: {name}: .+; .+", printed), printed


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert re.search(old, text, re.MULTILINE), f"{old!r} not in {path.name}"
    path.write_text(re.sub(old, new, text, count=count, flags=re.MULTILINE), encoding="utf-8")


def copy_project(source: Path, target: Path) -> Path:
    ignore = shutil.ignore_patterns(".venv", ".venv.previous", ".nox", ".cache", "__pycache__")
    return Path(shutil.copytree(source, target / source.name, ignore=ignore))


@pytest.fixture(scope="session")
def fresh_project(session_tmp: Path) -> Path:
    """A default bake, not locked: enough for the checks that read no lock."""
    return bake_into(session_tmp / "fresh")


@pytest.fixture
def fresh_copy(fresh_project: Path, tmp_path: Path) -> Path:
    return copy_project(fresh_project, tmp_path)


@pytest.fixture
def locked_copy(locked_project: Path, tmp_path: Path) -> Path:
    return copy_project(locked_project, tmp_path)


def break_dockerfile_from(project: Path) -> None:
    dockerfile = project / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8") if dockerfile.exists() else ""
    dockerfile.write_text(text + "\nFROM python:latest AS extra\n", encoding="utf-8")


def set_dockerfile_python(project: Path, version: str) -> None:
    dockerfile = project / "Dockerfile"
    if dockerfile.exists() and re.search(
        r"^ARG PYTHON_VERSION=", dockerfile.read_text("utf-8"), re.M
    ):
        edit(dockerfile, r"^ARG PYTHON_VERSION=.*$", f"ARG PYTHON_VERSION={version}")
    else:
        dockerfile.write_text(
            f"ARG PYTHON_VERSION={version}\nFROM python:${{PYTHON_VERSION}}-slim\n",
            encoding="utf-8",
        )


def set_environment_python(project: Path, version: str) -> None:
    path = project / "environment.yml"
    if path.exists():
        edit(path, r"^(\s*-\s*python)\s*=+\s*[\d.*]+", rf"\g<1>={version}")
    else:
        path.write_text(
            f"name: demo\nchannels: [conda-forge]\ndependencies:\n  - python={version}\n",
            encoding="utf-8",
        )


PYTHON_BREAKAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    ".python-version": (
        lambda p: (p / ".python-version").write_text(f"{OTHER}\n", encoding="utf-8"),
        rf"pyproject\.toml:\d+: python-agrees: requires-python .* but \.python-version says "
        rf"{OTHER}",
    ),
    "pyproject.toml": (
        lambda p: edit(
            p / "pyproject.toml", r'^requires-python = ".*"', f'requires-python = ">={OTHER}"'
        ),
        rf"pyproject\.toml:\d+: python-agrees: requires-python `>={OTHER}` names {OTHER}, but",
    ),
    "environment.yml": (
        lambda p: set_environment_python(p, OTHER),
        rf"environment\.yml:\d+: python-agrees: python names {OTHER}, but",
    ),
    "Dockerfile": (
        lambda p: set_dockerfile_python(p, OTHER),
        rf"Dockerfile:\d+: python-agrees: ARG PYTHON_VERSION names {OTHER}, but",
    ),
    "ci.yml": (
        lambda p: edit(
            p / ".github/workflows/ci.yml",
            r"python-version-file: \.python-version",
            f'python-version: "{OTHER}"',
        ),
        rf"\.github/workflows/ci\.yml:\d+: python-agrees: python-version names {OTHER}, but",
    ),
    "noxfile.py": (
        lambda p: edit(
            p / "noxfile.py", r"@nox\.session\(python=PYTHON\)", f'@nox.session(python="{OTHER}")'
        ),
        rf"noxfile\.py:\d+: python-agrees: a nox session's python names {OTHER}, but",
    ),
}


# --- fast tier: a fresh bake ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["pins-exact", "python-agrees", "hooks-agree"])
def test_check_passes_on_a_fresh_bake(fresh_project: Path, name: str) -> None:
    """A freshly baked project passes the checks that need no lock."""
    code, output = check(fresh_project, name)
    assert code == 0, output
    assert f"{name}: ok" in output


def test_lock_fresh_names_a_missing_lock(fresh_project: Path) -> None:
    """Before `invoke lock`, lock-fresh says which lock is missing and how to write it."""
    assert_fails(
        fresh_project,
        "lock-fresh",
        r"requirements\.in:1: lock-fresh: requirements\.txt is missing; run `invoke lock`",
    )


@pytest.mark.parametrize("changed", list(PYTHON_BREAKAGES))
def test_python_agrees_fails_fast(fresh_copy: Path, changed: str) -> None:
    """python-agrees names the file whose Python differs (no lock needed)."""
    mutate, line = PYTHON_BREAKAGES[changed]
    mutate(fresh_copy)
    assert_fails(fresh_copy, "python-agrees", line)


def test_python_agrees_reports_unreadable_toml(fresh_copy: Path) -> None:
    """A pyproject.toml that is not TOML gives one line, not a traceback."""
    edit(fresh_copy / "pyproject.toml", r"^\[project\]$", "[project")
    assert_fails(fresh_copy, "python-agrees", r"pyproject\.toml:1: python-agrees: cannot read TOML")


def test_python_agrees_reports_a_malformed_python_version(fresh_copy: Path) -> None:
    """A .python-version that is not X.Y(.Z) gives one line."""
    (fresh_copy / ".python-version").write_text("three eleven\n", encoding="utf-8")
    assert_fails(
        fresh_copy,
        "python-agrees",
        r"\.python-version:1: python-agrees: \.python-version holds 'three eleven', not X\.Y",
    )
    assert len(check(fresh_copy, "python-agrees")[1].splitlines()) == 1


def test_python_agrees_reports_a_missing_python_version(fresh_copy: Path) -> None:
    """Without .python-version, python-agrees says so in one line, not a traceback."""
    (fresh_copy / ".python-version").unlink()
    assert_fails(
        fresh_copy,
        "python-agrees",
        r"\.python-version:1: python-agrees: \.python-version is missing",
    )


@pytest.fixture
def conda_locked_copy(fresh_copy: Path) -> Path:
    """A fresh bake whose pip locks and conda-lock.yml all record their current inputs."""
    # requirements.txt first: the other inputs name it with `-c`, so it is part of their hash.
    inputs = sorted(
        fresh_copy.glob("requirements*.in"), key=lambda p: (p.name != "requirements.in", p.name)
    )
    pip_locks = [(path.with_suffix(".txt").name, path.name) for path in inputs]
    stamp_locks(fresh_copy, *pip_locks, ("conda-lock.yml", "environment.yml"))
    return fresh_copy


def test_lock_fresh_passes_with_a_fresh_conda_lock(conda_locked_copy: Path) -> None:
    """A conda-lock.yml that records environment.yml's hash passes, and is counted."""
    code, output = check(conda_locked_copy, "lock-fresh")
    assert code == 0, output
    pip_locks = len(list(conda_locked_copy.glob("requirements*.in")))
    assert f"lock-fresh: ok ({pip_locks + 1} locks match their inputs)" in output


def test_lock_fresh_names_a_stale_conda_lock(conda_locked_copy: Path) -> None:
    """environment.yml edited without re-locking: lock-fresh names conda-lock.yml."""
    with (conda_locked_copy / "environment.yml").open("a", encoding="utf-8") as file:
        file.write("  - scipy>=1.11\n")
    assert_fails(
        conda_locked_copy,
        "lock-fresh",
        r"conda-lock\.yml:1: lock-fresh: stale: locked from an older environment\.yml "
        r"\(recorded \w{12}, now \w{12}\); run `invoke lock --conda`",
    )


def test_lock_fresh_names_a_conda_lock_without_its_input(conda_locked_copy: Path) -> None:
    """conda-lock.yml without environment.yml: lock-fresh says to restore the input."""
    (conda_locked_copy / "environment.yml").unlink()
    assert_fails(
        conda_locked_copy,
        "lock-fresh",
        r"conda-lock\.yml:1: lock-fresh: environment\.yml \(its input\) is missing",
    )


def test_pins_exact_resolves_base_image_args(fresh_copy: Path) -> None:
    """A FROM ${ARG} whose ARG default floats is reported at the ARG line."""
    (fresh_copy / "Dockerfile").write_text(
        "ARG BASE_IMAGE=python:latest\nFROM ${BASE_IMAGE} AS builder\nFROM builder AS final\n",
        encoding="utf-8",
    )
    assert_fails(
        fresh_copy,
        "pins-exact",
        r"Dockerfile:1: pins-exact: base image `python:latest` uses the floating tag `latest` "
        r"\(used by FROM on line 2\)",
    )


@pytest.mark.parametrize(
    ("dockerfile", "problem"),
    [
        ("FROM python\n", "base image `python` has no tag"),
        (
            "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n",
            "base image `${BASE_IMAGE}` uses ARG BASE_IMAGE, which has no default",
        ),
    ],
    ids=["no-tag", "arg-without-default"],
)
def test_pins_exact_refuses_floating_images(
    fresh_copy: Path, dockerfile: str, problem: str
) -> None:
    """An untagged base image, or one from an ARG without default, is not pinned."""
    (fresh_copy / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    assert_fails(fresh_copy, "pins-exact", rf"Dockerfile:\d: pins-exact: {re.escape(problem)}")


def test_pins_exact_accepts_tag_with_digest_and_sha_refs(fresh_copy: Path) -> None:
    """A tag with a digest and an action pinned to a full SHA both count as pinned."""
    (fresh_copy / "Dockerfile").write_text(
        "FROM python:3.11-slim@sha256:" + "a" * 64 + "\n", encoding="utf-8"
    )
    edit(
        fresh_copy / ".github/workflows/ci.yml",
        r"actions/checkout@v\d+",
        "actions/checkout@" + "0" * 40,
    )
    code, output = check(fresh_copy, "pins-exact")
    assert code == 0, output


# --- slow tier: a locked project, real locks --------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CHECKS))
def test_check_passes_on_a_locked_project(locked_project: Path, name: str) -> None:
    """Every pin check passes on a freshly baked and locked project."""
    code, output = check(locked_project, name)
    assert code == 0, output


def drop_hashes(lock: Path, package: str) -> None:
    """Rewrite one requirement as a bare `name==version` line without its hashes."""
    lines = lock.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{package}=="))
    end = start
    while lines[end].rstrip().endswith("\\"):
        end += 1
    pin = lines[start].split()[0]
    lock.write_text("\n".join([*lines[:start], pin, *lines[end + 1 :]]) + "\n", encoding="utf-8")


@pytest.mark.slow
def test_stale_lock(locked_copy: Path) -> None:
    """requirements.in edited without re-locking: lock-fresh names the stale lock."""
    with (locked_copy / "requirements.in").open("a", encoding="utf-8") as file:
        file.write("packaging\n")
    assert_fails(
        locked_copy,
        "lock-fresh",
        r"requirements\.txt:1: lock-fresh: stale: locked from an older requirements\.in",
    )


@pytest.mark.slow
def test_lock_line_without_hash(locked_copy: Path) -> None:
    """A lock line without --hash: pins-exact names the line."""
    drop_hashes(locked_copy / "requirements.txt", "rich")
    assert_fails(
        locked_copy,
        "pins-exact",
        r"requirements\.txt:\d+: pins-exact: `rich==[\d.]+` has no --hash",
    )


@pytest.mark.slow
def test_lock_line_with_a_range(locked_copy: Path) -> None:
    """A lock line with >= instead of ==: pins-exact names the line."""
    edit(locked_copy / "requirements.txt", r"^numpy==", "numpy>=")
    assert_fails(
        locked_copy,
        "pins-exact",
        r"requirements\.txt:\d+: pins-exact: `numpy>=[\d.]+` is not pinned with ==",
    )


@pytest.mark.slow
def test_from_python_latest(locked_copy: Path) -> None:
    """`FROM python:latest`: pins-exact names the Dockerfile line."""
    break_dockerfile_from(locked_copy)
    assert_fails(
        locked_copy,
        "pins-exact",
        r"Dockerfile:\d+: pins-exact: base image `python:latest` uses the floating tag `latest`",
    )


@pytest.mark.slow
def test_uses_a_branch(locked_copy: Path) -> None:
    """`uses: actions/checkout@main`: pins-exact names the workflow line."""
    edit(
        locked_copy / ".github/workflows/ci.yml", r"actions/checkout@v\d+", "actions/checkout@main"
    )
    assert_fails(
        locked_copy,
        "pins-exact",
        r"\.github/workflows/ci\.yml:\d+: pins-exact: `actions/checkout@main` is not a release",
    )


@pytest.mark.slow
@pytest.mark.parametrize("changed", list(PYTHON_BREAKAGES))
def test_python_disagrees(locked_copy: Path, changed: str) -> None:
    """One file changed alone to another Python: python-agrees names it."""
    mutate, line = PYTHON_BREAKAGES[changed]
    mutate(locked_copy)
    assert_fails(locked_copy, "python-agrees", line)


@pytest.mark.slow
def test_hook_version_differs(locked_copy: Path) -> None:
    """A hook installing another ruff than requirements-dev.txt: hooks-agree names the line."""
    edit(locked_copy / ".pre-commit-config.yaml", r"ruff==[\d.]+", "ruff==0.1.0")
    assert_fails(
        locked_copy,
        "hooks-agree",
        r"\.pre-commit-config\.yaml:\d+: hooks-agree: hook pins ruff==0\.1\.0, "
        r"requirements-dev\.txt pins [\d.]+",
    )


@pytest.mark.slow
def test_hook_dependency_is_read_like_a_lock_line(locked_copy: Path) -> None:
    """A hook dependency spelled otherwise (case, `_`, a marker) is the same pinned package."""
    config = locked_copy / ".pre-commit-config.yaml"
    edit(config, r'"ruff==([\d.]+)"', r'"Ruff==\1 ; python_version >= \'3.8\'"')
    edit(config, r'"pre-commit-hooks==', '"Pre_Commit.Hooks==')
    code, output = check(locked_copy, "hooks-agree")
    assert code == 0, output


@pytest.mark.slow
def test_hook_dependency_with_a_range(locked_copy: Path) -> None:
    """A hook dependency with >= instead of ==: hooks-agree names the line and the pin."""
    edit(locked_copy / ".pre-commit-config.yaml", r"ruff==[\d.]+", "ruff>=0.1")
    assert_fails(
        locked_copy,
        "hooks-agree",
        r"\.pre-commit-config\.yaml:\d+: hooks-agree: hook dependency `ruff>=0\.1` is not "
        r"pinned with ==; write `ruff==[\d.]+`",
    )


@pytest.mark.slow
def test_hook_repository_is_refused(locked_copy: Path) -> None:
    """A hook repository to clone: hooks-agree says to install from the index instead."""
    with (locked_copy / ".pre-commit-config.yaml").open("a", encoding="utf-8") as file:
        file.write(
            "  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
            "    rev: v0.1.0\n    hooks: [{id: ruff}]\n"
        )
    assert_fails(
        locked_copy,
        "hooks-agree",
        r"\.pre-commit-config\.yaml:\d+: hooks-agree: hook repository "
        r"https://github\.com/astral-sh/ruff-pre-commit is cloned",
    )
