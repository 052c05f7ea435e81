"""What check-env reads once and every check shares: installed dists, pins, results.

Stdlib only; `packaging` (or pip's vendored copy) reads requirements and
markers where it is importable, and `consistent` is skipped where it is not.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import dist_files
import lockfile
from project import DISTRIBUTION, ROOT

TYPE_CHECKING = False  # what `typing` says at run time, without its import time
if TYPE_CHECKING:
    from importlib import metadata

    from conda_meta import CondaState

REBUILD = (
    "run `make env` (it repairs drift; `make env FORCE=1` or `invoke env --force` rebuilds;"
    " in nox: `nox -s check_env`)"
)
FORCE_REBUILD = "rebuild the env: `make env FORCE=1` (`invoke env --force`)"
# Installers seed these into new envs; they only count when a lock names them.
SEEDS = {"pip", "setuptools", "wheel"}


@dataclass
class Problem:
    subject: str
    expected: str
    found: str
    fix: str

    def __str__(self) -> str:
        return f"{self.subject}: expected {self.expected}, found {self.found}; fix: {self.fix}"


@dataclass
class Result:
    name: str
    status: str = "ok"  # ok | FAIL | warn | skip
    detail: str = ""
    problems: list[Problem] = field(default_factory=list)


def belongs_to_project(prefix: Path) -> bool:
    """Inside the project folder (.venv, .nox/<session>), or the env an image declares."""
    declared = os.environ.get("REPRO_PROJECT_ENV")
    resolved = prefix.resolve()
    if declared and resolved == Path(declared).resolve():
        return True
    return resolved.is_relative_to(ROOT.resolve())


def foreign_env(prefix: Path) -> Result:
    """Another project's env: its packages may still match, but it is not this project's."""
    problem = Problem(
        str(prefix),
        "this project's env (.venv, .conda-env, .nox/*, or $REPRO_PROJECT_ENV in an image)",
        "another project's environment",
        "deactivate it and run `invoke check-env` in this project",
    )
    return Result("isolated", "warn", problems=[problem])


def installed_versions(dists: Iterable[metadata.Distribution | dist_files.Dist]) -> dict[str, str]:
    """canonical name -> version; of two copies, the first on sys.path (the one imported)."""
    installed: dict[str, str] = {}
    for dist in dists:
        name = dist.name if isinstance(dist, dist_files.Dist) else dist.metadata["Name"]
        if name:
            installed.setdefault(lockfile.canonical(name), dist.version)
    return installed


@dataclass
class Context:
    locks: list[Path]
    strict: bool
    conda: CondaState | None = None  # set when running in a conda env
    # Read once: scanning site-packages is most of check-env's own time.
    dists: list[dist_files.Dist] = field(init=False)
    installed: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.dists = dist_files.installed()
        self.installed = installed_versions(self.dists)

    @cached_property
    def locked_dists(self) -> list[dist_files.Dist]:
        """The installed copy (the first on sys.path) of each locked distribution."""
        own, seen, dists = lockfile.canonical(DISTRIBUTION), set(), []
        for dist in self.dists:
            name = lockfile.canonical(dist.name)
            if name in self.pins and name != own and name not in seen:
                seen.add(name)
                dists.append(dist)
        return dists

    @cached_property
    def pins(self) -> dict[str, tuple[str, str]]:
        """canonical name -> (version, lock file) for every entry that applies here."""
        pins: dict[str, tuple[str, str]] = {}
        for lock in self.locks:
            for entry in lockfile.read_lock(lock):
                if entry.pinned_version and marker_applies(entry.marker):
                    if self.conda and entry.name in self.conda.python_names:
                        continue  # conda-lock.yml provides it; its version is checked there
                    pins.setdefault(entry.name, (entry.pinned_version, lock.name))
        if self.conda:
            for package in self.conda.locked:
                if package.manager == "pip":
                    pins.setdefault(
                        lockfile.canonical(package.name), (package.version, self.conda.lock.name)
                    )
        return pins


@cache
def packaging_module():  # -> the `packaging` module, pip's vendored copy, or None
    for module in ("packaging", "pip._vendor.packaging"):
        try:
            importlib.import_module(f"{module}.requirements")
            return importlib.import_module(module)
        except ImportError:
            continue
    return None


def marker_applies(marker: str, extra: str = "") -> bool:
    packaging = packaging_module() if marker else None
    if packaging is None:
        return True  # without an evaluator, assume the line applies
    return packaging.markers.Marker(marker).evaluate({"extra": extra})


def requirement_met(text: str, installed: dict[str, str]) -> tuple[str, str | None, bool] | None:
    """(requirement, installed version, satisfied) for a requirement that applies here,
    None for one whose marker excludes it (or when no `packaging` can read it)."""
    packaging = packaging_module()
    if packaging is None:
        return None
    requirement = packaging.requirements.Requirement(text)
    if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
        return None
    found = installed.get(lockfile.canonical(requirement.name))
    met = found is not None and requirement.specifier.contains(found, prereleases=True)
    return str(requirement), found, met
