"""The one-line findings of the pin checks: `<file>:<line>: <check>: <what>; <fix>`.

Stdlib only. Each pin check collects findings, prints them one per line (a
format editors and CI logs turn into links) and exits 1 when there is any.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .project import EXIT_FAILED, EXIT_OK, ROOT, ToolError

_VERSION_RE = re.compile(r"(\d+)\.(\d+)")


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    check: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{display(self.path)}:{self.line}: {self.check}: {self.problem}; {self.fix}"


def display(path: Path) -> str:
    """The path as the project names it: relative to its root, with forward slashes."""
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def error_finding(path: Path, check: str, error: ToolError) -> Finding:
    """A ToolError (`<what>; <fix>`) as a finding on the first line of `path`."""
    problem, _, fix = str(error).partition("; ")
    return Finding(path, 1, check, problem, fix)


def report(findings: Iterable[Finding], passed: str) -> int:
    """Print every finding (or the one-line success) and return the exit code."""
    found = list(dict.fromkeys(findings))  # one line per problem, in order
    for finding in found:
        print(finding)
    if found:
        return EXIT_FAILED
    print(passed)
    return EXIT_OK


def line_of(text: str, pattern: str, default: int = 1) -> int:
    """The 1-based number of the first line matching the regex `pattern`."""
    compiled = re.compile(pattern)
    for number, line in enumerate(text.splitlines(), start=1):
        if compiled.search(line):
            return number
    return default


def major_minor(text: str) -> str | None:
    """'3.11' from '3.11.7', 'python:3.11-slim' or '>=3.11'; None when no X.Y is there."""
    match = _VERSION_RE.search(text)
    return f"{match.group(1)}.{match.group(2)}" if match else None
