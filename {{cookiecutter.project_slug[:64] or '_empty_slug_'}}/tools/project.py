"""Facts about this project that every tool shares, and the error contract.

Stdlib only: these tools run before anything is installed.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "{{ cookiecutter.package_name }}"
DISTRIBUTION = "{{ cookiecutter.project_slug }}"
LOCK_TOOL = "{{ cookiecutter.lock_tool }}"
ENV_MANAGER = "{{ cookiecutter.env_manager }}"
# The CUDA X.Y of the GPU variant; empty in a CPU-only project.
CUDA_VERSION = "{{ cookiecutter.__cuda_version }}"
# The lock tool version a fresh clone bootstraps before requirements-dev.txt
# exists; once it does, the version pinned there wins.
LOCK_TOOL_VERSION = "{{ cookiecutter.__pip_tools_version if cookiecutter.lock_tool == 'pip-tools' else cookiecutter.__uv_version }}"

# (lock, input) pairs, in the order they are locked: the dev input is
# constrained by the runtime lock, so the runtime lock comes first.
LOCKS = (("requirements.txt", "requirements.in"), ("requirements-dev.txt", "requirements-dev.in"))
# Locks only images install: their wheels (CUDA runtimes) exist for Linux
# only, so `make env` on a laptop leaves them out; `invoke lock` writes them.
{%- if cookiecutter.docker and cookiecutter.gpu != "no" %}
IMAGE_LOCKS: tuple[tuple[str, str], ...] = (("requirements-gpu.txt", "requirements-gpu.in"),)
{%- else %}
IMAGE_LOCKS: tuple[tuple[str, str], ...] = ()
{%- endif %}
ALL_LOCKS = LOCKS + IMAGE_LOCKS
# `-r` arguments for the locks an env installs (`make env`, nox), in order.
LOCK_REQUIREMENT_ARGS = tuple(arg for lock_name, _ in LOCKS for arg in ("-r", lock_name))
# The project itself, after the locks: no dependencies (the locks bring them),
# no build isolation and no index, so the locked build backend builds it and
# no unpinned backend is fetched.
PROJECT_INSTALL_ARGS = ("--no-deps", "--no-build-isolation", "--no-index", "--editable", ".")
DEV_LOCK = ROOT / "requirements-dev.txt"
VENV = ROOT / ".venv"
PYTHON_VERSION_FILE = ROOT / ".python-version"

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNEXPECTED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class ToolError(Exception):
    """An expected failure: the message says what failed and how to fix it."""


def venv_python(venv: Path = VENV) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def workflows(root: Path = ROOT) -> list[Path]:
    """The CI workflow files."""
    folder = root / ".github" / "workflows"
    return sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])


def wanted_python() -> str:
    """The version in .python-version (X.Y or X.Y.Z)."""
    try:
        version = PYTHON_VERSION_FILE.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ToolError(
            ".python-version is missing; write the project's Python (e.g. 3.11) into it"
        ) from None
    parts = version.split(".")
    if not (2 <= len(parts) <= 3 and all(part.isdigit() for part in parts)):
        raise ToolError(f".python-version holds '{version}', not X.Y or X.Y.Z; write e.g. 3.11")
    return version


def load_pyproject() -> dict | None:
    """pyproject.toml parsed, or None where no TOML reader exists (3.10 without tomli)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: tomli is there when pytest is
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            return None
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def python_minor(version: str) -> str:
    """'3.11.7' -> '3.11'."""
    return ".".join(version.split(".")[:2])


def version_matches(found: str, wanted: str) -> bool:
    """'3.11.7' matches a wanted '3.11' or '3.11.7', not '3.12' or '3.11.8'."""
    return found.split(".")[: len(wanted.split("."))] == wanted.split(".")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def handle_termination() -> None:
    """SIGTERM and SIGHUP (a closed terminal, `kill`, a job scheduler) act like Ctrl-C,
    so every `finally` and rollback runs before the process ends."""
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _interrupt)


def _quiet_stdout() -> None:
    """After a reader closed the pipe (`| head`), send what is left nowhere, silently."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def run_main(main: Callable[[Sequence[str] | None], int]) -> None:
    """Map the outcome of a tool's main() to the documented exit codes."""
    handle_termination()
    try:
        code = main(None)
        sys.stdout.flush()
    except ToolError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        code = EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        code = EXIT_FAILED
    except Exception as error:  # noqa: BLE001 - the last line of defence
        log = write_crash_log()
        print(
            f"ERROR: unexpected {type(error).__name__}: {error}; the traceback is in {log}: "
            "please report it with the command you ran",
            file=sys.stderr,
        )
        code = EXIT_UNEXPECTED
    raise SystemExit(code)


def write_crash_log() -> str:
    """The traceback of the exception being handled, with the versions a report needs,
    in .cache/errors/ (the path, relative to the project, is returned)."""
    import platform
    import time
    import traceback

    folder = ROOT / ".cache" / "errors"
    text = (
        f"command: {' '.join(sys.argv)}\npython: {sys.version}\n"
        f"platform: {platform.platform()}\nproject: {DISTRIBUTION} ({LOCK_TOOL}, {ENV_MANAGER})\n\n"
        + traceback.format_exc()
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / time.strftime("%Y%m%d-%H%M%S.log")
        log.write_text(text, encoding="utf-8")
        return log.relative_to(ROOT).as_posix()
    except OSError:  # a read-only checkout: the traceback goes to stderr instead
        print(text, file=sys.stderr)
        return "the output above"
