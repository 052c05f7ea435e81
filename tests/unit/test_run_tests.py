"""tools/run_tests.py in-process: the pytest command `python -m tools test` builds.

subprocess.run is replaced to capture the command: building it is the module's job.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from conftest import ToolsProject


class Captured:
    """Stands in for subprocess.run: records each call, exits with `code`."""

    def __init__(self, code: int = 0) -> None:
        self.code = code
        self.calls: list[tuple[list[str], dict]] = []

    def __call__(self, command: list[str], **kwargs: object) -> subprocess.CompletedProcess:
        self.calls.append((command, kwargs))
        return subprocess.CompletedProcess(command, self.code)


def run_with(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch, argv: list[str], code: int = 0
) -> tuple[int, Captured]:
    """Parse `argv` as the verb's parser does, run it; the exit code and what was run."""
    run_tests = tools.module("run_tests")
    captured = Captured(code)
    monkeypatch.setattr(run_tests.subprocess, "run", captured)
    parser = argparse.ArgumentParser()
    run_tests.add_arguments(parser)
    return run_tests.run(parser.parse_args(argv)), captured


def pytest_args(captured: Captured) -> list[str]:
    ((command, _),) = captured.calls
    assert command[:3] == [sys.executable, "-m", "pytest"]
    return command[3:]


def test_no_arguments_run_plain_pytest_in_the_project(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This interpreter's pytest, in ROOT, the exit code not turned into an exception."""
    code, captured = run_with(tools, monkeypatch, [])
    assert code == 0 and pytest_args(captured) == []
    ((_, kwargs),) = captured.calls
    assert kwargs == {"cwd": tools.module("project").ROOT, "check": False}


def test_arguments_after_a_double_dash_go_to_pytest(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, captured = run_with(tools, monkeypatch, ["--", "-k", "summary", "-x"])
    assert pytest_args(captured) == ["-k", "summary", "-x"]


def test_only_the_first_double_dash_is_dropped(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second `--` is pytest's own (e.g. to pass a path that starts with a dash)."""
    _, captured = run_with(tools, monkeypatch, ["--", "--", "-odd-name.py"])
    assert pytest_args(captured) == ["--", "-odd-name.py"]


def test_a_lone_double_dash_passes_nothing(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, captured = run_with(tools, monkeypatch, ["--"])
    assert pytest_args(captured) == []


def test_arguments_without_a_double_dash_are_passed_as_they_are(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, captured = run_with(tools, monkeypatch, ["tests/test_x.py", "-k", "fast"])
    assert pytest_args(captured) == ["tests/test_x.py", "-k", "fast"]


def test_pytests_exit_code_is_the_verbs(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _ = run_with(tools, monkeypatch, ["--", "-x"], code=5)
    assert code == 5


def test_the_cli_forwards_the_test_verb_arguments(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m tools test -- -k summary` reaches pytest as `-k summary`."""
    captured = Captured(1)
    monkeypatch.setattr(tools.module("run_tests").subprocess, "run", captured)
    assert tools.module("cli").main(["test", "--", "-k", "summary"]) == 1
    assert pytest_args(captured) == ["-k", "summary"]
