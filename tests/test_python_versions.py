"""Slow tier: each supported Python that is installed here builds and passes check-env.

A version that is not installed on this machine is skipped, and the skip
says which one and why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CHECK_ENV, OPTIONS, bake_into, run, venv_python

pytestmark = pytest.mark.slow
PYTHONS = OPTIONS["__supported_pythons"]


def installed(version: str) -> bool:
    """True when some interpreter on this machine reports this X.Y."""
    roots = sorted((Path(os.environ["PYENV_ROOT"]) / "versions").glob(f"{version}.*"))
    candidates = [shutil.which(f"python{version}"), *(str(r / "bin" / "python") for r in roots)]
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys; print(sys.version[:5])"],
                               capture_output=True, text=True)  # fmt: skip
        if probe.returncode == 0 and probe.stdout.startswith(version):
            return True
    return False


@pytest.mark.parametrize("version", PYTHONS)
def test_env_builds_with_each_python(version: str, tmp_path: Path) -> None:
    """`make env` finds the Python of .python-version and check-env --strict passes."""
    if not installed(version):
        pytest.skip(f"Python {version} is not installed on this machine")
    project = bake_into(tmp_path, python_version=version, lock_tool="uv")
    run(["make", "env"], cwd=project)
    result = run([str(venv_python(project)), *CHECK_ENV, "--strict"], cwd=project)
    assert f"matches .python-version ({version})" in result.stdout
