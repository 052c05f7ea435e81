"""Find an interpreter whose version is the one .python-version names.

Every candidate is asked for its own version: a pyenv shim may start a
different Python than its name says, and that must not pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from .project import ToolError, version_matches, wanted_python

# A venv's interpreter answers with the base interpreter behind it: a venv
# about to be rebuilt must not be the base of its own replacement.
_ASK = (
    "import sys; print('.'.join(map(str, sys.version_info[:3])));"
    "print(getattr(sys, '_base_executable', sys.executable))"
)


def interpreter_version(python: str | Path) -> tuple[str, str] | None:
    """(X.Y.Z, base interpreter path) of a candidate, or None when it does not start."""
    try:
        # -I -S: no site, no .pth files to run; the answer needs neither.
        command = [str(python), "-I", "-S", "-c", _ASK]
        probe = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = probe.stdout.splitlines()
    return (lines[0], lines[1]) if probe.returncode == 0 and len(lines) == 2 else None


def _pyenv_candidates(version: str) -> Iterator[Path]:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found = sorted((root / "versions").glob(f"{version}*"), reverse=True)
    for folder in found:
        yield folder / ("python.exe" if os.name == "nt" else "bin/python")


def _windows_launcher(version: str) -> Iterator[str]:
    if os.name != "nt" or shutil.which("py") is None:
        return
    minor = ".".join(version.split(".")[:2])
    probe = subprocess.run(
        ["py", f"-{minor}", "-c", "import sys; print(sys.executable)"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode == 0:
        yield probe.stdout.strip()


def _uv_candidates(version: str) -> Iterator[str]:
    if shutil.which("uv") is None:
        return
    probe = subprocess.run(
        ["uv", "python", "find", "--no-project", version],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode == 0:
        yield probe.stdout.strip()


def candidates(version: str) -> Iterator[str | Path]:
    minor = ".".join(version.split(".")[:2])
    yield sys.executable
    for name in (f"python{version}", f"python{minor}", "python3"):
        path = shutil.which(name)
        if path:
            yield path
    yield from _pyenv_candidates(version)
    yield from _windows_launcher(version)
    yield from _uv_candidates(version)


def find_python(version: str | None = None) -> str:
    """Path of an interpreter of the wanted version, or a ToolError saying how to get one."""
    version = version or wanted_python()
    seen: set[str] = set()
    for candidate in candidates(version):
        key = str(candidate)
        if key in seen or not Path(candidate).exists():
            continue
        seen.add(key)
        found = interpreter_version(candidate)
        if found and version_matches(found[0], version):
            return found[1]
    raise ToolError(
        f"Python {version} (named by .python-version) is not installed; install it "
        f"(`pyenv install {version}`, `uv python install {version}` or python.org), "
        "or write an installed version into .python-version"
    )
