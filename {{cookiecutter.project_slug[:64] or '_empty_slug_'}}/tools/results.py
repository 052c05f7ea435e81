"""One result model (stdlib only): a Problem is one thing wrong, a Result one check's outcome,
rendered as check-env's table, as `<file>:<line>: <check>: <what>; <fix>` lines (editors and CI
logs link these) and as JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .project import EXIT_FAILED, EXIT_OK, ROOT


@dataclass(frozen=True)
class Problem:
    subject: str
    expected: str = ""
    found: str = ""
    fix: str = ""
    path: Path | None = None
    line: int = 0

    @property
    def what(self) -> str:
        if self.expected or self.found:
            return f"{self.subject}: expected {self.expected}, found {self.found}"
        return self.subject

    def __str__(self) -> str:
        return f"{self.what}; fix: {self.fix}"

    def located(self, check: str) -> str:
        return f"{display(self.path)}:{self.line}: {check}: {self.what}; {self.fix}"


def at(path: Path, line: int, what: str, fix: str) -> Problem:
    """A problem in a file, at a line: what the pin checks find."""
    return Problem(what, fix=fix, path=path, line=line)


@dataclass
class Result:
    name: str
    status: str = "ok"  # ok | FAIL | warn | skip
    detail: str = ""
    problems: list[Problem] = field(default_factory=list)


def checked(name: str, problems: Iterable[Problem], passed: str) -> Result:
    """FAIL with `problems` (once each, in order), else ok with the detail `passed`."""
    found = list(dict.fromkeys(problems))
    return Result(name, "FAIL" if found else "ok", "" if found else passed, found)


def print_lines(result: Result) -> int:
    """Print a pin check's result as located lines (or its one-line ok); its exit code."""
    for problem in result.problems:
        print(problem.located(result.name))
    if result.status == "FAIL":
        return EXIT_FAILED
    print(f"{result.name}: ok ({result.detail})")
    return EXIT_OK


def json_text(results: list[Result]) -> str:
    ok = all(result.status != "FAIL" for result in results)
    checks = [asdict(result) for result in results]  # a problem's path is shown by display()
    return json.dumps({"ok": ok, "checks": checks}, indent=2, default=display)


def error_json(message: str, code: int) -> str:
    """`--json` of a run that ended in an error instead of results."""
    return json.dumps({"ok": False, "error": message, "exit_code": code}, indent=2)


def display(path: Path) -> str:
    """The path relative to the project root, with forward slashes."""
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def line_of(text: str, pattern: str, default: int = 1) -> int:
    """The 1-based number of the first line matching the regex `pattern`."""
    lines = enumerate(text.splitlines(), start=1)
    return next((number for number, line in lines if re.search(pattern, line)), default)


def major_minor(text: str) -> str | None:
    """'3.11' from '3.11.7', 'python:3.11-slim' or '>=3.11'; None when no X.Y is there."""
    match = re.search(r"\d+\.\d+", text)
    return match.group() if match else None
