"""What check-env reads once and every check shares: installed dists, pins, results.

Stdlib only; `packaging` (or pip's vendored copy) evaluates markers when
importable.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import metadata
from pathlib import Path

import lockfile
from conda_meta import CondaState
from project import ROOT

REBUILD = "rebuild the env from the locks: `invoke env --force` (in nox: `nox -s check_env`)"
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


def installed_versions(dists: Iterable[metadata.Distribution]) -> dict[str, str]:
    """canonical name -> version; of two copies, the first on sys.path (the one imported)."""
    installed: dict[str, str] = {}
    for dist in dists:
        name = dist.metadata["Name"]
        if name:
            installed.setdefault(lockfile.canonical(name), dist.version)
    return installed


@dataclass
class Context:
    locks: list[Path]
    strict: bool
    conda: CondaState | None = None  # set when running in a conda env
    # Read once: scanning site-packages is most of check-env's own time.
    dists: list[metadata.Distribution] = field(init=False)
    installed: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.dists = list(metadata.distributions())
        self.installed = installed_versions(self.dists)

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


def marker_applies(marker: str) -> bool:
    packaging = packaging_module() if marker else None
    if packaging is None:
        return True  # without an evaluator, assume the line applies
    return packaging.markers.Marker(marker).evaluate()
