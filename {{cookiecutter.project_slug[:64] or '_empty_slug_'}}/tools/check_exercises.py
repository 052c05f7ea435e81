"""Self-checks for EXERCISES.md: `python -m tools exercises [N ...]`.

Prints PASS or TODO (with the next step) per exercise, and exits 1 while any asked-for
exercise is not done. Each self-check runs the project's own tools, and returns the next
step (None when the exercise is done).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable

from .project import DOCKER, ENV_MANAGER, EXIT_FAILED, EXIT_OK, ROOT, ToolError, UsageError


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
        step = "`python -m tools lint --only lock-fresh` names it and the fix (step 3)"
        return f"a lock is stale: {step}"
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
    if ENV_MANAGER == "conda":
        chosen = {"1": conda_exercise_1, "2": conda_exercise_2}
    else:
        chosen = {"1": venv_exercise_1, "2": venv_exercise_2}
    return {**chosen, "3": exercise_3} if DOCKER else chosen


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
    next_steps = [known[number]() for number in numbers]
    for number, step in zip(numbers, next_steps, strict=True):
        print(f"exercise {number}: " + ("PASS" if step is None else f"TODO - {step}"))
    return EXIT_OK if all(step is None for step in next_steps) else EXIT_FAILED
