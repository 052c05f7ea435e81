"""nox sessions: throwaway envs built from the same locks as `make env`.

`nox -s check_env` proves the locks install and match; `nox -s tests` runs
the tests in such an env; `nox -s lock` re-locks.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tools"))

from project import (  # noqa: E402 - tools/ is not a package
    DEV_LOCK,
    LOCK_REQUIREMENT_ARGS,
    PROJECT_INSTALL_ARGS,
    python_minor,
    wanted_python,
)

# Sessions ask for X.Y; check-env then holds the interpreter to .python-version.
PYTHON = python_minor(wanted_python())

nox.options.sessions = ["check_env", "tests"]
nox.options.error_on_missing_interpreters = True
{%- if cookiecutter.lock_tool == "uv" %}
nox.options.default_venv_backend = "uv"
{%- endif %}


def install_locked(session: nox.Session) -> None:
    """Install the locks hash-checked, then the project as `make env` does."""
    session.install("--require-hashes", *LOCK_REQUIREMENT_ARGS)
    session.install(*PROJECT_INSTALL_ARGS)


@nox.session(python=PYTHON)
def check_env(session: nox.Session) -> None:
    """Build a fresh env from the locks and check it strictly."""
    install_locked(session)
    session.run("python", "tools/check_env.py", "--strict", *session.posargs)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the tests in a fresh env built from the locks."""
    install_locked(session)
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=False, default=False)
def lock(session: nox.Session) -> None:
    """Re-lock requirements*.txt from the .in files (`-- --upgrade` to upgrade)."""
    session.run(sys.executable, "tools/lock.py", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Run every pre-commit hook on every file, with pre-commit from the dev lock."""
    session.install("--require-hashes", "-r", DEV_LOCK.name)
    session.run("pre-commit", "run", "--all-files", "--show-diff-on-failure", *session.posargs)
