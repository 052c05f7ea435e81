"""tools/steps.py in-process: a step's echo, output, heartbeat, and how a failure is read."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import ToolsProject


@pytest.mark.parametrize(
    ("output", "cause", "detail"),
    [
        (
            "OSError: [Errno 28] No space left on device\nMax retries exceeded",
            "disk",
            "OSError: [Errno 28] No space left on device",
        ),
        ("THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE", "hash", None),
        ("ERROR: ResolutionImpossible: for help visit", "resolution", None),
        ("ERROR: Package 'x' requires a different Python: 3.11 not in '>=3.12'", "python", None),
        ("error: metadata-generation-failed", "build", None),
        ("nothing telling\nlast words", "other", "last words"),
        ("", "other", ""),
    ],
)
def test_cause_of_reads_the_installers_own_words(
    tools: ToolsProject, output: str, cause: str, detail: str | None
) -> None:
    """The first matching cause wins (disk before network); detail is its last line."""
    found = tools.module("steps").cause_of(output, env={})
    assert found == (cause, output.splitlines()[-1].strip() if detail is None else detail)


def test_a_network_failure_without_a_host_names_the_configured_index(tools: ToolsProject) -> None:
    steps = tools.module("steps")
    output = "WARNING: Retrying ... /simple/numpy/\nRead timed out."
    assert steps.cause_of(output, {"UV_DEFAULT_INDEX": "https://mirror.example.com/simple"}) == (
        "network",
        "mirror.example.com",
    )
    assert steps.cause_of(output, {})[1].startswith("the package index (pypi.org")


def test_network_env_keeps_a_persons_own_settings(tools: ToolsProject) -> None:
    """Defaults only bound what is unset; PIP_DEFAULT_TIMEOUT replaces the PIP_TIMEOUT bound."""
    env = tools.module("steps").network_env({"PIP_RETRIES": "7", "PIP_DEFAULT_TIMEOUT": "99"})
    assert env["PIP_RETRIES"] == "7" and env["UV_HTTP_RETRIES"] == "1"
    assert "PIP_TIMEOUT" not in env and env["PIP_DEFAULT_TIMEOUT"] == "99"


def test_explain_gives_one_sentence_per_cause(tools: ToolsProject) -> None:
    explain = tools.module("steps").explain
    assert explain("disk", "[Errno 28]", "locking") == (
        "locking failed: the disk is full ([Errno 28]); free some space"
    )
    assert explain("resolution", "ResolutionImpossible", "locking") == (
        "locking failed: no versions satisfy the requirements (ResolutionImpossible)"
    )
    assert explain("other", "", "locking") == "locking failed: see the output above"


def test_shown_shortens_paths_to_their_names(tools: ToolsProject) -> None:
    """Machine paths stay out of logs; arguments without a separator are kept."""
    command = ["/opt/py/bin/python", "-m", "pip", "install", "-r", "/home/me/p/requirements.txt"]
    assert tools.module("steps").shown(command) == "python -m pip install -r requirements.txt"


PYTHON = Path(sys.executable).name


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_step_is_echoed_and_its_output_passed_through_and_returned(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command is echoed with the interpreter's path shortened to its name."""
    output = tools.module("steps").run_step("env", python("print('hello')"), "saying hello")
    assert output == "hello\n"
    assert capsys.readouterr().out == f"env: $ {PYTHON} -c print('hello')\nhello\n"


def test_stderr_is_part_of_the_output(tools: ToolsProject) -> None:
    code = "import sys; print('to err', file=sys.stderr)"
    assert tools.module("steps").run_step("env", python(code), "x") == "to err\n"


def test_a_failing_step_names_its_last_error_line(tools: ToolsProject) -> None:
    steps = tools.module("steps")
    code = "import sys; print('ERROR: first'); print('ERROR: it broke'); print('done'); sys.exit(3)"
    with pytest.raises(steps.StepFailed) as error:
        steps.run_step("env", python(code), "installing the locks")
    assert isinstance(error.value, tools.module("project").ToolError)
    assert error.value.cause == "other"
    assert str(error.value) == "installing the locks failed: ERROR: it broke"


def test_a_silent_failure_points_at_the_output(tools: ToolsProject) -> None:
    steps = tools.module("steps")
    with pytest.raises(steps.StepFailed) as error:
        steps.run_step("env", python("raise SystemExit(1)"), "locking requirements.in")
    assert str(error.value) == "locking requirements.in failed: see the output above"


def test_a_network_failure_names_the_host(tools: ToolsProject) -> None:
    steps = tools.module("steps")
    code = "print(\"Failed to establish a new connection host='pypi.example.org'\"); exit(1)"
    with pytest.raises(steps.StepFailed) as error:
        steps.run_step("lock", python(code), "locking requirements.in")
    assert error.value.cause == "network"
    assert str(error.value) == (
        "locking requirements.in failed: cannot reach pypi.example.org; "
        "check the network or your index settings"
    )


def test_the_step_gets_the_given_env_with_bounded_retries(tools: ToolsProject) -> None:
    code = (
        "import os; "
        "print(os.environ['MARK'], os.environ['PIP_RETRIES'], os.environ['UV_HTTP_RETRIES'])"
    )
    output = tools.module("steps").run_step("env", python(code), "x", env={"MARK": "here"})
    assert output == "here 1 1\n"


def test_the_step_runs_in_the_given_folder(tools: ToolsProject) -> None:
    output = tools.module("steps").run_step(
        "env", python("import os; print(os.getcwd())"), "x", cwd=tools.root
    )
    assert Path(output.strip()).resolve() == tools.root.resolve()


def test_only_the_last_lines_are_returned(tools: ToolsProject) -> None:
    steps = tools.module("steps")
    output = steps.run_step("env", python("for n in range(250): print(n)"), "counting")
    lines = output.splitlines()
    assert len(lines) == steps.TAIL_LINES and lines[0] == "50" and lines[-1] == "249"


def test_a_quiet_step_says_it_is_still_running(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no heartbeat interval, any wait for the tool prints the `still` notice."""
    steps = tools.module("steps")
    monkeypatch.setattr(steps, "HEARTBEAT_SECONDS", 0.0)
    steps.run_step("env", python("pass"), "resolving")
    assert "env: still resolving (0s)\n" in capsys.readouterr().out


def test_a_quick_step_prints_no_notice(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    tools.module("steps").run_step("env", python("pass"), "resolving")
    assert "still" not in capsys.readouterr().out


def test_run_steps_stops_at_the_first_failure(tools: ToolsProject) -> None:
    """(env_swap.run_steps) Steps run in order in cwd; a failing one stops the rest."""
    env_swap = tools.module("env_swap")
    steps = [python("open('a', 'w')"), python("raise SystemExit(1)"), python("open('c', 'w')")]
    with pytest.raises(tools.module("steps").StepFailed, match="^building failed"):
        env_swap.run_steps("env", steps, tools.root, "building")
    assert (tools.root / "a").exists() and not (tools.root / "c").exists()
