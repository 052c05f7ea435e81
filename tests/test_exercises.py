"""Slow tier: the exercises' self-checks say TODO until the work is done, then PASS."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import edit, run, uv_pip

pytestmark = pytest.mark.slow


def self_check(project: Path, number: str):
    return run(["python3", "tools/check_exercises.py", number], cwd=project, check=False)


def test_exercise_1_self_check_follows_the_env(bake) -> None:
    """Exercise 1 is TODO without an env, PASS after `make env`, TODO again after drift."""
    project = bake(exercises="yes", lock_tool="uv", docker="no")
    before = self_check(project, "1")
    assert before.returncode == 1 and "exercise 1: TODO - run `make env`" in before.stdout
    run(["make", "env"], cwd=project)
    done = self_check(project, "1")
    assert done.returncode == 0 and "exercise 1: PASS" in done.stdout
    uv_pip(project, "install", "six==1.16.0")
    drifted = self_check(project, "1")
    assert drifted.returncode == 1 and "the env is not exactly the locks: run `make env`" in (
        drifted.stdout
    )


def test_exercise_2_self_check_runs_conda_agrees(bake) -> None:
    """Exercise 2 names conda-agrees when environment.yml and requirements.in disagree."""
    project = bake(exercises="yes", docker="no")
    edit(project / "environment.yml", "rich", "rich-cli")
    result = self_check(project, "2")
    assert result.returncode == 1
    assert "conda_agrees.py` fails" in result.stdout


def test_unknown_exercise_is_a_usage_error(bake) -> None:
    """Asking for an exercise that does not exist exits 2 with the choices."""
    project = bake(exercises="yes", docker="no")
    result = self_check(project, "3")
    assert result.returncode == 2
    assert "no exercise 3; choose from 1, 2" in result.stderr
