"""conda-agrees: requirements.in and environment.yml name the same packages and ranges.

Offline and instant. Every requirement of requirements.in must appear in
environment.yml (as a conda spec, or under `pip:` when conda-forge lacks it)
with the same version range, and the other way round; environment.yml's
`python=` must name .python-version. `pip`, `cuda-version` and lines marked
`# conda-only` (native libraries with no PyPI package) are conda's alone.
Exit 0 when they agree, 1 with a line for each side of each disagreement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import conda_meta, lockfile
from .findings import Finding, error_finding, report
from .project import PYTHON_VERSION_FILE, ROOT, ToolError, wanted_python

CHECK = "conda-agrees"
REQUIREMENTS_IN = ROOT / "requirements.in"
ENVIRONMENT_ONLY = {"python", "pip", "cuda-version"}
_PIP_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;]*)(;.*)?$")
_CONDA_RE = re.compile(r"^(?:[\w.-]+::)?([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$")


@dataclass
class Requirement:
    path: Path
    line: int
    text: str
    range: str  # normalised: comma-joined, sorted, pip operators


def pip_range(spec: str) -> str:
    parts = [part for part in re.sub(r"\s+", "", spec).split(",") if part]
    return ",".join(sorted(parts))


def conda_range(spec: str) -> str:
    """A conda version spec in pip's terms: `=1.2` -> `==1.2.*`, `1.2.*` -> `==1.2.*`."""
    version = spec.strip().split()[0] if spec.strip() else ""  # drop a build string
    parts = []
    for part in filter(None, version.split(",")):
        if part.startswith("=") and not part.startswith("=="):
            part = "==" + part[1:] + ("" if part.endswith("*") else ".*")
        elif part[:1].isdigit():
            part = "==" + part
        parts.append(part)
    return ",".join(sorted(parts))


def read_requirements(path: Path = REQUIREMENTS_IN) -> dict[str, Requirement]:
    found: dict[str, Requirement] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = raw.split(" #", 1)[0].strip()
        if not text or text.startswith(("#", "-")):
            continue
        match = _PIP_RE.match(text)
        if not match:
            raise ToolError(f"{path.name}:{number}: cannot read `{text}` as a requirement")
        name = lockfile.canonical(match.group(1))
        found[name] = Requirement(path, number, text, pip_range(match.group(2)))
    return found


def environment_requirements(env: conda_meta.Environment) -> tuple[dict[str, Requirement], list]:
    """PyPI-named requirements of environment.yml, and its python specs."""
    found: dict[str, Requirement] = {}
    pythons = []
    for spec in env.specs:
        if spec.pip:
            match = _PIP_RE.match(spec.text)
            if match:
                name = lockfile.canonical(match.group(1))
                found[name] = Requirement(env.path, spec.line, spec.text, pip_range(match.group(2)))
            continue
        match = _CONDA_RE.match(spec.text)
        if not match:
            raise ToolError(f"{env.path.name}:{spec.line}: cannot read `{spec.text}` as a spec")
        conda_name = match.group(1).lower()
        if conda_name == "python":
            pythons.append((spec, conda_range(match.group(2))))
        if conda_name in ENVIRONMENT_ONLY or spec.conda_only:
            continue
        name = conda_meta.pypi_name(conda_name)
        found[name] = Requirement(env.path, spec.line, spec.text, conda_range(match.group(2)))
    return found, pythons


def shown(range_: str) -> str:
    return range_ or "any version"


def package_findings(
    pip: dict[str, Requirement], conda: dict[str, Requirement]
) -> Iterator[Finding]:
    for name, req in pip.items():
        other = conda.get(name)
        if other is None:
            conda_name = conda_meta.CONDA_NAMES.get(name, name)
            yield Finding(
                req.path,
                req.line,
                CHECK,
                f"`{req.text}` is not in environment.yml",
                f"add `  - {conda_name}{req.range}` to its dependencies "
                "(under `  - pip:` if conda-forge lacks it), or remove it here",
            )
        elif other.range != req.range:
            fix = "write the same range in both files, then `invoke lock`"
            yield Finding(
                req.path,
                req.line,
                CHECK,
                f"{name} {shown(req.range)} here, but environment.yml:{other.line} "
                f"`{other.text}` allows {shown(other.range)}",
                fix,
            )
            yield Finding(
                other.path,
                other.line,
                CHECK,
                f"{name} {shown(other.range)} here, but requirements.in:{req.line} "
                f"`{req.text}` allows {shown(req.range)}",
                fix,
            )
    for name, req in conda.items():
        if name not in pip:
            yield Finding(
                req.path,
                req.line,
                CHECK,
                f"`{req.text}` is not in requirements.in",
                f"add `{name}` to requirements.in, remove it here, or mark the line "
                f"`{conda_meta.CONDA_ONLY}` if it is a native library with no PyPI package",
            )


def python_findings(env: conda_meta.Environment, pythons: list) -> Iterator[Finding]:
    try:
        wanted = wanted_python()
    except ToolError as error:  # not X.Y(.Z): one line, like every finding
        yield error_finding(PYTHON_VERSION_FILE, CHECK, error)
        return
    fix = f"write `  - python={wanted}` in environment.yml (or change .python-version)"
    if not pythons:
        yield Finding(env.path, 1, CHECK, "no `python=` dependency", fix)
        return
    accepted = {f"=={wanted}.*", f"=={wanted}"}
    for spec, range_ in pythons:
        if range_ not in accepted:
            yield Finding(
                env.path,
                spec.line,
                CHECK,
                f"`{spec.text}` here, but .python-version:1 says {wanted}",
                fix,
            )
            yield Finding(
                PYTHON_VERSION_FILE,
                1,
                CHECK,
                f"{wanted} here, but environment.yml:{spec.line} says `{spec.text}`",
                fix,
            )


def disagreements() -> Iterator[Finding]:
    for path in (REQUIREMENTS_IN, conda_meta.ENVIRONMENT_YML, PYTHON_VERSION_FILE):
        if not path.exists():
            raise ToolError(f"{path.name} is missing; restore it from git")
    env = conda_meta.read_environment()
    conda, pythons = environment_requirements(env)
    yield from package_findings(read_requirements(), conda)
    yield from python_findings(env, pythons)


def check() -> int:
    """Print each disagreement (or the one-line ok); 1 when there is any."""
    return report(
        disagreements(), f"{CHECK}: ok (environment.yml agrees with requirements.in and Python)"
    )
