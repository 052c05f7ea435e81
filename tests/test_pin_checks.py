"""The pin checks of the generated project: lock-fresh, pins-exact, python-agrees, hooks-agree,
pylock-agrees.

Each check passes on a clean project and, on a project broken in one way,
exits 1 with the promised `<file>:<line>: <check>: <what>; <fix>` line.
The fast tier runs them on a fresh bake; the slow tier on a locked one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import append, copy_project, edit, run, stamp_locks, tool

CHECKS = ("lock-fresh", "pins-exact", "python-agrees", "hooks-agree", "pylock-agrees")
OTHER = "3.12"  # any X.Y other than the default answer's 3.11
# Left out of copies: environments and caches, rebuilt by whatever needs them.
SCRATCH = (".venv", ".venv.previous", ".nox", ".cache", "__pycache__")


def check(project: Path, name: str) -> tuple[int, str]:
    return tool(project, "lint", "--only", name)


def assert_fails(project: Path, name: str, line: str) -> str:
    """The check exits 1 and prints a `<file>:<line>: <name>: ...; <fix>` line matching `line`.

    Returns the output, for tests that assert more about it.
    """
    code, output = check(project, name)
    assert code == 1, output
    pattern = rf"^{line}"
    assert re.search(pattern, output, re.MULTILINE), f"no line matching {pattern!r} in:\n{output}"
    for printed in output.splitlines():
        assert re.match(rf"^[^:\s]+:\d+: {name}: .+; .+", printed), printed
    return output


@pytest.fixture
def fresh_copy(default_project: Path, tmp_path: Path) -> Path:
    """A default bake, not locked: enough for the checks that read no lock."""
    return copy_project(default_project, tmp_path, ignore=SCRATCH)


@pytest.fixture
def locked_copy(locked_project: Path, tmp_path: Path) -> Path:
    return copy_project(locked_project, tmp_path, ignore=SCRATCH)


def write_dockerfile(text: str) -> Callable[[Path], None]:
    """A breakage that replaces the project's Dockerfile with `text`."""
    return lambda project: (project / "Dockerfile").write_text(text, encoding="utf-8")


def drop_hashes(lock: Path, package: str) -> None:
    """Rewrite one requirement as a bare `name==version` line without its hashes."""
    lines = lock.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{package}=="))
    end = start
    while lines[end].rstrip().endswith("\\"):
        end += 1
    pin = lines[start].split()[0]
    lock.write_text("\n".join([*lines[:start], pin, *lines[end + 1 :]]) + "\n", encoding="utf-8")


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
    "Dockerfile": (
        lambda p: edit(p / "Dockerfile", r"^ARG PYTHON_VERSION=.*$", f"ARG PYTHON_VERSION={OTHER}"),
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
            p / "noxfile.py", r"@nox\.session\(python=PYTHON, ", f'@nox.session(python="{OTHER}", '
        ),
        rf"noxfile\.py:\d+: python-agrees: a nox session's python names {OTHER}, but",
    ),
}


# id -> (break a copy this way, the check that must fail, the start of the line it prints)
Breakage = tuple[Callable[[Path], None], str, str]

# Breakages that need no lock: a default bake shows them.
FRESH_BREAKAGES: dict[str, Breakage] = {
    # A pyproject.toml that is not TOML gives one line, not a traceback.
    "unreadable-toml": (
        lambda p: edit(p / "pyproject.toml", r"^\[project\]$", "[project"),
        "python-agrees",
        r"pyproject\.toml:1: python-agrees: cannot read TOML",
    ),
    # Without .python-version, python-agrees says so in one line, not a traceback.
    "missing-python-version": (
        lambda p: (p / ".python-version").unlink(),
        "python-agrees",
        r"\.python-version:1: python-agrees: \.python-version is missing",
    ),
    # A FROM ${ARG} whose ARG default floats is reported at the ARG line.
    "base-image-arg-floats": (
        write_dockerfile(
            "ARG BASE_IMAGE=python:latest\nFROM ${BASE_IMAGE} AS builder\nFROM builder AS final\n"
        ),
        "pins-exact",
        r"Dockerfile:1: pins-exact: base image `python:latest` uses the floating tag `latest` "
        r"\(used by FROM on line 2\)",
    ),
    # An untagged base image is not pinned.
    "base-image-without-tag": (
        write_dockerfile("FROM python\n"),
        "pins-exact",
        r"Dockerfile:\d: pins-exact: " + re.escape("base image `python` has no tag"),
    ),
    # Nor is one from an ARG without default.
    "base-image-arg-without-default": (
        write_dockerfile("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"),
        "pins-exact",
        r"Dockerfile:\d: pins-exact: "
        + re.escape("base image `${BASE_IMAGE}` uses ARG BASE_IMAGE, which has no default"),
    ),
}

# Breakages of what `invoke lock` wrote, or of what must agree with it: a locked project shows them.
LOCKED_BREAKAGES: dict[str, Breakage] = {
    # Freshness is "the lock satisfies requirements.in": each way it no longer does is named.
    # A package added to requirements.in without re-locking: its line is named.
    "added-requirement": (
        lambda p: append(p / "requirements.in", "six\n"),
        "lock-fresh",
        r"requirements\.txt:1: lock-fresh: stale: does not pin six, which "
        r"requirements\.in:\d+ asks for \(`six`\)",
    ),
    # A package removed from requirements.in: the lock still pins it.
    "removed-requirement": (
        lambda p: edit(p / "requirements.in", r"^rich>=13\n", ""),
        "lock-fresh",
        r"requirements\.txt:\d+: lock-fresh: stale: pins rich, which nothing in requirements\.in "
        r"asks for or depends on \(removed from it\?\)",
    ),
    # A range narrowed past the locked version.
    "narrowed-range": (
        lambda p: edit(p / "requirements.in", r"^numpy>=1\.26$", "numpy>=1.26,<2"),
        "lock-fresh",
        r"requirements\.txt:\d+: lock-fresh: stale: pins numpy==2[\d.]+, outside "
        r"requirements\.in:\d+'s `numpy>=1\.26,<2`",
    ),
    # A pin edited by hand out of its range.
    "edited-pin": (
        lambda p: edit(p / "requirements.txt", r"^rich==\S+", "rich==12.6.0"),
        "lock-fresh",
        r"requirements\.txt:\d+: lock-fresh: stale: pins rich==12\.6\.0, outside "
        r"requirements\.in:\d+'s `rich>=13`",
    ),
    # A dev pin edited away from the runtime lock that constrains it (`-c requirements.txt`).
    "dev-pin-off-its-constraint": (
        lambda p: edit(p / "requirements-dev.txt", r"^pygments==\S+", "pygments==2.0.0"),
        "lock-fresh",
        r"requirements-dev\.txt:\d+: lock-fresh: stale: pins pygments==2\.0\.0, where "
        r"requirements\.txt \(its `-c` constraint\) pins [\d.]+",
    ),
    # A pin moved in requirements.txt alone (a bot's bump): pylock.toml is behind, named.
    "pylock-behind-its-lock": (
        lambda p: edit(p / "requirements.txt", r"^rich==\S+", "rich==14.0.0"),
        "pylock-agrees",
        r"pylock\.toml:1: pylock-agrees: lacks rich==14\.0\.0, which requirements\.txt pins; "
        r"run `invoke lock`, which writes pylock\.toml from requirements\.txt, then commit both",
    ),
    # A file hash changed in pylock.toml: the package's table is named.
    "pylock-hash-changed": (
        lambda p: edit(
            p / "pylock.toml", r'sha256 = "[0-9a-f]{64}"', 'sha256 = "' + "0" * 64 + '"'
        ),
        "pylock-agrees",
        r"pylock\.toml:\d+: pylock-agrees: \S+==\S+ lists file hashes that requirements\.txt "
        r"does not",
    ),
    # A lock line without --hash: pins-exact names the line.
    "lock-line-without-hash": (
        lambda p: drop_hashes(p / "requirements.txt", "rich"),
        "pins-exact",
        r"requirements\.txt:\d+: pins-exact: `rich==[\d.]+` has no --hash",
    ),
    # A lock that sends installs to another index (here over plain http).
    "lock-with-an-extra-index": (
        lambda p: append(p / "requirements.txt", "--extra-index-url http://evil.example/simple\n"),
        "pins-exact",
        r"requirements\.txt:\d+: pins-exact: `--extra-index-url` line: the lock names where "
        r"packages come from; delete the line",
    ),
    # A lock line with >= instead of ==: pins-exact names the line.
    "lock-line-with-a-range": (
        lambda p: edit(p / "requirements.txt", r"^numpy==", "numpy>="),
        "pins-exact",
        r"requirements\.txt:\d+: pins-exact: `numpy>=[\d.]+` is not pinned with ==",
    ),
    # `FROM python:latest`: pins-exact names the Dockerfile line.
    "from-python-latest": (
        lambda p: append(p / "Dockerfile", "\nFROM python:latest AS extra\n"),
        "pins-exact",
        r"Dockerfile:\d+: pins-exact: base image `python:latest` uses the floating tag `latest`",
    ),
    # `uses: actions/checkout@main`: pins-exact names the workflow line.
    "uses-a-branch": (
        lambda p: edit(
            p / ".github/workflows/ci.yml",
            r"actions/checkout@[0-9a-f]{40}",
            "actions/checkout@main",
        ),
        "pins-exact",
        r"\.github/workflows/ci\.yml:\d+: pins-exact: `actions/checkout@main` is not pinned to "
        r"a commit SHA",
    ),
    # A release tag alone is what zizmor's unpinned-uses flags, and pins-exact too.
    "uses-a-tag": (
        lambda p: edit(
            p / ".github/workflows/ci.yml", r"actions/cache@[0-9a-f]{40}", "actions/cache@v4"
        ),
        "pins-exact",
        r"\.github/workflows/ci\.yml:\d+: pins-exact: `actions/cache@v4` is not pinned to a "
        r"commit SHA; pin the release's full commit SHA",
    ),
    # A hook installing another ruff than requirements-dev.txt: hooks-agree names the line.
    "hook-version-differs": (
        lambda p: edit(p / ".pre-commit-config.yaml", r"ruff==[\d.]+", "ruff==0.1.0"),
        "hooks-agree",
        r"\.pre-commit-config\.yaml:\d+: hooks-agree: hook pins ruff==0\.1\.0, "
        r"requirements-dev\.txt pins [\d.]+",
    ),
    # A hook dependency with >= instead of ==: hooks-agree names the line and the pin.
    "hook-dependency-with-a-range": (
        lambda p: edit(p / ".pre-commit-config.yaml", r"ruff==[\d.]+", "ruff>=0.1"),
        "hooks-agree",
        r"\.pre-commit-config\.yaml:\d+: hooks-agree: hook dependency `ruff>=0\.1` is not "
        r"pinned with ==; write `ruff==[\d.]+`",
    ),
    # A hook repository to clone: hooks-agree says to install from the index instead.
    "hook-repository": (
        lambda p: append(
            p / ".pre-commit-config.yaml",
            "  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
            "    rev: v0.1.0\n    hooks: [{id: ruff}]\n",
        ),
        "hooks-agree",
        r"\.pre-commit-config\.yaml:\d+: hooks-agree: hook repository "
        r"https://github\.com/astral-sh/ruff-pre-commit is cloned",
    ),
}


# --- fast tier: a fresh bake ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["pins-exact", "python-agrees", "hooks-agree"])
def test_check_passes_on_a_fresh_bake(default_project: Path, name: str) -> None:
    """A freshly baked project passes the checks that need no lock."""
    code, output = check(default_project, name)
    assert code == 0, output
    assert f"{name}: ok" in output


def test_lock_fresh_names_a_missing_lock(default_project: Path) -> None:
    """Before `invoke lock`, lock-fresh says which lock is missing and how to write it."""
    assert_fails(
        default_project,
        "lock-fresh",
        r"requirements\.in:1: lock-fresh: requirements\.txt is missing; run `invoke lock`",
    )


@pytest.mark.parametrize("changed", list(PYTHON_BREAKAGES))
def test_python_agrees_fails_fast(fresh_copy: Path, changed: str) -> None:
    """python-agrees names the file whose Python differs (no lock needed)."""
    mutate, line = PYTHON_BREAKAGES[changed]
    mutate(fresh_copy)
    assert_fails(fresh_copy, "python-agrees", line)


@pytest.mark.parametrize("case", list(FRESH_BREAKAGES))
def test_check_names_what_broke_a_fresh_bake(fresh_copy: Path, case: str) -> None:
    """Each breakage of a fresh bake fails its check with the promised line."""
    mutate, name, line = FRESH_BREAKAGES[case]
    mutate(fresh_copy)
    assert_fails(fresh_copy, name, line)


def test_python_agrees_reports_a_malformed_python_version(fresh_copy: Path) -> None:
    """A .python-version that is not X.Y(.Z) gives one line."""
    (fresh_copy / ".python-version").write_text("three eleven\n", encoding="utf-8")
    output = assert_fails(
        fresh_copy,
        "python-agrees",
        r"\.python-version:1: python-agrees: \.python-version holds 'three eleven', not X\.Y",
    )
    assert len(output.splitlines()) == 1


def pip_lock_pairs(project: Path) -> list[tuple[str, str]]:
    """(lock, input) of every pip lock, requirements.txt first: the other inputs name it
    with `-c`, so it is part of their hash."""
    inputs = sorted(
        project.glob("requirements*.in"), key=lambda p: (p.name != "requirements.in", p.name)
    )
    return [(path.with_suffix(".txt").name, path.name) for path in inputs]


def lock_files(project: Path) -> list[str]:
    """Every lock `invoke lock` writes: the pip locks and pylock.toml."""
    return [*(lock for lock, _ in pip_lock_pairs(project)), "pylock.toml"]


def git_add(project: Path, *names: str) -> None:
    run(["git", "add", "--", *names], cwd=project)


@pytest.fixture
def stamped_copy(fresh_copy: Path) -> Path:
    """A fresh bake whose pip locks record their current inputs, not yet added to git."""
    stamp_locks(fresh_copy, *pip_lock_pairs(fresh_copy))
    return fresh_copy


@pytest.fixture
def conda_locked_copy(bake_once: Callable[..., Path], tmp_path: Path) -> Path:
    """A conda bake whose pip locks and conda-lock.yml all record their current inputs, staged."""
    project = copy_project(bake_once(env_manager="conda"), tmp_path, ignore=SCRATCH)
    pairs = [*pip_lock_pairs(project), ("conda-lock.yml", "environment.yml")]
    stamp_locks(project, *pairs)
    git_add(project, *(lock for lock, _ in pairs), "pylock.toml")
    return project


def test_lock_fresh_names_a_hand_edit_of_the_derived_environment_yml(stamped_copy: Path) -> None:
    """In a venv project environment.yml is written from requirements.in: editing it by hand
    fails lock-fresh, and the fix names the intent file."""
    git_add(stamped_copy, *lock_files(stamped_copy))
    assert check(stamped_copy, "lock-fresh")[0] == 0
    append(stamped_copy / "environment.yml", "  - scipy\n")
    assert_fails(
        stamped_copy,
        "lock-fresh",
        r"environment\.yml:1: lock-fresh: is not what requirements\.in and \.python-version "
        r"give \(not re-locked, or edited by hand\?\); run `invoke lock`, which writes it; add "
        r"dependencies to requirements\.in, not here$",
    )


def test_lock_header_records_python_and_scope(stamped_copy: Path) -> None:
    """The header `invoke lock` writes records the input hash, the Python X.Y, the scope and
    the digest of the pins below it."""
    first = (stamped_copy / "requirements.txt").read_text(encoding="utf-8").splitlines()[0]
    assert re.fullmatch(
        r"# input-sha256: [0-9a-f]{64} \(requirements\.in\) python=3\.11 scope=\S+ "
        r"pins=[0-9a-f]{16}",
        first,
    ), first


def test_lock_fresh_names_an_untracked_lock(stamped_copy: Path) -> None:
    """A fresh lock that git does not track fails, with the `git add` that fixes it."""
    assert (stamped_copy / ".git").is_dir()
    output = assert_fails(
        stamped_copy,
        "lock-fresh",
        r"requirements\.txt:1: lock-fresh: not tracked by git; "
        r"`git add requirements\.txt requirements-dev\.txt` and commit them",
    )
    assert "stale" not in output


def test_lock_fresh_passes_once_the_locks_are_added(stamped_copy: Path) -> None:
    """After `git add` of the locks (staged is enough), lock-fresh passes."""
    git_add(stamped_copy, *lock_files(stamped_copy))
    code, output = check(stamped_copy, "lock-fresh")
    assert code == 0, output
    assert "lock-fresh: ok" in output


def test_lock_fresh_skips_the_git_check_outside_a_work_tree(
    default_project: Path, tmp_path: Path
) -> None:
    """Outside a git work tree, fresh locks pass: there is nothing to be tracked by."""
    project = copy_project(default_project, tmp_path, ignore=(*SCRATCH, ".git"))
    stamp_locks(project, *pip_lock_pairs(project))
    code, output = check(project, "lock-fresh")
    assert code == 0, output
    assert "not tracked" not in output


def test_lock_fresh_names_a_python_version_change(stamped_copy: Path) -> None:
    """Another X.Y in .python-version alone makes every lock stale, naming both versions."""
    git_add(stamped_copy, *lock_files(stamped_copy))
    (stamped_copy / ".python-version").write_text(f"{OTHER}\n", encoding="utf-8")
    assert_fails(
        stamped_copy,
        "lock-fresh",
        rf"requirements\.txt:1: lock-fresh: stale: locked for Python 3\.11, "
        rf"\.python-version says {OTHER}; run `invoke lock`",
    )


def test_lock_fresh_ignores_a_patch_version_change(stamped_copy: Path) -> None:
    """A patch release in .python-version (3.11 -> 3.11.9) resolves the same: still fresh."""
    git_add(stamped_copy, *lock_files(stamped_copy))
    (stamped_copy / ".python-version").write_text("3.11.9\n", encoding="utf-8")
    code, output = check(stamped_copy, "lock-fresh")
    assert code == 0, output


def test_lock_fresh_names_a_header_without_python(stamped_copy: Path) -> None:
    """A header from an older template (hash only, no Python) is stale, and says why."""
    git_add(stamped_copy, *lock_files(stamped_copy))
    edit(stamped_copy / "requirements.txt", r" python=\S+ scope=\S+ pins=\S+$", "")
    assert_fails(
        stamped_copy,
        "lock-fresh",
        r"requirements\.txt:1: lock-fresh: stale: its header records no Python version "
        r"\(written by an older template\); run `invoke lock`",
    )


def test_lock_fresh_passes_with_a_fresh_conda_lock(conda_locked_copy: Path) -> None:
    """A conda-lock.yml that records environment.yml's hash passes, and is counted."""
    code, output = check(conda_locked_copy, "lock-fresh")
    assert code == 0, output
    pip_locks = len(list(conda_locked_copy.glob("requirements*.in")))
    assert f"lock-fresh: ok ({pip_locks + 1} locks match their inputs)" in output


def test_lock_fresh_names_a_stale_conda_lock(conda_locked_copy: Path) -> None:
    """environment.yml edited without re-locking: lock-fresh names conda-lock.yml."""
    append(conda_locked_copy / "environment.yml", "  - scipy>=1.11\n")
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


def test_pins_exact_accepts_tag_with_digest_and_sha_refs(fresh_copy: Path) -> None:
    """A tag with a digest and an action pinned to a full SHA both count as pinned."""
    (fresh_copy / "Dockerfile").write_text(
        "FROM python:3.11-slim@sha256:" + "a" * 64 + "\n", encoding="utf-8"
    )
    edit(
        fresh_copy / ".github/workflows/ci.yml",
        r"actions/checkout@[0-9a-f]{40}",
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


@pytest.mark.slow
@pytest.mark.parametrize("case", list(LOCKED_BREAKAGES))
def test_check_names_what_broke_a_locked_project(locked_copy: Path, case: str) -> None:
    """Each breakage of a locked project fails its check with the promised line."""
    mutate, name, line = LOCKED_BREAKAGES[case]
    mutate(locked_copy)
    assert_fails(locked_copy, name, line)


# What leaves a real lock satisfying its intent: lock-fresh passes after each.
STILL_FRESH: dict[str, Callable[[Path], None]] = {
    # Comments and spacing of requirements.in change its hash, not what it asks for.
    "comment-edit": lambda p: (
        append(p / "requirements.in", "# plotting comes later\n"),
        edit(p / "requirements.in", r"^rich>=13$", "rich >= 13  # the console"),
    ),
    # A bot (or pip-compile run by hand) rewrites the locks without the header line.
    "header-dropped": lambda p: (
        edit(p / "requirements.txt", r"\A# input-sha256: .*\n", ""),
        edit(p / "requirements-dev.txt", r"\A# input-sha256: .*\n", ""),
    ),
    # A runtime pin the dev lock does not share moves (a bot's bump of one lock).
    "runtime-bump-not-shared": lambda p: edit(
        p / "requirements.txt", r"^rich==\S+", "rich==14.0.0"
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(STILL_FRESH))
def test_lock_fresh_passes_while_the_lock_satisfies_its_intent(
    locked_copy: Path, case: str
) -> None:
    """The input hash no longer matches (or is gone), but every pin satisfies the intent."""
    STILL_FRESH[case](locked_copy)
    code, output = check(locked_copy, "lock-fresh")
    assert code == 0, output


@pytest.mark.slow
@pytest.mark.parametrize("changed", list(PYTHON_BREAKAGES))
def test_python_disagrees(locked_copy: Path, changed: str) -> None:
    """One file changed alone to another Python: python-agrees names it."""
    mutate, line = PYTHON_BREAKAGES[changed]
    mutate(locked_copy)
    assert_fails(locked_copy, "python-agrees", line)


@pytest.mark.slow
def test_hook_dependency_is_read_like_a_lock_line(locked_copy: Path) -> None:
    """A hook dependency spelled otherwise (case, `_`, a marker) is the same pinned package."""
    config = locked_copy / ".pre-commit-config.yaml"
    edit(config, r'"ruff==([\d.]+)"', "\"Ruff==\\1 ; python_version >= '3.8'\"")
    edit(config, r'"pre-commit-hooks==', '"Pre_Commit.Hooks==')
    code, output = check(locked_copy, "hooks-agree")
    assert code == 0, output
