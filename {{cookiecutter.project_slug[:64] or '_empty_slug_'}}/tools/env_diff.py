"""What differs between `.venv` and the locks, read from files only: `make env` must know in
a fraction of a second, without starting the env's interpreter, whether the env is the one it
would build. Stdlib only, as it runs before anything is installed (`packaging`, or pip's
vendored copy, evaluates markers when importable).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import dist_files, lockfile
from .env_state import SEEDS, packaging_module
from .env_swap import STAMP
from .project import DISTRIBUTION, LOCK_TOOL, ROOT, version_matches


@dataclass(frozen=True)
class Pin:
    version: str
    line: str  # the lock's requirement with its marker and hashes, for a requirements file


@dataclass
class EnvDiff:
    """What to do to `.venv`: rebuild it (and why), or the packages to change."""

    rebuild: str = ""  # why the env cannot be synced, e.g. "it was built by Python 3.12"
    install: list[Pin] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    project: str = ""  # why the project itself must be (re)installed
    changes: list[str] = field(default_factory=list)  # one line per repair, for the person

    @property
    def empty(self) -> bool:
        return not (self.rebuild or self.install or self.remove or self.project)


def venv_config(venv: Path) -> dict[str, str]:
    """pyvenv.cfg as a dict (venv writes `version`, uv `version_info`)."""
    try:
        text = (venv / "pyvenv.cfg").read_text(encoding="utf-8")
    except OSError:
        return {}
    pairs = (line.partition("=") for line in text.splitlines())
    return {key.strip(): value.strip() for key, sep, value in pairs if sep}


def venv_version(venv: Path) -> str | None:
    return venv_config(venv).get("version") or venv_config(venv).get("version_info")


def site_packages(venv: Path) -> Path | None:
    pattern = "Lib/site-packages" if os.name == "nt" else "lib/python*/site-packages"
    return min(venv.glob(pattern), default=None)


def read_stamp(venv: Path) -> dict:
    """What the last complete build recorded ({} without a readable record)."""
    try:
        data = json.loads((venv / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def stamp_text(venv: Path, locks: list[Path], *, just_installed: bool = False) -> str:
    """The record a complete build or sync leaves: where, with what, from which files, and the
    versions the locks ask of this env (after an install, those it put in), so that a no-op
    `make env` evaluates no marker: importing an evaluator costs more than the rest."""
    python = venv_version(venv) or ""
    if just_installed:
        found, unknown = installed(venv), set()
        names = {entry.name for lock in locks for entry in lockfile.read_lock(lock)}
        versions = {name: found[name].version for name in sorted(names & found.keys())}
    else:
        pins, unknown = wanted_pins(locks, python)
        versions = {name: pin.version for name, pin in pins.items()}
    record = {
        "path": str(venv.resolve()),
        "python": python,
        "lock_tool": LOCK_TOOL,
        "pyproject": lockfile.content_sha256(ROOT / "pyproject.toml"),
        "locks": lockfile.content_sha256(*locks),
        "lock_files": [lock.name for lock in locks],  # the variant, for make env and check-env
        "versions": versions,
        "unknown": sorted(unknown),
    }
    return json.dumps(record, indent=2, sort_keys=True) + "\n"


def stamped_locks(venv: Path) -> list[str]:
    """The names of the locks the env was last built or synced from ([] when unknown)."""
    names = read_stamp(venv).get("lock_files")
    return [name for name in names if isinstance(name, str)] if isinstance(names, list) else []


def recorded_versions(venv: Path, locks: list[Path]) -> tuple[dict[str, str], set[str]] | None:
    """The versions the stamp recorded, when it was written from these very locks."""
    stamp = read_stamp(venv)
    versions, unknown = stamp.get("versions"), stamp.get("unknown")
    if stamp.get("locks") != lockfile.content_sha256(*locks) or not isinstance(versions, dict):
        return None
    return (versions, set(unknown)) if isinstance(unknown, list) else None


def marker_applies(marker: str, python_version: str) -> bool | None:
    """Whether a lock's marker holds in an env of `python_version` here (None: no evaluator)."""
    if not marker:
        return True
    packaging = packaging_module()
    if packaging is None:
        return None
    minor = ".".join(python_version.split(".")[:2])
    return packaging.markers.Marker(marker).evaluate(
        {"python_version": minor, "python_full_version": python_version}
    )


def wanted_pins(locks: list[Path], python_version: str) -> tuple[dict[str, Pin], set[str]]:
    """Pins that apply to this env, and names whose marker could not be evaluated."""
    pins: dict[str, Pin] = {}
    unknown: set[str] = set()
    for lock in locks:
        for entry in lockfile.read_lock(lock):
            if not entry.pinned_version or entry.name in pins:
                continue
            applies = marker_applies(entry.marker, python_version)
            if applies is None:
                unknown.add(entry.name)
            elif applies:
                marker = f" ; {entry.marker}" if entry.marker else ""
                hashes = " ".join(f"--hash={digest}" for digest in entry.hashes)
                line = f"{entry.requirement}{marker} {hashes}".strip()
                pins[entry.name] = Pin(entry.pinned_version, line)
    return pins, unknown


def installed(venv: Path) -> dict[str, dist_files.Dist]:
    """canonical name -> distribution installed in the env."""
    site = site_packages(venv)
    return dist_files.by_name(dist_files.installed([str(site)])) if site else {}


def rebuild_reason(venv: Path, wanted_python: str) -> str:
    """Why `venv` cannot be synced in place ('' when it can)."""
    if not venv.exists():
        return "there is none yet"
    version = venv_version(venv)
    if version is None:
        return f"{venv.name}/pyvenv.cfg is missing or unreadable"
    if not version_matches(version, wanted_python):
        return f"it was built by Python {version}, and .python-version says {wanted_python}"
    home = venv_config(venv).get("home")
    if home and not Path(home).is_dir():
        return f"its base interpreter's folder {home} is gone"
    stamp = read_stamp(venv)
    if not stamp:
        return "it has no record of a complete build"
    if stamp.get("path") != str(venv.resolve()):
        return f"it was built at {stamp.get('path')} (moved or renamed; venvs cannot move)"
    if stamp.get("lock_tool") != LOCK_TOOL:
        return f"it was built with {stamp.get('lock_tool')}, and this project uses {LOCK_TOOL}"
    if site_packages(venv) is None:
        return "it has no site-packages folder"
    return ""


def project_reason(venv: Path, dists: dict[str, dist_files.Dist]) -> str:
    """Why the project's own editable install must be redone ('' when it is in place)."""
    dist = dists.get(lockfile.canonical(DISTRIBUTION))
    if dist is None:
        return f"{DISTRIBUTION} (this project) is not installed"
    try:
        url = json.loads((dist.path / "direct_url.json").read_text(encoding="utf-8"))["url"]
    except (OSError, ValueError, TypeError, KeyError):
        url = ""
    if url.rstrip("/") != ROOT.resolve().as_uri():
        return f"{DISTRIBUTION} (this project) is installed from elsewhere"
    if read_stamp(venv).get("pyproject") != lockfile.content_sha256(ROOT / "pyproject.toml"):
        return "pyproject.toml changed"
    return ""


def differences(
    dists: dict[str, dist_files.Dist], versions: dict[str, str], unknown: set[str]
) -> tuple[list[str], list[str], list[str]]:
    """(names to install, names to remove, one line per change) between the two."""
    install, changes = [], []
    for name, version in sorted(versions.items()):
        found = dists[name].version if name in dists else None
        if found != version:
            install.append(name)
            changes.append(
                f"installed {name} {version}" if found is None else f"{name} {found} -> {version}"
            )
    keep = set(versions) | unknown | SEEDS | {lockfile.canonical(DISTRIBUTION)}
    remove = sorted(set(dists) - keep)
    changes += [f"removed {name} {dists[name].version}" for name in remove]
    return install, remove, changes


def diff(venv: Path, locks: list[Path], wanted_python: str) -> EnvDiff:
    """Compare `venv` with the locks; every repair is named in `changes`."""
    reason = rebuild_reason(venv, wanted_python)
    if reason:
        return EnvDiff(rebuild=reason)
    dists = installed(venv)  # rebuild_reason made sure it has site-packages
    if LOCK_TOOL == "pip-tools" and "pip" not in dists:
        return EnvDiff(rebuild="pip, which syncs it, was removed from it")
    project = project_reason(venv, dists)
    recorded = recorded_versions(venv, locks)
    if recorded and not project and differences(dists, *recorded) == ([], [], []):
        return EnvDiff()  # the common no-op: no marker evaluated
    pins, unknown = wanted_pins(locks, venv_version(venv) or wanted_python)
    versions = {name: pin.version for name, pin in pins.items()}
    install, remove, changes = differences(dists, versions, unknown)
    if project:
        changes.append(f"reinstalled the project ({project})")
    return EnvDiff(
        install=[pins[name] for name in install], remove=remove, project=project, changes=changes
    )
