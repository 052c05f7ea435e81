"""Self-checks for EXERCISES.md: `python -m tools exercises [N ...]`.

Prints PASS or TODO (with the next step) per exercise; exits 1 while any
asked-for exercise is not done. Each check runs the project's own tools.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable

from .project import DOCKER, ENV_MANAGER, EXIT_FAILED, EXIT_OK, ROOT, ToolError, UsageError
from .results import Result


def _passes(python: str, *verb: str) -> bool:
    command = [python, "-m", "tools", *verb]
    return subprocess.run(command, cwd=ROOT, capture_output=True, check=False).returncode == 0


def conda_exercise_1() -> str | None:
    """.conda-env is built from the current locks and passes check-env --strict."""
    from . import conda_env
    from .conda_meta import CONDA_ENV, conda_python
    from .env_swap import has_stamp

    if not conda_python().exists():
        return "run `make env` (step 2)"
    if not has_stamp(CONDA_ENV, conda_env.env_stamp()):
        return ".conda-env was not built from the current locks: run `make env`"
    if not _passes(str(conda_python()), "check-env", "--strict"):
        return "`invoke check-env --strict` fails: apply the fix it names (step 3)"
    return None


def conda_exercise_2() -> str | None:
    """requirements.in is what environment.yml gives, and conda-lock.yml is fresh."""
    if not (ROOT / "conda-lock.yml").exists():
        return (
            "no conda-lock.yml yet: `invoke lock` where micromamba, mamba or conda is "
            "installed, or commit the one the CI workflow's conda job writes (step 3)"
        )
    if not _passes(sys.executable, "lint", "--only", "lock-fresh"):
        return (
            "a lock is stale: `python -m tools lint --only lock-fresh` names it and the fix "
            "(step 3)"
        )
    return None


def venv_exercise_1() -> str | None:
    """.venv is built from the current locks and passes check-env --strict."""
    from .make_env import is_exactly_the_locks
    from .project import VENV, venv_python

    if not venv_python(VENV).exists():
        return "run `make env` (step 2)"
    try:
        exact = is_exactly_the_locks()
    except ToolError as error:  # a lock is missing or stale: its own message is the step
        return str(error)
    if not exact:
        return "the env is not exactly the locks: run `make env`"
    if not _passes(str(venv_python(VENV)), "check-env", "--strict"):
        return "`invoke check-env --strict` fails: apply the fix it names (step 3)"
    return None


def venv_exercise_2() -> str | None:
    """environment.yml is what requirements.in gives, and every lock is fresh."""
    if not _passes(sys.executable, "lint", "--only", "lock-fresh"):
        return "`python -m tools lint --only lock-fresh` fails: run `invoke lock` (step 2)"
    return None


def exercise_3() -> str | None:
    """The image of the current lock exists and passes docker-check."""
    if not _passes(sys.executable, "docker-check", "--target=cpu"):
        return "build and check the image: `invoke docker-build`, `invoke docker-check` (1-2)"
    return None


def exercises() -> dict[str, Callable[[], str | None]]:
    """Number -> self-check, for this project's env manager and options."""
    conda = ENV_MANAGER == "conda"
    chosen = {
        "1": conda_exercise_1 if conda else venv_exercise_1,
        "2": conda_exercise_2 if conda else venv_exercise_2,
    }
    if DOCKER:
        chosen["3"] = exercise_3
    return chosen


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "numbers", nargs="*", metavar="N", help="exercises to check (default: all of them)"
    )


def run(args: argparse.Namespace) -> int:
    known = exercises()
    numbers = args.numbers or list(known)
    unknown = sorted(set(numbers) - set(known))
    if unknown:
        raise UsageError(f"no exercise {', '.join(unknown)}; choose from {', '.join(known)}")
    results = [result(number, known[number]()) for number in numbers]
    for done in results:
        print(f"{done.name}: " + ("PASS" if done.status == "ok" else f"TODO - {done.detail}"))
    return EXIT_FAILED if any(done.status == "TODO" for done in results) else EXIT_OK


def result(number: str, next_step: str | None) -> Result:
    """An exercise's result: done, or TODO with the next step as its detail."""
    return Result(f"exercise {number}", "ok" if next_step is None else "TODO", next_step or "")
