"""What a project needs before its env exists: its Python, and tools to lock with.

`find_python` asks every candidate for its own version: a pyenv shim may start another
Python than its name says. Tools (pip-compile, uv, conda-lock) are each installed once, at
a pinned version, into their own venv under `.cache/lock-tools/`, so a fresh clone can lock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from .project import ROOT, ToolError, python_minor, venv_python, version_matches, wanted_python
from .steps import StepFailed, run_step

TOOL_CACHE = ROOT / ".cache" / "lock-tools"
# A venv's interpreter answers with the base interpreter behind it: a venv
# about to be rebuilt must not be the base of its own replacement.
_ASK = (
    "import sys; print('.'.join(map(str, sys.version_info[:3])));"
    "print(getattr(sys, '_base_executable', sys.executable))"
)


def interpreter_version(python: str | Path) -> tuple[str, str] | None:
    """(X.Y.Z, base interpreter path) of a candidate, or None when it does not start."""
    try:  # -I -S: no site, no .pth files to run; the answer needs neither.
        probe = subprocess.run(
            [str(python), "-I", "-S", "-c", _ASK], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = probe.stdout.splitlines()
    return (lines[0], lines[1]) if probe.returncode == 0 and len(lines) == 2 else None


def candidates(version: str) -> Iterator[str | Path]:
    """Interpreters that may be `version`: this one, PATH's, pyenv's, then what the py
    launcher or uv finds (when installed)."""
    minor = python_minor(version)
    yield sys.executable
    yield from filter(None, map(shutil.which, (f"python{version}", f"python{minor}", "python3")))
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for folder in sorted((pyenv / "versions").glob(f"{version}*"), reverse=True):
        yield folder / ("python.exe" if os.name == "nt" else "bin/python")
    finders = [["uv", "python", "find", "--no-project", version]]
    if os.name == "nt":
        finders.insert(0, ["py", f"-{minor}", "-c", "import sys; print(sys.executable)"])
    for finder in filter(lambda command: shutil.which(command[0]), finders):
        probe = subprocess.run(finder, capture_output=True, text=True, check=False)
        if probe.returncode == 0:
            yield probe.stdout.strip()


def find_python(version: str | None = None) -> str:
    """Path of an interpreter of the wanted version, or a ToolError saying how to get one."""
    version = version or wanted_python()
    seen: set[str] = set()
    for candidate in candidates(version):
        if str(candidate) in seen or not Path(candidate).exists():
            continue
        seen.add(str(candidate))
        found = interpreter_version(candidate)
        if found and version_matches(found[0], version):
            return found[1]
    raise ToolError(
        f"Python {version} (named by .python-version) is not installed; install it "
        f"(`pyenv install {version}`, `uv python install {version}` or python.org), "
        "or write an installed version into .python-version"
    )


def cached_tool(
    package: str, version: str, command: str, python_tag: str, python: Callable[[], str]
) -> Path:
    """Path of `command` from `package==version`; `python()` makes the venv when missing."""
    tool_venv = TOOL_CACHE / f"{package}-{version}-py{python_tag}"
    tool_python = venv_python(tool_venv)
    executable = tool_python.with_name(command + tool_python.suffix)  # ".exe" on Windows
    if executable.exists():
        return executable
    doing = f"installing {package}=={version}"
    print(f"tools: {doing} into {tool_venv.relative_to(ROOT)} (once per version)", flush=True)
    try:
        run_step("tools", [python(), "-m", "venv", str(tool_venv)], doing, cwd=ROOT)
        # Not --quiet: pip's progress, and the index it names, are worth seeing once.
        install = [str(tool_python), "-m", "pip", "install", f"{package}=={version}"]
        run_step("tools", install, doing, cwd=ROOT)
    except StepFailed as error:
        raise ToolError(f"{error}; run the command again once that is fixed") from None
    finally:
        # Half-made (or interrupted): a later run must not find a venv without the tool.
        if not executable.exists():
            shutil.rmtree(tool_venv, ignore_errors=True)
    return executable


def bootstrapped(package: str, version: str, command: str) -> Path:
    """`command` of `package==version`, installed once into a cache venv of the project's
    Python (the lock tool, and pylock.toml's uv in pip-tools projects)."""
    wanted = wanted_python()
    return cached_tool(package, version, command, wanted, lambda: find_python(wanted))
