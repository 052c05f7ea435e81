"""tools/findings.py in-process: the `<file>:<line>: <check>: <what>; <fix>` line, its helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ToolsProject


def test_finding_reads_as_file_line_check_problem_fix(tools: ToolsProject) -> None:
    """The path is shown relative to the project root, with forward slashes."""
    findings = tools.module("findings")
    finding = findings.Finding(tools.root / "docker" / "Dockerfile", 7, "pins-exact", "bad", "fix")
    assert str(finding) == "docker/Dockerfile:7: pins-exact: bad; fix"


def test_display_keeps_a_path_outside_the_project(tools: ToolsProject, tmp_path: Path) -> None:
    outside = tmp_path.parent / "elsewhere" / "file.txt"
    assert tools.module("findings").display(outside) == outside.as_posix()


def test_error_finding_splits_a_tool_error_at_the_first_semicolon(tools: ToolsProject) -> None:
    findings = tools.module("findings")
    error = tools.module("project").ToolError("x is missing; restore it; then retry")
    finding = findings.error_finding(tools.root / "x", "lock-fresh", error)
    assert (finding.line, finding.problem, finding.fix) == (
        1,
        "x is missing",
        "restore it; then retry",
    )
    assert str(finding) == "x:1: lock-fresh: x is missing; restore it; then retry"


def test_report_prints_each_finding_once_and_fails(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """Duplicates are printed once, in their first order; the success line is not printed."""
    findings = tools.module("findings")
    a = findings.Finding(tools.root / "a", 1, "c", "p", "f")
    b = findings.Finding(tools.root / "b", 2, "c", "p", "f")
    assert findings.report(iter([a, b, a]), "c: ok") == 1
    assert capsys.readouterr().out == "a:1: c: p; f\nb:2: c: p; f\n"


def test_report_without_findings_prints_the_success_line(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    assert tools.module("findings").report([], "c: ok (all fine)") == 0
    assert capsys.readouterr().out == "c: ok (all fine)\n"


def test_line_of_is_the_first_matching_line_or_the_default(tools: ToolsProject) -> None:
    line_of = tools.module("findings").line_of
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
    assert tools.module("findings").major_minor(text) == expected
