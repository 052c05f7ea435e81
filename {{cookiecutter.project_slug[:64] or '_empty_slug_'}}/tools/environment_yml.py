"""Write environment.yml from requirements.in: the same intent, for conda users.

In a venv project requirements.in is where dependencies are added;
environment.yml is derived from it (and .python-version) by `invoke lock`,
so that someone on conda gets the same packages and ranges without anyone
keeping two files in step. lock-fresh fails when it was edited by hand.
Stdlib only: `invoke lock` runs before anything is installed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .lockfile import CONDA_NAMES
from .project import CUDA_VERSION, DISTRIBUTION, ROOT, ToolError, python_minor, wanted_python

REQUIREMENTS_IN = ROOT / "requirements.in"
ENVIRONMENT_YML = ROOT / "environment.yml"
HEADER = (
    "# Written by `invoke lock` from requirements.in and .python-version: add\n"
    "# dependencies there, not here. For conda users: `conda env create -f\n"
    "# environment.yml`, or `conda-lock -f environment.yml` for a conda lock.\n"
)
PLATFORMS = ("linux-64", "osx-64", "osx-arm64", "win-64")
# `name` + optional version specifiers, nothing else: what a conda spec can say.
_PLAIN_RE = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*((?:[<>=!~]=?\s*[^,;\s\[]+\s*,?\s*)*)")
_SAFE_YAML_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._<>=!~,*\[\]+-]*")


def requirement_lines(text: str) -> list[str]:
    """The requirements of a requirements file, comments and options (`-c`, `-r`) aside."""
    lines = (raw.split(" #", 1)[0].strip() for raw in text.splitlines())
    return [line for line in lines if line and not line.startswith(("#", "-"))]


def conda_spec(requirement: str) -> str | None:
    """`numpy>=1.26` -> `numpy>=1.26`; `torch==2.5.*` -> `pytorch=2.5`; None when conda
    cannot say it (extras, markers, URLs): those go under `pip:` as they are."""
    match = _PLAIN_RE.fullmatch(requirement)
    if not match:
        return None
    name = match.group(1).lower().replace("_", "-")
    parts = [part.replace(" ", "") for part in match.group(2).split(",") if part.strip()]
    converted = []
    for part in parts:
        if part.startswith("==") and part.endswith(".*"):
            part = "=" + part[2:-2]
        elif part.startswith("==="):
            return None
        converted.append(part)
    return CONDA_NAMES.get(name, name) + ",".join(converted)


def yaml_item(text: str) -> str:
    """A list item's scalar: plain when YAML reads it back unchanged, else quoted."""
    return text if _SAFE_YAML_RE.fullmatch(text) else json.dumps(text)


def render(requirements_text: str, python_version: str) -> str:
    """environment.yml for these requirements and Python."""
    conda, pip = [], []
    for requirement in requirement_lines(requirements_text):
        spec = conda_spec(requirement)
        (conda if spec else pip).append(spec or requirement)
    channels = ["conda-forge"] + (["nvidia"] if CUDA_VERSION else [])
    # X.Y, as the locks record it: a patch release changes neither.
    dependencies = [f"python={python_minor(python_version)}", "pip"]
    dependencies += [f"cuda-version={CUDA_VERSION}"] if CUDA_VERSION else []
    lines = [HEADER.rstrip("\n"), f"name: {DISTRIBUTION}", "channels:"]
    lines += [f"  - {channel}" for channel in channels]
    lines += ["dependencies:"] + [f"  - {yaml_item(item)}" for item in dependencies + conda]
    if pip:
        lines += ["  - pip:"] + [f"      - {yaml_item(item)}" for item in pip]
    lines += ["platforms:"] + [f"  - {platform}" for platform in PLATFORMS]
    return "\n".join(lines) + "\n"


def wanted_text() -> str:
    try:
        requirements = REQUIREMENTS_IN.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ToolError("requirements.in is missing; restore it from git") from None
    return render(requirements, wanted_python())


def write(path: Path = ENVIRONMENT_YML) -> bool:
    """Write environment.yml when it differs from what requirements.in gives; True if written."""
    text = wanted_text()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def differs(path: Path = ENVIRONMENT_YML) -> bool:
    """Whether environment.yml is not what requirements.in and .python-version give."""
    return not path.exists() or path.read_text(encoding="utf-8") != wanted_text()
