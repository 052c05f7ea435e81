"""tools/lint.py in-process: pin checks by name; one exit code for one, ToolError for several."""

from __future__ import annotations

import argparse
import json

import pytest

from conftest import ToolsProject

HASH = "sha256:" + "a" * 64
ALL_CHECKS = ["lock-fresh", "pins-exact", "python-agrees", "hooks-agree", "pylock-agrees"]
OK_LINES = [
    "lock-fresh: ok (2 locks match their inputs)",
    "pins-exact: ok (locks, base images and actions are pinned)",
    "python-agrees: ok (every file names .python-version's Python)",
    "hooks-agree: ok (hook versions equal requirements-dev.txt)",
    "pylock-agrees: ok (pylock.toml lists the pins of requirements.txt)",
]


def write_derived(tools: ToolsProject) -> None:
    """The file `invoke lock` derives from the one a person edits, as it writes it."""
    tools.module("derived").write()


def clean_project(tools: ToolsProject) -> None:
    """Fresh hashed locks, their pylock.toml, the derived environment.yml and a hook pinning
    the dev lock's ruff."""
    lockfile = tools.module("lockfile")
    for lock, source, text, pin in (
        ("requirements.txt", "requirements.in", "numpy>=1.26\n", "numpy==1.26.4"),
        (
            "requirements-dev.txt",
            "requirements-dev.in",
            "-c requirements.txt\nruff\n",
            "ruff==0.6.0",
        ),
    ):
        tools.write(source, text)
        lockfile.stamp(tools.write(lock, f"{pin} \\\n    --hash={HASH}\n"), tools.root / source)
    write_derived(tools)
    tools.write_pylock()
    tools.write(
        ".pre-commit-config.yaml",
        "repos:\n  - repo: local\n    hooks:\n      - id: ruff\n"
        '        additional_dependencies: ["ruff==0.6.0"]\n',
    )


def test_the_same_pin_checks_in_every_project(tools: ToolsProject) -> None:
    """A conda project has no check of its own: its derived requirements.in is lock-fresh's."""
    tools.answer(env_manager="conda")
    assert list(tools.module("lint").pin_checks()) == ALL_CHECKS


def test_every_pin_check_passes_on_a_clean_project(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_project(tools)
    assert tools.module("lint").run_pin_checks(ALL_CHECKS) == 0
    assert capsys.readouterr().out.splitlines() == OK_LINES


def test_one_failing_check_returns_its_own_code(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """As a pre-commit hook: exit 1 and the finding, no ToolError summary."""
    clean_project(tools)
    tools.write(".python-version", "3.12\n")
    tools.write("pyproject.toml", '[project]\nrequires-python = ">=3.11"\n')
    assert tools.module("lint").run_pin_checks(["python-agrees"]) == 1
    assert capsys.readouterr().out.startswith("pyproject.toml:2: python-agrees: requires-python")


def test_one_passing_check_prints_only_its_line(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_project(tools)
    assert tools.module("lint").run_pin_checks(["hooks-agree"]) == 0
    assert capsys.readouterr().out == OK_LINES[3] + "\n"


def test_several_checks_all_run_and_the_failed_ones_are_named(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failure does not stop the later checks; the ToolError names each failed check."""
    clean_project(tools)
    tools.write("requirements-dev.txt", "ruff==0.5.0\n")
    tools.write("requirements-dev.in", "-c requirements.txt\nruff>=0.6\n")
    lint = tools.module("lint")
    project = tools.module("project")
    with pytest.raises(project.ToolError) as error:
        lint.run_pin_checks(ALL_CHECKS)
    assert str(error.value) == (
        "pin checks failed: lock-fresh, pins-exact, hooks-agree; fix the lines above"
    )
    out = capsys.readouterr().out
    assert OK_LINES[2] in out  # python-agrees ran between the failures
    assert "requirements-dev.txt:1: pins-exact: `ruff==0.5.0` has no --hash;" in out
    assert "hooks-agree: hook pins ruff==0.6.0, requirements-dev.txt pins 0.5.0;" in out


def test_a_check_that_cannot_read_its_files_is_an_error_line_among_several(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """lock-fresh raises (environment.yml cannot be derived without .python-version); the
    other checks still run and the failure is named."""
    clean_project(tools)
    (tools.root / ".python-version").unlink()
    lint = tools.module("lint")
    with pytest.raises(tools.module("project").ToolError, match=r"^pin checks failed: lock-fresh;"):
        lint.run_pin_checks(["lock-fresh", "hooks-agree"])
    captured = capsys.readouterr()
    assert captured.err.startswith("ERROR: .python-version is missing; ")
    assert captured.out == OK_LINES[3] + "\n"


def test_a_single_check_lets_its_tool_error_through(tools: ToolsProject) -> None:
    """A hook's ToolError reaches the CLI, which prints it as one ERROR line."""
    clean_project(tools)
    (tools.root / ".python-version").unlink()
    with pytest.raises(tools.module("project").ToolError, match=r"\.python-version is missing"):
        tools.module("lint").run_pin_checks(["lock-fresh"])


def parser(tools: ToolsProject) -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(prog="lint")
    tools.module("lint").add_arguments(result)
    return result


def test_only_is_repeatable_and_limited_to_the_pin_checks(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parser(tools).parse_args(["--only", "pins-exact", "--only", "hooks-agree"])
    assert args.only == ["pins-exact", "hooks-agree"] and not args.pins
    with pytest.raises(SystemExit) as exit_:
        parser(tools).parse_args(["--only", "conda-agrees"])
    assert exit_.value.code == 2
    assert "invalid choice: 'conda-agrees'" in capsys.readouterr().err


def test_run_with_pins_runs_every_pin_check(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_project(tools)
    assert tools.module("lint").run(parser(tools).parse_args(["--pins"])) == 0
    assert capsys.readouterr().out.splitlines() == OK_LINES


def test_run_with_only_runs_just_those(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_project(tools)
    args = parser(tools).parse_args(["--only", "python-agrees", "--only", "pins-exact"])
    assert tools.module("lint").run(args) == 0
    assert capsys.readouterr().out.splitlines() == [OK_LINES[2], OK_LINES[1]]


def test_json_gives_every_pin_check_in_check_envs_shape(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """`lint --json`: one object; a failed check carries its problems with file and line."""
    clean_project(tools)
    (tools.root / "requirements.in").write_text("numpy>=2\n", encoding="utf-8")
    assert tools.module("cli").main(["lint", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    statuses = {check["name"]: check["status"] for check in data["checks"]}
    assert statuses == {name: "ok" for name in ALL_CHECKS} | {"lock-fresh": "FAIL"}
    (problem, *_) = data["checks"][0]["problems"]
    assert (problem["path"], problem["line"]) == ("requirements.txt", 2)
    assert problem["subject"] == "stale: pins numpy==1.26.4, outside requirements.in:1's `numpy>=2`"
