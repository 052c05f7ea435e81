"""What check-env reads once and every check shares: installed dists, pins, packaging's answers.

Stdlib only; `packaging` (or pip's vendored copy) reads requirements and markers where it is
importable, and `consistent` is skipped where it is not.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from . import dist_files, lockfile
from .project import DEV_LOCK, DISTRIBUTION, ENV_MANAGER, GPU, LOCKS, ROOT, env_locks, variant_of
from .results import Problem, Result

TYPE_CHECKING = False  # what `typing` says at run time, without its import time
if TYPE_CHECKING:
    from .conda_meta import CondaState

REBUILD = (
    "run `make env` (it repairs drift; `make env FORCE=1` or `invoke env --force` rebuilds;"
    " in nox: `nox -s check_env`)"
)
FORCE_REBUILD = "rebuild the env: `make env FORCE=1` (`invoke env --force`)"
# Installers seed these into new envs; they only count when a lock names them.
SEEDS = {"pip", "setuptools", "wheel"}


def default_locks(in_conda: bool) -> list[Path]:
    """$REPRO_LOCKS (an image names the locks it installed), else the env's usual locks."""
    declared = os.environ.get("REPRO_LOCKS", "").split()
    if declared:
        return [ROOT / name for name in declared]
    if in_conda:  # its runtime comes from conda-lock.yml, only the dev tools from a pip lock
        return [DEV_LOCK]
    if GPU:  # the GPU locks when `make env GPU=1` built this env (its stamp names them)
        from .env_swap import stamped_locks

        if variant_of(stamped_locks(Path(sys.prefix))) == "gpu":
            return [ROOT / name for name in env_locks("gpu")]
    return [ROOT / lock for lock, _ in LOCKS]


def in_conda_env(prefix: Path) -> bool:
    """conda_meta.is_conda_prefix, without its import (a venv project ships no conda_meta)."""
    return ENV_MANAGER == "conda" and (prefix / "conda-meta").is_dir()


def belongs_to_project(prefix: Path) -> bool:
    """Inside the project folder (.venv, .nox/<session>), or the env an image declares."""
    declared = os.environ.get("REPRO_PROJECT_ENV")
    resolved = prefix.resolve()
    if declared and resolved == Path(declared).resolve():
        return True
    return resolved.is_relative_to(ROOT.resolve())


def foreign_env(prefix: Path) -> Result:
    """Another project's env: its packages may still match, but it is not this project's."""
    expected = "this project's env (.venv, .conda-env, .nox/*, or $REPRO_PROJECT_ENV in an image)"
    fix = "deactivate it and run `invoke check-env` in this project"
    problem = Problem(str(prefix), expected, "another project's environment", fix)
    return Result("isolated", "warn", problems=[problem])


def installed_versions(dists: Iterable[dist_files.Dist]) -> dict[str, str]:
    """canonical name -> version of the first copy on sys.path (the one imported)."""
    return {name: dist.version for name, dist in dist_files.by_name(dists).items() if name}


@dataclass
class Context:
    locks: list[Path]
    strict: bool
    conda: CondaState | None = None  # set when running in a conda env
    expect_gpu: bool = False
    # Read once: scanning site-packages is most of check-env's own time.
    dists: list[dist_files.Dist] = field(init=False)
    installed: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.dists = dist_files.installed()
        self.installed = installed_versions(self.dists)

    @property
    def variant(self) -> str:
        return variant_of([lock.name for lock in self.locks])

    @cached_property
    def locked_dists(self) -> list[dist_files.Dist]:
        """The installed copy (the first on sys.path) of each locked distribution."""
        own = lockfile.canonical(DISTRIBUTION)
        found = dist_files.by_name(self.dists).items()
        return [dist for name, dist in found if name in self.pins and name != own]

    @cached_property
    def pins(self) -> dict[str, tuple[str, str]]:
        """canonical name -> (version, lock file) for every entry that applies here."""
        conda_names = self.conda.python_names if self.conda else set()  # checked there
        pins: dict[str, tuple[str, str]] = {}
        for lock in self.locks:
            for entry in lockfile.read_lock(lock):
                if entry.pinned_version and entry.name not in conda_names:
                    if marker_applies(entry.marker):
                        pins.setdefault(entry.name, (entry.pinned_version, lock.name))
        for package in self.conda.locked if self.conda else []:
            if package.manager == "pip":
                name = lockfile.canonical(package.name)
                pins.setdefault(name, (package.version, self.conda.lock.name))
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


class PackagingMemo:
    """packaging's answers for this interpreter (the key), kept in the env between runs:
    importing it takes longer than the rest of check-env. A read-only env asks each time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.identity = f"{sys.version}|{sys.platform}|{platform.machine()}"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        if not isinstance(data, dict) or data.get("identity") != self.identity:
            data = {}
        self.markers: dict[str, bool] = data.get("markers", {})
        self.requirements: dict[str, list] = data.get("requirements", {})
        self.satisfied: dict[str, bool] = data.get("satisfied", {})
        self.changed = False
        self.unavailable = False  # a text was new and no `packaging` could read it

    def _answer(self, table: dict, key: str, ask):
        """table[key], from `ask(packaging)` the first time; None without `packaging`."""
        if key not in table:
            packaging = packaging_module()
            if packaging is None:
                return None
            table[key], self.changed = ask(packaging), True
        return table[key]

    def marker(self, marker: str, extra: str) -> bool | None:
        def ask(packaging) -> bool:
            return packaging.markers.Marker(marker).evaluate({"extra": extra})

        return self._answer(self.markers, f"{marker}\0{extra}", ask)

    def requirement(self, text: str) -> list | None:
        """[canonical name, normalised text, applies here] of a requirement."""

        def ask(packaging) -> list:
            requirement = packaging.requirements.Requirement(text)
            applies = not requirement.marker or requirement.marker.evaluate({"extra": ""})
            return [lockfile.canonical(requirement.name), str(requirement), applies]

        parsed = self._answer(self.requirements, text, ask)
        self.unavailable |= parsed is None
        return parsed

    def contains(self, text: str, version: str) -> bool:
        def ask(packaging) -> bool:
            specifier = packaging.requirements.Requirement(text).specifier
            return specifier.contains(version, prereleases=True)

        return self._answer(self.satisfied, f"{text}\0{version}", ask)

    def save(self) -> None:
        if not self.changed:
            return
        data = {"identity": self.identity, "markers": self.markers,
                "requirements": self.requirements, "satisfied": self.satisfied}  # fmt: skip
        partial = self.path.with_name(self.path.name + ".partial")
        try:
            partial.write_text(json.dumps(data), encoding="utf-8")
            os.replace(partial, self.path)
        except OSError:
            pass  # a read-only env: the next run asks packaging again


@cache
def memo() -> PackagingMemo:
    return PackagingMemo(Path(sys.prefix) / ".repro-check-cache.json")


def marker_applies(marker: str, extra: str = "") -> bool:
    applies = memo().marker(marker, extra) if marker else True
    return True if applies is None else applies  # without an evaluator, assume it applies


def requirement_met(text: str, installed: dict[str, str]) -> tuple[str, str | None, bool] | None:
    """(requirement, installed version, satisfied) for a requirement that applies here,
    None for one whose marker excludes it (or when no `packaging` can read it)."""
    parsed = memo().requirement(text)
    if parsed is None or not parsed[2]:
        return None
    name, normalised, _ = parsed
    found = installed.get(name)
    return normalised, found, found is not None and memo().contains(text, found)
