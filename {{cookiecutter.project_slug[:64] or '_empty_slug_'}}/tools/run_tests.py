"""`python -m tools test`: the project's tests, run by pytest in the project env."""

from __future__ import annotations

import argparse
import subprocess
import sys

from .project import ROOT, trailing_words


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "args",
        nargs=argparse.REMAINDER,
        metavar="ARGS",
        help="arguments for pytest, e.g. -k summary (after `--`)",
    )


def run(args: argparse.Namespace) -> int:
    extra = trailing_words(args.args)
    return subprocess.run(
        [sys.executable, "-m", "pytest", *extra], cwd=ROOT, check=False
    ).returncode
