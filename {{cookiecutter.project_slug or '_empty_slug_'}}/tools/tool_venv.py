"""Tools a project needs before its env exists (pip-compile, uv, conda-lock).

Each is installed once, at a pinned version, into its own venv under
`.cache/lock-tools/`, so a fresh clone can lock without anything installed.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from project import ROOT, ToolError, venv_python

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
    steps = [
        [python(), "-m", "venv", str(tool_venv)],
        [str(venv_python(tool_venv)), "-m", "pip", "install", "--quiet", f"{package}=={version}"],
    ]
    for step in steps:
        if subprocess.run(step, check=False).returncode != 0:
            shutil.rmtree(tool_venv, ignore_errors=True)
            raise ToolError(
                f"could not install {package}=={version}; check the network and the "
                "package index, then run the command again"
            )
    return executable
