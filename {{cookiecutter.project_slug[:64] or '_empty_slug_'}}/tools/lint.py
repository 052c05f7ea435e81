"""`python -m tools lint`: every pre-commit hook on every file, then mypy (from this env, as it
must see the project's dependencies); or only the offline pin checks, every one even when an
earlier one failed, so one call lists every problem.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

from .project import EXIT_FAILED, EXIT_OK, ROOT, ToolError
from .results import Result, json_text, print_lines


def pin_checks() -> dict[str, str]:
    """Each pin check's module (the manual's table shows its docstring's first line)."""
    return {
        "lock-fresh": "lock_fresh",
        "pins-exact": "pins_exact",
        "python-agrees": "python_agrees",
        "hooks-agree": "hooks_agree",
        "pylock-agrees": "pylock",
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    checks = list(pin_checks())
    pins = "run only the pin checks (offline, instant), not every pre-commit hook"
    parser.add_argument("--pins", action="store_true", help=pins)
    only = f"run only this pin check (repeatable): {', '.join(checks)}"
    parser.add_argument("--only", action="append", choices=checks, metavar="CHECK", help=only)
    as_json = "the pin checks' results as one JSON object"
    parser.add_argument("--json", action="store_true", help=as_json)


def result_of(name: str) -> Result:
    """One pin check's result (a ToolError when it cannot read its files)."""
    return importlib.import_module(f".{pin_checks()[name]}", __package__).result()


def run_check(name: str) -> int:
    return print_lines(result_of(name))


def run_pin_checks(names: list[str], as_json: bool = False) -> int:
    if len(names) == 1 and not as_json:  # a pre-commit hook: its output and exit code only
        return run_check(names[0])
    found = []
    for name in names:
        try:
            found.append(result_of(name))
        except ToolError as error:  # a check that cannot read its files fails with that error
            found.append(Result(name, "FAIL", f"ERROR: {error}"))
    failed = [result.name for result in found if result.status == "FAIL"]
    if as_json:
        print(json_text(found))
        return EXIT_FAILED if failed else EXIT_OK
    for result in found:
        if result.detail.startswith("ERROR: "):
            print(result.detail, file=sys.stderr, flush=True)
        else:
            print_lines(result)
    if failed:
        raise ToolError(f"pin checks failed: {', '.join(failed)}; fix the lines above")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    if args.pins or args.only or args.json:
        return run_pin_checks(args.only or list(pin_checks()), args.json)
    hooks = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--show-diff-on-failure"]
    hooks_failed = subprocess.run(hooks, cwd=ROOT, check=False).returncode
    print("lint: $ mypy  (src/ and tests/, [tool.mypy] in pyproject.toml)", flush=True)
    types_failed = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, check=False).returncode
    return EXIT_FAILED if hooks_failed or types_failed else EXIT_OK
