"""invoke tasks: doors into tools/, where each behaviour is implemented once.

`invoke --list` shows them; `invoke <task> --help` shows a task's flags.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from invoke import Context, Exit, task

ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / "tools"
sys.path.insert(0, str(TOOLS))

{%- if cookiecutter.env_manager == "conda" %}
from conda_meta import conda_python  # noqa: E402 - tools/ is not a package
from project import EXIT_INTERRUPTED  # noqa: E402


def _project_python() -> str:
    """The project's env interpreter (.conda-env), or the running one (nox, image)."""
    python = conda_python()
    return str(python) if python.exists() else sys.executable
{%- else %}
from project import EXIT_INTERRUPTED, VENV, venv_python  # noqa: E402 - tools/ is not a package


def _project_python() -> str:
    """The project's env interpreter (.venv), or the running one (nox, image)."""
    python = venv_python(VENV)
    return str(python) if python.exists() else sys.executable
{%- endif %}


def _run(c: Context, *command: str) -> None:
    """Run a tool from the project root, wherever invoke was started (tests/, src/...).

    Not through `c.run`: invoke would copy the command's output through its
    own threads (a closed `| head` then ends in its traceback) and its stdin
    into the command. The command inherits the terminal instead, and its own
    exit code, Ctrl-C included, is the task's.
    """
    try:
        code = subprocess.run(command, cwd=ROOT, check=False).returncode
    except KeyboardInterrupt:
        raise Exit("interrupted", code=EXIT_INTERRUPTED) from None
    if code:
        raise Exit(code=code)


def _from_root(typed: str) -> str:
    """A path typed where invoke was started, as the tools (run from the root) must see it."""
    path = Path(typed).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


@task(help={"force": "rebuild from scratch, even when the env could be synced in place"})
def env(c: Context, force: bool = False) -> None:
    """Make the project env exactly the locks (.venv, or .conda-env for conda projects)."""
    _run(c, sys.executable, str(TOOLS / "make_env.py"), *(["--force"] if force else []))
{%- if cookiecutter.env_manager == "conda" %}


@task(
    iterable=["upgrade_package"],
    help={
        "upgrade": "re-resolve every pin to the newest allowed version",
        "upgrade_package": "re-resolve only this package (repeatable)",
        "conda": "also write conda-lock.yml from environment.yml (--no-conda skips it)",
    },
)
def lock(
    c: Context, upgrade: bool = False, upgrade_package: list[str] | None = None, conda: bool = True
) -> None:
    """Write requirements.txt, requirements-dev.txt and conda-lock.yml, hashed."""
    args = ["--upgrade"] if upgrade else []
    for name in upgrade_package or []:
        args += ["--upgrade-package", name]
    args.append("--conda" if conda else "--no-conda")
    _run(c, sys.executable, str(TOOLS / "lock.py"), *args)
{%- else %}


@task(
    iterable=["upgrade_package"],
    help={
        "upgrade": "re-resolve every pin to the newest allowed version",
        "upgrade_package": "re-resolve only this package (repeatable)",
    },
)
def lock(c: Context, upgrade: bool = False, upgrade_package: list[str] | None = None) -> None:
    """Write requirements.txt and requirements-dev.txt, hashed; environment.yml from the .in."""
    args = ["--upgrade"] if upgrade else []
    for name in upgrade_package or []:
        args += ["--upgrade-package", name]
    _run(c, sys.executable, str(TOOLS / "lock.py"), *args)
{%- endif %}


@task(
    help={
        "strict": "fail on installed packages that no lock names",
        "json": "print the report as JSON",
        "imports": "also import the packages pyproject.toml lists (slower; nox and CI do)",
        "deep": "also verify every installed file against its RECORD hash",
    }
)
def check_env(
    c: Context, strict: bool = False, json: bool = False, imports: bool = False, deep: bool = False
) -> None:
    """Check the project env against the locks (exit 1 with the fix when it drifted)."""
    flags = ["--strict"] * strict + ["--json"] * json + ["--imports"] * imports + ["--deep"] * deep
    _run(c, _project_python(), str(TOOLS / "check_env.py"), *flags)


@task(help={"args": "extra arguments for pytest, e.g. '-k summary'"})
def test(c: Context, args: str = "") -> None:
    """Run the project's tests in the project env."""
    _run(c, _project_python(), "-m", "pytest", *shlex.split(args))


@task(
    help={
        "output": "where to write the report (default: env-report.json)",
        "compare": "a report written elsewhere: list what differs, exit 1 if anything matters",
    }
)
def report(c: Context, output: str = "", compare: str = "") -> None:
    """Write the project env's report (Python, platform, packages, lock hashes) or compare one."""
    # Paths a person types are relative to where they are; the default is the root's.
    if compare:
        flags = ["--compare", _from_root(compare)]
    else:
        flags = ["--output", _from_root(output) if output else "env-report.json"]
    _run(c, _project_python(), str(TOOLS / "report.py"), *flags)


@task(help={"pins": "run only the pin checks (offline, instant), not every pre-commit hook"})
def lint(c: Context, pins: bool = False) -> None:
    """Run every pre-commit hook on every file: ruff, file hygiene and the pin checks."""
    if pins:
        _run(c, sys.executable, str(TOOLS / "pin_checks.py"))
        return
    _run(c, _project_python(), "-m", "pre_commit", "run", "--all-files", "--show-diff-on-failure")
{%- if cookiecutter.docker %}


def _container(c: Context, action: str, target: str, args: str, *rest: str) -> None:
    """One door into tools/container.py (engine choice, tags, labels, error lines)."""
    _run(
        c,
        sys.executable,
        str(TOOLS / "container.py"),
        action,
        f"--target={target}",
        f"--args={args}",
        *rest,
    )


CONTAINER_ARGS_HELP = (
    "extra engine arguments, added after $CONTAINER_{}_ARGS (e.g. '--network host')"
)


@task(
    help={
        "target": "image stage: cpu{{ ' or gpu' if cookiecutter.gpu != "no" else '' }}",
        "args": CONTAINER_ARGS_HELP.format("BUILD"),
    }
)
def docker_build(c: Context, target: str = "cpu", args: str = "") -> None:
    """Build the image from the locks; tags <slug>:<target> and <slug>:<target>-<lock hash>."""
    _container(c, "build", target, args)


@task(
    help={
        "target": "image stage to run",
        "command": "command to run in the image (default: python -m <package>)",
        "args": CONTAINER_ARGS_HELP.format("RUN") + "; '--gpus all' for the gpu image",
    }
)
def docker_run(c: Context, target: str = "cpu", command: str = "", args: str = "") -> None:
    """Run the built image (its default command, or --command)."""
    _container(c, "run", target, args, "--", *shlex.split(command))


@task(
    help={
        "target": "image stage to check",
        "image": "check this image instead of <slug>:<target>",
        "args": CONTAINER_ARGS_HELP.format("RUN"),
    }
)
def docker_check(c: Context, target: str = "cpu", image: str = "", args: str = "") -> None:
    """Run check-env --strict --imports inside the image (its REPRO_LOCKS names the locks)."""
    _container(c, "check", target, args, *([f"--image={image}"] if image else []))
{%- endif %}
