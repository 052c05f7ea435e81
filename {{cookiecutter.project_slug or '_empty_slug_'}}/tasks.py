"""invoke tasks: doors into tools/, where each behaviour is implemented once.

`invoke --list` shows them; `invoke <task> --help` shows a task's flags.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from invoke import Context, Exit, task

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tools"))

from project import VENV, venv_python  # noqa: E402 - tools/ is not a package


def _project_python() -> str:
    """The project's .venv interpreter, or the running one (a nox or image env)."""
    python = venv_python(VENV)
    return str(python) if python.exists() else sys.executable


def _run(c: Context, *command: str) -> None:
    result = c.run(shlex.join(command), warn=True, pty=False)
    if result is None or result.exited:
        raise Exit(code=result.exited if result else 1)


@task(help={"force": "rebuild .venv even when it is up to date"})
def env(c: Context, force: bool = False) -> None:
    """Create or sync .venv from the locks (hash-checked; a no-op when nothing changed)."""
    _run(c, sys.executable, "tools/make_env.py", *(["--force"] if force else []))


@task(
    iterable=["upgrade_package"],
    help={
        "upgrade": "re-resolve every pin to the newest allowed version",
        "upgrade_package": "re-resolve only this package (repeatable)",
    },
)
def lock(c: Context, upgrade: bool = False, upgrade_package: list[str] | None = None) -> None:
    """Write requirements.txt and requirements-dev.txt, hashed, from the .in files."""
    args = ["--upgrade"] if upgrade else []
    for name in upgrade_package or []:
        args += ["--upgrade-package", name]
    _run(c, sys.executable, "tools/lock.py", *args)


@task(
    help={
        "strict": "fail on installed packages that no lock names",
        "json": "print the report as JSON",
    }
)
def check_env(c: Context, strict: bool = False, json: bool = False) -> None:
    """Check the project env against the locks (exit 1 with the fix when it drifted)."""
    flags = ["--strict"] * strict + ["--json"] * json
    _run(c, _project_python(), "tools/check_env.py", *flags)


@task(help={"args": "extra arguments for pytest, e.g. '-k summary'"})
def test(c: Context, args: str = "") -> None:
    """Run the project's tests in .venv."""
    _run(c, _project_python(), "-m", "pytest", *shlex.split(args))
