"""tools/cli.py in-process: the verbs the answers choose, one exit code per outcome, and the
pytest command `python -m tools test` builds (subprocess.run is replaced to capture it)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from conftest import ToolsProject


def verb_names(tools: ToolsProject) -> list[str]:
    return [verb.name for verb in tools.module("cli").verbs()]


def test_default_verbs(tools: ToolsProject) -> None:
    """A default project (docker, no exercises) has the docker verbs and no exercises verb."""
    assert verb_names(tools) == [
        "env", "lock", "check-env", "test", "report", "sbom", "archive", "lint",
        "docker-build", "docker-run", "docker-check",
    ]  # fmt: skip


def test_verbs_follow_the_answers(tools: ToolsProject) -> None:
    tools.answer(docker=False, exercises=True)
    names = verb_names(tools)
    assert "exercises" in names and not [name for name in names if name.startswith("docker")]


def test_help_lists_every_verb(tools: ToolsProject, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        tools.module("cli").main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name in verb_names(tools)), out
    assert "make .venv exactly the locks" in out


def test_unknown_verb_is_a_usage_error(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    assert tools.module("cli").main(["nope"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'nope'" in err and "check-env" in err


def test_unknown_option_is_a_usage_error_and_json_says_so(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    assert tools.module("cli").main(["check-env", "--json", "--bogus"]) == 2
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["ok"] is False and report["exit_code"] == 2
    assert "unrecognized arguments: --bogus" in report["error"]
    assert "unrecognized arguments: --bogus" in captured.err


def test_tool_error_is_one_error_line_and_exit_1(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing .cruft.json (the project's facts) is an expected failure with its fix."""
    (tools.root / ".cruft.json").unlink()
    assert tools.module("cli").main(["env"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ERROR: .cruft.json is missing"), err
    assert "git checkout -- .cruft.json" in err[0]


def test_unexpected_error_writes_a_crash_log(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 3; the message names the log, which holds the traceback and the versions."""
    cli = tools.module("cli")
    report = tools.module("report")

    def broken(args: object) -> int:
        raise AttributeError("boom")

    monkeypatch.setattr(report, "run", broken)
    assert cli.main(["report"]) == 3
    err = capsys.readouterr().err
    assert "ERROR: unexpected AttributeError: boom; the traceback is in .cache/errors/" in err
    (log,) = (tools.root / ".cache" / "errors").glob("*.log")
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "AttributeError: boom" in text
    assert "project: my-ml-project (pip-tools, venv)" in text


def test_interrupt_is_exit_130(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = tools.module("cli")

    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(tools.module("check_env"), "run", interrupted)
    assert cli.main(["check-env", "--json"]) == 130
    captured = capsys.readouterr()
    assert captured.err.strip() == "interrupted"
    assert json.loads(captured.out) == {"ok": False, "error": "interrupted", "exit_code": 130}


def test_verb_parser_carries_options_and_defaults(tools: ToolsProject) -> None:
    """The one declaration of each option that the invoke doors reuse."""
    cli = tools.module("cli")
    (lock,) = [verb for verb in cli.verbs() if verb.name == "lock"]
    options = {action.dest: action for action in cli.verb_parser(lock)._actions}
    assert options["upgrade"].default is False
    assert options["upgrade_package"].help == "re-resolve only this package (repeatable)"
    assert "conda" not in options  # a venv project has no conda lock


def test_each_verbs_help_says_when_it_fails(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m tools <verb> --help` ends with the verb's exit-1 conditions."""
    tools.answer(exercises=True)
    cli = tools.module("cli")
    for verb in cli.verbs():
        with pytest.raises(SystemExit):
            cli.main([verb.name, "--help"])
        out = " ".join(capsys.readouterr().out.split())
        assert out.endswith(" ".join(verb.epilog.split())), (verb.name, out)


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
    cli = tools.module("cli")
    captured = Captured(code)
    monkeypatch.setattr(cli.subprocess, "run", captured)
    parser = argparse.ArgumentParser()
    cli.add_test_arguments(parser)
    return cli.run_tests(parser.parse_args(argv)), captured


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
    monkeypatch.setattr(tools.module("cli").subprocess, "run", captured)
    assert tools.module("cli").main(["test", "--", "-k", "summary"]) == 1
    assert pytest_args(captured) == ["-k", "summary"]
