"""Write the project's second description of its dependencies from the one a person edits.

A venv project edits requirements.in and gets environment.yml; a conda project edits
environment.yml and gets requirements.in (PyPI names, without `# conda-only` lines and conda's
own packages). Stdlib only: `invoke lock` runs this before anything is installed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from . import project
from .lockfile import CONDA_NAMES
from .project import CUDA_VERSION, ENV_MANAGER, ROOT, ToolError, python_minor, wanted_python

# The file a person edits, the file written from it, and what messages say it is written from.
if ENV_MANAGER == "conda":
    INTENT, DERIVED = ROOT / "environment.yml", ROOT / "requirements.in"
    SOURCES = "environment.yml gives"
else:
    INTENT, DERIVED = ROOT / "requirements.in", ROOT / "environment.yml"
    SOURCES = "requirements.in and .python-version give"
REQUIREMENTS_HEADER = (
    "# Written by `invoke lock` from environment.yml: add dependencies there, not\n"
    "# here. The pip locks (requirements.txt), nox and CI install from this file.\n"
)
# Packages of environment.yml that are conda's own, with nothing to install from PyPI.
CONDA_ONLY_NAMES = {"python", "pip", "cuda-version"}
_CONDA_SPEC_RE = re.compile(r"^(?:[\w.-]+::)?([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$")
HEADER = (
    "# Written by `invoke lock` from requirements.in and .python-version: add\n"
    "# dependencies there, not here. For conda users: `conda env create -f\n"
    "# environment.yml`, or `conda-lock -f environment.yml` for a conda lock.\n"
)
PLATFORMS = ("linux-64", "osx-64", "osx-arm64", "win-64")
# `name` + optional version specifiers (not `===`), nothing else: what a conda spec can say.
_PLAIN_RE = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*((?:[<>=!~]=?\s*(?!=)[^,;\s\[]+\s*,?\s*)*)")
_SAFE_YAML_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._<>=!~,*\[\]+-]*")


def conda_spec(requirement: str) -> str | None:
    """`numpy>=1.26` -> `numpy>=1.26`; `torch==2.5.*` -> `pytorch=2.5`; None when conda
    cannot say it (extras, markers, URLs): those go under `pip:` as they are."""
    match = _PLAIN_RE.fullmatch(requirement)
    if not match:
        return None
    name = match.group(1).lower().replace("_", "-")
    parts = [part.replace(" ", "") for part in match.group(2).split(",") if part.strip()]
    parts = ["=" + part[2:-2] if part[:2] == "==" and part[-2:] == ".*" else part for part in parts]
    return CONDA_NAMES.get(name, name) + ",".join(parts)


def yaml_item(text: str) -> str:
    """A list item's scalar: plain when YAML reads it back unchanged, else quoted."""
    return text if _SAFE_YAML_RE.fullmatch(text) else json.dumps(text)


def render(requirements_text: str, python_version: str) -> str:
    """environment.yml for these requirements and Python."""
    conda, pip = [], []
    texts = (raw.split(" #", 1)[0].strip() for raw in requirements_text.splitlines())
    for requirement in (text for text in texts if text and not text.startswith(("#", "-"))):
        spec = conda_spec(requirement)
        (conda if spec else pip).append(spec or requirement)
    channels = ["conda-forge"] + (["nvidia"] if CUDA_VERSION else [])
    # X.Y, as the locks record it: a patch release changes neither.
    dependencies = [f"python={python_minor(python_version)}", "pip"]
    dependencies += [f"cuda-version={CUDA_VERSION}"] if CUDA_VERSION else []
    lines = [HEADER.rstrip("\n"), f"name: {project.DISTRIBUTION}", "channels:"]
    lines += [f"  - {channel}" for channel in channels]
    lines += ["dependencies:"] + [f"  - {yaml_item(item)}" for item in dependencies + conda]
    if pip:
        lines += ["  - pip:"] + [f"      - {yaml_item(item)}" for item in pip]
    lines += ["platforms:"] + [f"  - {platform}" for platform in PLATFORMS]
    return "\n".join(lines) + "\n"


def pip_range(conda_version: str) -> str:
    """A conda version spec in pip's terms: `=1.2` -> `==1.2.*`, `1.2` -> `==1.2`, a build
    string dropped; parts sorted, so that one range has one spelling."""
    parts = []
    for part in filter(None, (conda_version.split() or [""])[0].split(",")):
        if part.startswith("=") and not part.startswith("=="):
            part = "==" + part[1:] + ("" if part.endswith("*") else ".*")
        elif part[:1].isdigit():
            part = "==" + part
        parts.append(part)
    return ",".join(sorted(parts))


def render_requirements() -> str:
    """requirements.in for a conda project's environment.yml."""
    from . import conda_meta

    lines = [REQUIREMENTS_HEADER.rstrip("\n")]
    for spec in conda_meta.read_environment(INTENT).specs:
        if spec.pip:
            lines.append(spec.text)
            continue
        match = _CONDA_SPEC_RE.match(spec.text)
        if not match:
            what = f"environment.yml:{spec.line}: cannot read `{spec.text}` as a conda spec"
            raise ToolError(what, "write `name`, `name>=1.2` or `name=1.2`")
        name = match.group(1).lower()
        if spec.conda_only or name in CONDA_ONLY_NAMES:
            continue
        lines.append(conda_meta.pypi_name(name) + pip_range(match.group(2)))
    return "\n".join(lines) + "\n"


def wanted_text() -> str:
    """What the derived file must hold, from the intent file as it is now."""
    if not INTENT.exists():
        raise ToolError(f"{INTENT.name} is missing; restore it from git")
    if ENV_MANAGER == "conda":
        return render_requirements()
    return render(INTENT.read_text(encoding="utf-8"), wanted_python())


def write(path: Path = DERIVED) -> bool:
    """Write the derived file when it differs from what the intent gives; True if written."""
    if not differs(path):
        return False
    path.write_text(wanted_text(), encoding="utf-8", newline="\n")  # LF, as committed
    return True


def differs(path: Path = DERIVED) -> bool:
    return not path.exists() or path.read_text(encoding="utf-8") != wanted_text()
