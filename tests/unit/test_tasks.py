"""tasks.py in-process: each invoke task is its verb's parser, forwarded untouched."""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
from types import ModuleType

import pytest

from conftest import PROJECT_TEMPLATE, ToolsProject


def load_tasks(tools: ToolsProject) -> ModuleType:
    """The template's tasks.py, next to the copied tools package (as a bake places it)."""
    shutil.copy(PROJECT_TEMPLATE / "tasks.py", tools.root / "tasks.py")
    spec = importlib.util.spec_from_file_location("baked_tasks", tools.root / "tasks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def verb_actions(tools: ToolsProject, name: str) -> dict[str, argparse.Action]:
    cli = tools.module("cli")
    (verb,) = [verb for verb in cli.verbs() if verb.name == name]
    return {action.dest: action for action in cli.verb_parser(verb)._actions}


def test_one_task_per_verb(tools: ToolsProject) -> None:
    tasks = load_tasks(tools)
    names = {verb.name for verb in tools.module("cli").verbs()}
    assert set(tasks.namespace.task_names) == names


def test_task_options_are_the_parsers(tools: ToolsProject) -> None:
    """Names, help texts and kinds come from the verb's parser: written once."""
    tasks = load_tasks(tools)
    task = tasks.namespace["lock"]
    arguments = {argument.name: argument for argument in task.get_arguments()}
    actions = verb_actions(tools, "lock")
    assert set(arguments) == {"upgrade", "upgrade_package", "pylock_only"}
    assert arguments["upgrade_package"].help == actions["upgrade_package"].help
    assert arguments["upgrade"].kind is bool and arguments["upgrade_package"].kind is list


def argv(tools: ToolsProject, verb: str, dest: str, value: object) -> list[str]:
    tools.answer(exercises=True)
    tasks = load_tasks(tools)
    return tasks.to_argv(verb_actions(tools, verb)[dest], value)


@pytest.mark.parametrize(
    ("verb", "dest", "value", "expected"),
    [
        ("check-env", "json", True, ["--json"]),
        ("check-env", "json", False, []),
        ("lock", "upgrade_package", ["rich", "numpy"],
         ["--upgrade-package=rich", "--upgrade-package=numpy"]),
        ("lock", "upgrade_package", None, []),
        ("docker-run", "command", "python -c 'print(1)'", ["--", "python", "-c", "print(1)"]),
        ("docker-run", "command", "", []),
        ("docker-build", "target", "cpu", []),
        ("docker-build", "target", "gpu", ["--target=gpu"]),
        ("docker-build", "args", "--no-cache", ["--args=--no-cache"]),
        ("exercises", "numbers", "1 2", ["1", "2"]),
        ("test", "args", "-k 'a or b'", ["--", "-k", "a or b"]),
    ],
)  # fmt: skip
def test_values_become_the_verbs_command_line(
    tools: ToolsProject, verb: str, dest: str, value: object, expected: list[str]
) -> None:
    assert argv(tools, verb, dest, value) == expected


def test_a_flag_on_by_default_is_turned_off_with_no(tools: ToolsProject) -> None:
    tools.answer(env_manager="conda")
    assert argv(tools, "lock", "conda", False) == ["--no-conda"]
    assert argv(tools, "lock", "conda", True) == []


def test_paths_are_typed_where_invoke_started(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`invoke report --output x.json` from tests/ writes tests/x.json (the tools run from ROOT)."""
    (tools.root / "tests").mkdir()
    monkeypatch.chdir(tools.root / "tests")
    assert argv(tools, "report", "output", "x.json") == ["--output=tests/x.json"]


def test_a_task_runs_its_verb_with_the_right_python(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Env verbs run with the project env's Python when it exists; the exit code is the task's."""
    tasks = load_tasks(tools)
    python = tools.root / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.touch()
    ran: list[list[str]] = []

    def fake_run(command: list[str], cwd: object) -> subprocess.CompletedProcess[str]:
        ran.append(command)
        return subprocess.CompletedProcess(command, 1)

    monkeypatch.setattr(tasks.subprocess, "run", fake_run)
    body = tasks.namespace["check-env"].body
    with pytest.raises(tasks.Exit) as exit_:
        body(
            None, json=False, strict=True, imports=False, deep=False, expect_gpu=False, only=None,
            lock=None,
        )  # fmt: skip
    assert exit_.value.code == 1
    assert ran == [[str(python), "-m", "tools", "check-env", "--strict"]]


def test_trailing_words_are_one_quoted_option_for_invoke(tools: ToolsProject) -> None:
    """invoke drops what follows `--` and has no optional positionals: `--args='-k x'`."""
    tools.answer(exercises=True)
    tasks = load_tasks(tools)
    for task, name in (("test", "args"), ("docker-run", "command"), ("exercises", "numbers")):
        arguments = {arg.name: arg for arg in tasks.namespace[task].get_arguments()}
        assert arguments[name].positional is False and arguments[name].kind is str
        assert arguments[name].help.endswith(f"as one quoted string: --{name}='...'")
        assert "--`" not in arguments[name].help


def test_without_the_answers_invoke_says_so_in_one_line(tools: ToolsProject) -> None:
    (tools.root / ".cruft.json").unlink()
    with pytest.raises(SystemExit) as exit_:
        load_tasks(tools)
    assert str(exit_.value.code).startswith("ERROR: .cruft.json is missing")
