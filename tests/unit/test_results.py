"""tools/results.py in-process: one Problem/Result model, rendered as lines, rows and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ToolsProject


def test_a_problem_in_a_file_reads_as_file_line_check_what_fix(tools: ToolsProject) -> None:
    """The path is shown relative to the project root, with forward slashes."""
    results = tools.module("results")
    problem = results.at(tools.root / "docker" / "Dockerfile", 7, "bad", "fix")
    assert problem.located("pins-exact") == "docker/Dockerfile:7: pins-exact: bad; fix"


def test_a_problem_with_expected_and_found_reads_as_a_row(tools: ToolsProject) -> None:
    problem = tools.module("results").Problem("numpy", "1.26.4", "1.25.0", "run `make env`")
    assert str(problem) == "numpy: expected 1.26.4, found 1.25.0; fix: run `make env`"


def test_display_keeps_a_path_outside_the_project(tools: ToolsProject, tmp_path: Path) -> None:
    outside = tmp_path.parent / "elsewhere" / "file.txt"
    assert tools.module("results").display(outside) == outside.as_posix()


def test_checked_keeps_each_problem_once_in_order(tools: ToolsProject) -> None:
    results = tools.module("results")
    a, b = results.at(tools.root / "a", 1, "p", "f"), results.at(tools.root / "b", 2, "p", "f")
    result = results.checked("c", iter([a, b, a]), "all fine")
    assert (result.status, result.detail, result.problems) == ("FAIL", "", [a, b])


def test_print_lines_of_a_failed_check(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tools.module("results")
    problems = [
        results.at(tools.root / "a", 1, "p", "f"),
        results.at(tools.root / "b", 2, "q", "g"),
    ]
    assert results.print_lines(results.checked("c", problems, "all fine")) == 1
    assert capsys.readouterr().out == "a:1: c: p; f\nb:2: c: q; g\n"


def test_print_lines_of_a_passed_check(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tools.module("results")
    assert results.print_lines(results.checked("c", [], "all fine")) == 0
    assert capsys.readouterr().out == "c: ok (all fine)\n"


def test_json_has_one_shape_for_rows_and_file_problems(tools: ToolsProject) -> None:
    """check-env's rows and the pin checks' file problems serialise alike."""
    results = tools.module("results")
    row = results.Result("locked", "FAIL", "", [results.Problem("numpy", "1.26.4", "1.25.0", "x")])
    pins = results.checked("lock-fresh", [results.at(tools.root / "a.txt", 3, "stale", "y")], "")
    data = json.loads(results.json_text([row, pins]))
    assert data["ok"] is False
    assert data["checks"][0]["problems"] == [
        {"subject": "numpy", "expected": "1.26.4", "found": "1.25.0", "fix": "x",
         "path": None, "line": 0},
    ]  # fmt: skip
    assert data["checks"][1]["problems"][0] == {
        "subject": "stale", "expected": "", "found": "", "fix": "y", "path": "a.txt", "line": 3,
    }  # fmt: skip


def test_line_of_is_the_first_matching_line_or_the_default(tools: ToolsProject) -> None:
    line_of = tools.module("results").line_of
    text = "[project]\nname = 'x'\nrequires-python = '>=3.11'\nrequires-python = '>=3.12'\n"
    assert line_of(text, r"^requires-python") == 3
    assert line_of(text, r"^nope") == 1
    assert line_of(text, r"^nope", default=0) == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.11.7", "3.11"),
        ("python:3.12-slim", "3.12"),
        (">=3.10", "3.10"),
        ("py3", None),
        ("", None),
    ],
)
def test_major_minor_finds_the_first_x_y(
    tools: ToolsProject, text: str, expected: str | None
) -> None:
    assert tools.module("results").major_minor(text) == expected
