"""Facts about this project that every tool shares, and the error contract.

Stdlib only: these tools run before anything is installed.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
# (lock, input) pairs in locking order: the dev input is constrained by the runtime lock.
LOCKS = (("requirements.txt", "requirements.in"), ("requirements-dev.txt", "requirements-dev.in"))
# The GPU variant's lock: its CUDA wheels exist for Linux only, so the CPU env is the default.
GPU_LOCKS = (("requirements-gpu.txt", "requirements-gpu.in"),)
# Only hash-matching wheels: a bad hash fails instead of building an sdist (code run at install)
HASH_CHECKING = ("--require-hashes",)
WHEELS_ONLY = ("--only-binary", ":all:")
LOCK_INSTALL_ARGS = HASH_CHECKING + WHEELS_ONLY
# The project after the locks: the locked build backend builds it, no unpinned one is fetched.
PROJECT_INSTALL_ARGS = ("--no-deps", "--no-build-isolation", "--no-index", "--editable", ".")
DEV_LOCK = ROOT / "requirements-dev.txt"
PYTORCH_INDEX = "https://download.pytorch.org/whl/"  # + a build (cpu, cu128...): an index each
VENV = ROOT / ".venv"
PYTHON_VERSION_FILE = ROOT / ".python-version"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNEXPECTED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
_RESTORE = "restore it with `git checkout -- .cruft.json`"


class ToolError(Exception):
    """An expected failure: what failed and its fix, kept apart for checks ("what; fix")."""

    def __init__(self, what: str, fix: str = "") -> None:
        super().__init__(f"{what}; {fix}" if fix else what)
        self.what, self.fix = what, fix


class UsageError(Exception):
    """A command line the CLI refuses (exit 2): the message says why."""


@cache
def answers() -> dict:
    """The bake's answers, as cruft records them in .cruft.json (`cruft update` keeps it)."""
    try:
        record = json.loads((ROOT / ".cruft.json").read_text(encoding="utf-8"))
        return dict(record["context"]["cookiecutter"])
    except FileNotFoundError:
        what = ".cruft.json is missing: the tools read the project's answers from it"
    except (ValueError, KeyError, TypeError) as error:
        what = f".cruft.json does not hold the answers ({error})"
    raise ToolError(what, _RESTORE)


@cache
def _facts() -> dict[str, object]:
    given = answers()
    try:
        lock_tool, cuda = given["lock_tool"], given["__cuda_version"]
        framework = given.get("framework", "none")
        gpu_locks = GPU_LOCKS if given["gpu"] != "no" else ()
        backends = {"requirements.txt": "cpu"} if framework == "pytorch" else {}
        if backends and cuda and int(cuda.split(".")[0]) < 13:  # CUDA 13's are on the index
            backends["requirements-gpu.txt"] = "cu" + cuda.replace(".", "")
        return {
            "PACKAGE": given["package_name"],
            "DISTRIBUTION": given["project_slug"],
            "LOCK_TOOL": lock_tool,
            "ENV_MANAGER": given["env_manager"],
            "DOCKER": bool(given["docker"]),
            "EXERCISES": bool(given["exercises"]),
            "CUDA_VERSION": cuda,  # the GPU variant's CUDA X.Y; empty without one
            # What a fresh clone bootstraps before requirements-dev.txt pins it.
            "LOCK_TOOL_VERSION": given[f"__{lock_tool.replace('-', '_')}_version"],
            "UV_VERSION": given["__uv_version"],  # uv writes pylock.toml in every project
            "FRAMEWORK": framework,
            "CLUSTER": given.get("cluster", "none"),  # none, slurm, kubernetes or all
            # Lock -> the PyTorch index build its torch family comes from (pytorch only).
            "TORCH_BACKENDS": backends,
            "GPU": bool(gpu_locks),
            "ALL_LOCKS": LOCKS + gpu_locks,
        }
    except (KeyError, TypeError) as error:
        what = f".cruft.json does not hold the answers ({error} is missing)"
        raise ToolError(what, _RESTORE) from None


def __getattr__(name: str) -> object:
    """PACKAGE, LOCK_TOOL...: read when first asked for (no .cruft.json is no import crash)."""
    if name.isupper() and name in _facts():
        return _facts()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def runtime_locks(variant: str) -> tuple[str, ...]:
    """The runtime locks of an env variant ("cpu" or "gpu"), as the gpu image installs them:
    torch's CUDA build replaces its CPU build, other GPU locks add to requirements.txt."""
    if variant == "cpu":
        return (LOCKS[0][0],)
    gpu_lock = GPU_LOCKS[0][0]
    return (gpu_lock,) if _facts()["FRAMEWORK"] == "pytorch" else (LOCKS[0][0], gpu_lock)


def variant_of(lock_names: list[str]) -> str:
    """The variant ("gpu" or "cpu") these locks are: how tools tell which env they see."""
    return "gpu" if GPU_LOCKS[0][0] in lock_names else "cpu"


def env_locks(variant: str) -> tuple[str, ...]:
    """Every lock `make env` installs for a variant: its runtime locks, then the dev lock."""
    return (*runtime_locks(variant), LOCKS[1][0])


def venv_python(venv: Path = VENV) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def env_python() -> Path:
    """The project env's interpreter: .conda-env's in a conda project, else .venv's."""
    if _facts()["ENV_MANAGER"] == "conda":
        from .conda_meta import conda_python

        return conda_python()
    return venv_python(VENV)


def workflows(root: Path = ROOT) -> list[Path]:
    folder = root / ".github" / "workflows"
    return sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])


def wanted_python() -> str:
    """The version in .python-version (X.Y or X.Y.Z)."""
    try:
        version = PYTHON_VERSION_FILE.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        fix = "write the project's Python (e.g. 3.11) into it"
        raise ToolError(".python-version is missing", fix) from None
    parts = version.split(".")
    if not (2 <= len(parts) <= 3 and all(part.isdigit() for part in parts)):
        raise ToolError(f".python-version holds '{version}', not X.Y or X.Y.Z", "write e.g. 3.11")
    return version


def trailing_words(words: list[str]) -> list[str]:
    """A verb's trailing command (argparse.REMAINDER) without the `--` that starts it."""
    return words[1:] if words[:1] == ["--"] else words


def toml_module() -> ModuleType | None:
    """tomllib, else tomli (Python 3.10, where pytest brings it), else None."""
    for name in ("tomllib", "tomli"):
        with contextlib.suppress(ModuleNotFoundError):
            return importlib.import_module(name)
    return None


def load_pyproject() -> dict | None:
    """pyproject.toml parsed, or None where no TOML reader exists (3.10 without tomli)."""
    toml = toml_module()
    return toml and toml.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def python_minor(version: str) -> str:
    """'3.11.7' -> '3.11'."""
    return ".".join(version.split(".")[:2])


def version_matches(found: str, wanted: str) -> bool:
    """'3.11.7' matches a wanted '3.11' or '3.11.7', not '3.12' or '3.11.8'."""
    return found.split(".")[: len(wanted.split("."))] == wanted.split(".")


def handle_termination() -> None:
    """SIGTERM and SIGHUP (`kill`, a closed terminal) act like Ctrl-C: every rollback runs."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), interrupt)


def write_crash_log() -> str:
    """Log the handled exception's traceback and versions in .cache/errors/; return where."""
    import platform
    import time
    import traceback

    try:
        facts = _facts()
        about = f"{facts['DISTRIBUTION']} ({facts['LOCK_TOOL']}, {facts['ENV_MANAGER']})"
    except ToolError as error:
        about = str(error)
    text = (
        f"command: {' '.join(sys.argv)}\npython: {sys.version}\n"
        f"platform: {platform.platform()}\nproject: {about}\n\n" + traceback.format_exc()
    )
    try:
        # One file per crash: two in the same second (parallel jobs) keep both.
        log = ROOT / ".cache" / "errors" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(text, encoding="utf-8")
        return log.relative_to(ROOT).as_posix()
    except OSError:  # a read-only checkout: the traceback goes to stderr instead
        print(text, file=sys.stderr)
        return "the output above"
