"""`python -m tools lint`: every pre-commit hook on every file, or only the pin checks.

The pin checks (`--pins`, or `--only CHECK`) are offline and instant; pre-commit
runs each of them as a hook (`python -m tools lint --only CHECK`). Every check
runs even when an earlier one failed, so one call lists every problem.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

from .project import EXIT_FAILED, EXIT_OK, ROOT, ToolError


def pin_checks() -> dict[str, str]:
    """Check name -> the module that runs it."""
    return {
        "lock-fresh": "lock_fresh",
        "pins-exact": "pins_exact",
        "python-agrees": "python_agrees",
        "hooks-agree": "hooks_agree",
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pins",
        action="store_true",
        help="run only the pin checks (offline, instant), not every pre-commit hook",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=list(pin_checks()),
        metavar="CHECK",
        help=f"run only this pin check (repeatable): {', '.join(pin_checks())}",
    )


def run_pin_checks(names: list[str]) -> int:
    if len(names) == 1:  # a pre-commit hook: its own output and exit code, nothing more
        return _check(names[0])
    failed = []
    for name in names:
        try:
            code = _check(name)
        except ToolError as error:  # this check could not read its files: the rest still run
            print(f"ERROR: {error}", file=sys.stderr, flush=True)
            code = EXIT_FAILED
        if code:
            failed.append(name)
    if failed:
        raise ToolError(f"pin checks failed: {', '.join(failed)}; fix the lines above")
    return EXIT_OK


def _check(name: str) -> int:
    code = importlib.import_module(f".{pin_checks()[name]}", __package__).check()
    sys.stdout.flush()
    return code


def run(args: argparse.Namespace) -> int:
    if args.pins or args.only:
        return run_pin_checks(args.only or list(pin_checks()))
    command = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--show-diff-on-failure"]
    return subprocess.run(command, cwd=ROOT, check=False).returncode
