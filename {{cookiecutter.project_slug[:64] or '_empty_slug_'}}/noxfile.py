"""nox sessions: throwaway envs built from the same locks as `make env`. `nox -s check_env`
proves the locks install and match, `tests` runs the tests in such an env, `lint` the hooks and
mypy, `lock` re-locks. From a subfolder: `nox -f ../noxfile.py` (sessions run from here).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nox

# nox imports this file by path: the folder that holds the tools package is not on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tools import project  # noqa: E402
from tools.lock import install_args  # noqa: E402

MISSING_LOCKS = [name for name, _ in project.LOCKS if not (project.ROOT / name).exists()]
# X.Y (check-env then holds it to .python-version); nox never locks: none without the locks.
PYTHON = False if MISSING_LOCKS else project.python_minor(project.wanted_python())

# `session(default=...)` and `uv|virtualenv` need a recent nox: an older one says so.
nox.needs_version = ">=2024.3.2"
nox.options.error_on_missing_interpreters = True
{%- if cookiecutter.lock_tool == "uv" %}
# uv where it is installed (the dev lock has it), else virtualenv.
nox.options.default_venv_backend = "uv|virtualenv"
{%- endif %}


def install_locked(session: nox.Session) -> None:
    """The CPU env's locks hash-checked (runners have no GPU), then the project as `make env`."""
    if MISSING_LOCKS:
        missing = f"{', '.join(MISSING_LOCKS)} missing, and nox never locks"
        session.error(f"{missing}: run `invoke lock`, then commit the locks with the .in files")
    session.install(*install_args(project.env_locks("cpu")))
    session.install(*project.PROJECT_INSTALL_ARGS)


@nox.session(python=PYTHON, default=True)
def check_env(session: nox.Session) -> None:
    """Build a fresh env from the locks and check it strictly, imports included."""
    install_locked(session)
    session.run("python", "-m", "tools", "check-env", "--strict", "--imports", *session.posargs)


@nox.session(python=PYTHON, default=True)
def tests(session: nox.Session) -> None:
    """Run the tests in a fresh env built from the locks."""
    install_locked(session)
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=False, default=False)
def lock(session: nox.Session) -> None:
    """Re-lock requirements*.txt from the .in files (`-- --upgrade` to upgrade)."""
    session.run(sys.executable, "-m", "tools", "lock", *session.posargs)


@nox.session(python=PYTHON, default=False)
def lint(session: nox.Session) -> None:
    """Run every pre-commit hook on every file, then mypy, in a fresh env from the locks."""
    install_locked(session)  # mypy reads the project's dependencies
    session.run("python", "-m", "tools", "lint")


if __name__ == "__main__":  # `python noxfile.py -s tests` runs nox on this file
    nox.main()
