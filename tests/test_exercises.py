"""Slow tier: the exercises' self-checks say TODO until the work is done, then PASS."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import edit, run, uv_pip

pytestmark = pytest.mark.slow


def self_check(project: Path, number: str):
    return run(["python3", "-m", "tools", "exercises", number], cwd=project, check=False)


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


def test_exercise_2_self_check_follows_the_derived_environment_yml(bake) -> None:
    """Venv project: PASS once the locks are made and committed; TODO after a hand edit of
    environment.yml, naming lock-fresh; PASS again after `invoke lock`."""
    project = bake(exercises="yes", lock_tool="uv", docker="no")
    run(["make", "lock"], cwd=project)
    run(["git", "add", "requirements.txt", "requirements-dev.txt", "pylock.toml"], cwd=project)
    assert self_check(project, "2").returncode == 0
    edit(project / "environment.yml", "rich>=13", "rich>=14")
    result = self_check(project, "2")
    assert result.returncode == 1
    assert "lint --only lock-fresh` fails: run `invoke lock`" in result.stdout
    run(["make", "lock"], cwd=project)
    assert self_check(project, "2").returncode == 0


def test_conda_exercises_name_the_conda_env_and_a_way_to_lock(bake) -> None:
    """Conda project: the texts name .conda-env, never .venv; without conda-lock.yml (no
    solver here) exercise 2 says where to lock instead of failing forever."""
    project = bake(exercises="yes", env_manager="conda", docker="no")
    text = (project / "EXERCISES.md").read_text(encoding="utf-8")
    assert ".conda-env/bin/python -m my_ml_project" in text and ".venv" not in text
    first = self_check(project, "1")
    assert first.returncode == 1 and "exercise 1: TODO - run `make env`" in first.stdout
    second = self_check(project, "2")
    assert second.returncode == 1
    assert "no conda-lock.yml yet" in second.stdout and "CI workflow's conda job" in second.stdout


def test_unknown_exercise_is_a_usage_error(bake) -> None:
    """Asking for an exercise that does not exist exits 2 with the choices."""
    project = bake(exercises="yes", docker="no")
    result = self_check(project, "3")
    assert result.returncode == 2
    assert "no exercise 3; choose from 1, 2" in result.stderr
