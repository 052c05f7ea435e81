"""Tools a project needs before its env exists (pip-compile, uv, conda-lock).

Each is installed once, at a pinned version, into its own venv under
`.cache/lock-tools/`, so a fresh clone can lock without anything installed.
Stdlib only.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from .find_python import find_python
from .project import ROOT, ToolError, venv_python, wanted_python
from .steps import StepFailed, run_step

TOOL_CACHE = ROOT / ".cache" / "lock-tools"


def cached_tool(
    package: str, version: str, command: str, python_tag: str, python: Callable[[], str]
) -> Path:
    """Path of `command` from `package==version`; `python()` makes the venv when missing."""
    tool_venv = TOOL_CACHE / f"{package}-{version}-py{python_tag}"
    suffix = venv_python(tool_venv).suffix  # ".exe" on Windows
    executable = venv_python(tool_venv).with_name(command + suffix)
    if executable.exists():
        return executable
    print(
        f"tools: installing {package}=={version} into {tool_venv.relative_to(ROOT)} "
        "(once per version)",
        flush=True,
    )
    doing = f"installing {package}=={version}"
    steps = [
        [python(), "-m", "venv", str(tool_venv)],
        # Not --quiet: pip's progress, and the index it names, are worth seeing once.
        [str(venv_python(tool_venv)), "-m", "pip", "install", f"{package}=={version}"],
    ]
    try:
        for step in steps:
            run_step("tools", step, doing, cwd=ROOT)
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
    python_version = wanted_python()
    return cached_tool(
        package, version, command, python_version, lambda: find_python(python_version)
    )
