"""tools/lock_fresh.py in-process: every lock matches its input and Python, and git tracks it."""

from __future__ import annotations

import subprocess

import pytest

from conftest import ToolsProject

HASH = "sha256:" + "a" * 64
FIX = "run `invoke lock`, then commit the .in and .txt files together"


def write_derived(tools: ToolsProject) -> None:
    """The file `invoke lock` derives from the one a person edits, as it writes it."""
    tools.module("derived").write()


def lock_project(tools: ToolsProject, environment: str | None = None) -> None:
    """Inputs, the derived file as `invoke lock` writes it, then both locks stamped.

    `environment` is a conda project's environment.yml (its intent file)."""
    if environment is not None:
        tools.write("environment.yml", environment)
    tools.write("requirements.in", "numpy>=1.26\n")
    tools.write("requirements-dev.in", "-c requirements.txt\nruff\n")
    write_derived(tools)
    lockfile = tools.module("lockfile")
    for lock, source, pin in (
        ("requirements.txt", "requirements.in", "numpy==1.26.4"),
        ("requirements-dev.txt", "requirements-dev.in", "ruff==0.6.0"),
    ):
        lockfile.stamp(tools.write(lock, f"{pin} \\\n    --hash={HASH}\n"), tools.root / source)


def git(tools: ToolsProject, *args: str) -> None:
    subprocess.run(["git", *args], cwd=tools.root, check=True, capture_output=True)


def test_fresh_locks_pass(tools: ToolsProject, capsys: pytest.CaptureFixture[str]) -> None:
    lock_project(tools)
    assert tools.module("lint").run_check("lock-fresh") == 0
    assert capsys.readouterr().out == "lock-fresh: ok (2 locks match their inputs)\n"


def test_an_added_requirement_fails_at_the_line_that_asks_for_it(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """The finding names the `.in` line the lock does not pin, and the lock-fresh fix."""
    lock_project(tools)
    tools.write("requirements-dev.in", "-c requirements.txt\nruff\nmypy\n")
    assert tools.module("lint").run_check("lock-fresh") == 1
    assert capsys.readouterr().out == (
        "requirements-dev.txt:1: lock-fresh: stale: does not pin mypy, which "
        f"requirements-dev.in:3 asks for (`mypy`); {FIX}\n"
    )


def test_a_header_below_comments_is_reported_at_its_line(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    lock_project(tools)
    lock = tools.root / "requirements-dev.txt"  # no other lock hashes this one
    lock.write_text("# a note\n" + lock.read_text(encoding="utf-8"), encoding="utf-8")
    tools.write(".python-version", "3.12\n")
    write_derived(tools)  # keep the derived file in step
    assert tools.module("lint").run_check("lock-fresh") == 1
    lines = capsys.readouterr().out.splitlines()
    problem = "lock-fresh: stale: locked for Python 3.11, .python-version says 3.12"
    assert lines == [
        f"requirements.txt:1: {problem}; {FIX}",
        f"requirements-dev.txt:2: {problem}; {FIX}",
    ]


def test_a_missing_lock_is_reported_at_its_input(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    lock_project(tools)
    (tools.root / "requirements-dev.txt").unlink()
    assert tools.module("lint").run_check("lock-fresh") == 1
    assert capsys.readouterr().out == (
        f"requirements-dev.in:1: lock-fresh: requirements-dev.txt is missing; {FIX}\n"
    )


def test_a_lock_whose_input_is_gone_is_reported_at_the_lock(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    lock_project(tools)
    (tools.root / "requirements-dev.in").unlink()
    assert tools.module("lint").run_check("lock-fresh") == 1
    assert capsys.readouterr().out == (
        "requirements-dev.txt:1: lock-fresh: requirements-dev.in (its input) is missing; "
        "restore requirements-dev.in\n"
    )


def test_a_lock_without_header_is_read_pin_by_pin(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """As a bot or a hand-run lock tool leaves it: fresh while its pins satisfy the input."""
    lock_project(tools)
    tools.write("requirements-dev.txt", f"ruff==0.6.0 \\\n    --hash={HASH}\n")
    assert tools.module("lint").run_check("lock-fresh") == 0
    tools.write("requirements-dev.in", "-c requirements.txt\nruff>=0.7\n")
    assert tools.module("lint").run_check("lock-fresh") == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "requirements-dev.txt:1: lock-fresh: stale: pins ruff==0.6.0, outside "
        f"requirements-dev.in:2's `ruff>=0.7`; {FIX}"
    )


def test_without_python_version_the_fix_is_to_write_it(tools: ToolsProject) -> None:
    """Re-locking would not help: the finding carries the lockfile's own fix."""
    lock_project(tools)
    (tools.root / ".python-version").unlink()
    lock_fresh = tools.module("lock_fresh")
    (finding,) = lock_fresh.stale(
        tools.root / "requirements.txt", tools.root / "requirements.in", lock_fresh.FIX
    )
    assert finding.located("lock-fresh") == (
        "requirements.txt:1: lock-fresh: cannot be checked: .python-version is missing; "
        "write the project's Python (e.g. 3.11) into .python-version"
    )


def test_a_hand_edited_environment_yml_fails_in_a_venv_project(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    lock_project(tools)
    env = tools.root / "environment.yml"
    env.write_text(env.read_text(encoding="utf-8") + "  - scipy\n", encoding="utf-8")
    assert tools.module("lint").run_check("lock-fresh") == 1
    assert capsys.readouterr().out == (
        "environment.yml:1: lock-fresh: is not what requirements.in and .python-version give "
        "(not re-locked, or edited by hand?); run `invoke lock`, which writes it; add "
        "dependencies to requirements.in, not here\n"
    )


def test_a_conda_project_also_checks_conda_lock(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """environment.yml is the conda lock's input (and requirements.in is derived from it)."""
    tools.answer(env_manager="conda")
    lock_project(tools, "name: x\ndependencies:\n  - python=3.11\n  - numpy>=1.26\n")
    env = tools.root / "environment.yml"
    assert tools.module("lint").run_check("lock-fresh") == 1
    assert capsys.readouterr().out == (
        "environment.yml:1: lock-fresh: conda-lock.yml is missing; run `invoke lock --conda`, "
        "then commit environment.yml and conda-lock.yml together\n"
    )
    tools.module("lockfile").stamp(tools.write("conda-lock.yml", "version: 1\n"), env)
    assert tools.module("lint").run_check("lock-fresh") == 0
    assert capsys.readouterr().out == "lock-fresh: ok (3 locks match their inputs)\n"


def test_no_lock_is_untracked_outside_a_git_work_tree(tools: ToolsProject) -> None:
    lock_project(tools)
    assert list(tools.module("lock_fresh").untracked_locks([tools.root / "requirements.txt"])) == []


def test_untracked_locks_fail_and_name_them_all(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    lock_project(tools)
    git(tools, "init", "-q")
    assert tools.module("lint").run_check("lock-fresh") == 1
    fix = "`git add requirements.txt requirements-dev.txt` and commit them with their input files"
    assert capsys.readouterr().out == (
        f"requirements.txt:1: lock-fresh: not tracked by git; {fix}\n"
        f"requirements-dev.txt:1: lock-fresh: not tracked by git; {fix}\n"
    )


def test_a_staged_lock_counts_as_tracked(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """Staging one lock leaves only the other, in the singular."""
    lock_project(tools)
    git(tools, "init", "-q")
    git(tools, "add", "requirements.txt")
    assert tools.module("lint").run_check("lock-fresh") == 1
    assert capsys.readouterr().out == (
        "requirements-dev.txt:1: lock-fresh: not tracked by git; "
        "`git add requirements-dev.txt` and commit it with its input file\n"
    )
