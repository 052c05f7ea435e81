"""tools/check_exercises.py in-process: which self-checks a project has, and how they report."""

from __future__ import annotations

import argparse

import pytest

from conftest import ToolsProject


def test_venv_project_with_docker_has_three_exercises(tools: ToolsProject) -> None:
    """The default answers (venv, docker): the venv checks and the image check."""
    check_exercises = tools.module("check_exercises")
    assert check_exercises.exercises() == {
        "1": check_exercises.venv_exercise_1,
        "2": check_exercises.venv_exercise_2,
        "3": check_exercises.exercise_3,
    }


def test_conda_project_has_the_conda_checks(tools: ToolsProject) -> None:
    tools.answer(env_manager="conda")
    check_exercises = tools.module("check_exercises")
    assert check_exercises.exercises() == {
        "1": check_exercises.conda_exercise_1,
        "2": check_exercises.conda_exercise_2,
        "3": check_exercises.exercise_3,
    }


def test_without_docker_there_is_no_exercise_3(tools: ToolsProject) -> None:
    tools.answer(docker=False)
    assert list(tools.module("check_exercises").exercises()) == ["1", "2"]


def test_unknown_numbers_are_a_usage_error(tools: ToolsProject) -> None:
    """Every unknown number is named, with the ones this project has."""
    tools.answer(docker=False)
    check_exercises, project = tools.module("check_exercises"), tools.module("project")
    with pytest.raises(project.UsageError) as error:
        check_exercises.run(argparse.Namespace(numbers=["3", "1", "9"]))
    assert str(error.value) == "no exercise 3, 9; choose from 1, 2"


def test_venv_exercise_1_without_an_env_is_todo(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """No .venv yet: exercise 1 is TODO with its first step, and the exit code is 1."""
    check_exercises = tools.module("check_exercises")
    assert check_exercises.run(argparse.Namespace(numbers=["1"])) == 1
    assert capsys.readouterr().out == "exercise 1: TODO - run `make env` (step 2)\n"


def test_conda_exercise_1_without_an_env_is_todo(tools: ToolsProject) -> None:
    tools.answer(env_manager="conda")
    check_exercises = tools.module("check_exercises")
    assert check_exercises.conda_exercise_1() == "run `make env` (step 2)"


def test_add_arguments_takes_any_number_of_exercises(tools: ToolsProject) -> None:
    check_exercises = tools.module("check_exercises")
    parser = argparse.ArgumentParser()
    check_exercises.add_arguments(parser)
    assert parser.parse_args([]).numbers == []
    assert parser.parse_args(["2", "1"]).numbers == ["2", "1"]
