"""Installed distributions as files: METADATA, RECORD, and where their modules import from."""

from __future__ import annotations

import csv
import importlib.machinery
import importlib.util
import os
import site
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .lockfile import canonical, file_sha256
from .results import Problem

_SUFFIXES = tuple(importlib.machinery.all_suffixes())


@dataclass
class Dist:
    """One `*.dist-info` (or `*.egg-info`) folder on sys.path."""

    path: Path
    name: str
    version: str
    requires: list[str] = field(default_factory=list)

    @property
    def site_dir(self) -> Path:
        return self.path.parent

    def record(self) -> list[tuple[str, str]]:
        """(path relative to site_dir, 'sha256=...' or '') for each RECORD row."""
        try:
            lines = (self.path / "RECORD").read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        return [(row[0], row[1] if len(row) > 1 else "") for row in csv.reader(lines) if row]

    def top_level(self) -> list[str]:
        """The importable top-level names: top_level.txt, else what RECORD installs."""
        listed = self.path / "top_level.txt"
        if listed.is_file():
            names = listed.read_text(encoding="utf-8").split()
            return sorted({name.replace("/", ".").split(".")[0] for name in names})
        # A folder `pkg/` (its files), a module `mod.py` or an extension `ext.so` installs it.
        parts = (path.replace("\\", "/").partition("/") for path, _ in self.record())
        names = {
            first if rest else first.split(".")[0]
            for first, _, rest in parts
            if rest or first.endswith(_SUFFIXES)
        }
        return sorted(name for name in names if name.isidentifier() and name != "__pycache__")


def _read_header(path: Path) -> dict[str, list[str]]:
    """Field name (lowercase) -> values of a METADATA/PKG-INFO header. By hand: the `email`
    parser importlib.metadata uses costs a third of check-env's time to import."""
    fields: dict[str, list[str]] = {}
    last: list[str] = []
    with path.open(encoding="utf-8", errors="replace") as file:
        for line in file:
            if not line.strip():
                break
            if line[0] in " \t" and last:  # a continuation line
                last[-1] = f"{last[-1]} {line.strip()}"
            elif ":" in line:
                key, _, value = line.partition(":")
                last = fields.setdefault(key.strip().lower(), [])
                last.append(value.strip())
    return fields


def read_dist(folder: Path) -> Dist | None:
    """The distribution a `*.dist-info`/`*.egg-info` folder holds (None without a name)."""
    header = folder / ("METADATA" if folder.suffix == ".dist-info" else "PKG-INFO")
    try:
        fields = _read_header(header)
    except OSError:
        return None
    name, version = ((fields.get(key) or [""])[0] for key in ("name", "version"))
    if not name:
        return None
    requires = fields.get("requires-dist", [])
    if folder.suffix == ".egg-info" and not requires:
        from importlib import metadata  # slow to import; only an old .egg-info needs it

        requires = list(metadata.Distribution.at(folder).requires or [])  # its requires.txt
    return Dist(folder, name, version, requires)


def installed(paths: list[str] | None = None) -> list[Dist]:
    """Every distribution on sys.path, in path order (the first copy is the one imported)."""
    dists: list[Dist] = []
    for entry in sys.path if paths is None else paths:
        try:
            names = sorted(os.listdir(entry or "."))
        except OSError:
            continue
        infos = [Path(entry or ".", n) for n in names if n.endswith((".dist-info", ".egg-info"))]
        dists += filter(None, map(read_dist, infos))
    return dists


def by_name(dists: Iterable[Dist]) -> dict[str, Dist]:
    """canonical name -> the first copy of each distribution (the one imported)."""
    found: dict[str, Dist] = {}
    for dist in dists:
        found.setdefault(canonical(dist.name), dist)
    return found


def _same(one: Path, other: Path) -> bool:
    return one == other or os.path.realpath(one) == os.path.realpath(other)


@cache
def _names_in(entry: str) -> frozenset[str]:
    """What a sys.path entry could provide: the first dotted part of each file it holds."""
    try:
        return frozenset(name.partition(".")[0] for name in os.listdir(entry or "."))
    except OSError:
        return frozenset()


def _clearly_own(module: str, dist: Dist) -> bool:
    """True when no earlier sys.path entry could provide `module`: listing each entry once
    rules most modules out cheaper than find_spec, which decides the rest."""
    # Only with the stock finders does the first entry holding a name provide it; they
    # sit on sys.meta_path as classes, others mostly as instances.
    finders = {getattr(finder, "__name__", type(finder).__name__) for finder in sys.meta_path}
    stock = finders <= {"BuiltinImporter", "FrozenImporter", "PathFinder"}
    if module in sys.builtin_module_names or not stock or len(sys.path_hooks) > 2:
        return False
    own = str(dist.site_dir)
    first = next((entry for entry in sys.path if entry == own or module in _names_in(entry)), "")
    return first == own and module in _names_in(own)


def shadows(dist: Dist) -> list[Problem]:
    """Each top-level module of `dist` that another path on sys.path provides first."""
    found = []
    for module in dist.top_level():
        if _clearly_own(module, dist):
            continue
        folder = dist.site_dir / module
        package = any((folder / f"__init__{suffix}").is_file() for suffix in _SUFFIXES)
        if not package and folder.is_dir():
            continue  # a namespace package: several distributions fill it
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            continue
        if not (spec and spec.has_location and spec.origin):
            continue
        origin = Path(spec.origin)
        # __init__.py, or a compiled __init__.cpython-311-x86_64-linux-gnu.so (mypy's)
        is_package = origin.name.partition(".")[0] == "__init__"
        entry = origin.parent.parent if is_package else origin.parent  # site/pkg/__init__.py
        if is_package == package and _same(entry, dist.site_dir):
            continue
        source, fix = blame(entry)
        expected = f"{dist.name} {dist.version}'s {dist.site_dir / module}"
        where = f"{origin}, whose folder {entry} is put on sys.path by {source}"
        found.append(Problem(f"import {module}", expected, where, fix))
    return found


def blame(entry: Path) -> tuple[str, str]:
    """(what put `entry` on sys.path, how to take it off)."""
    for item in filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep)):
        if Path(os.path.realpath(entry)).is_relative_to(os.path.realpath(item)):
            return f"PYTHONPATH (its entry {item})", f"unset PYTHONPATH, or remove {item} from it"
    user_site = site.getusersitepackages()
    if site.ENABLE_USER_SITE and _same(entry, Path(user_site)):
        fix = "set PYTHONNOUSERSITE=1, or remove the package from the user site"
        return f"the user site ({user_site})", fix
    folders = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    folders += [user_site] if site.ENABLE_USER_SITE else []
    for pth in [path for folder in folders for path in sorted(Path(folder).glob("*.pth"))]:
        try:
            lines = pth.read_text("utf-8", "replace").splitlines()
        except OSError:
            continue
        for line in map(str.strip, lines):  # a path line, or an `import` line that names it
            if line.startswith(("import ", "import\t")):
                adds = str(entry) in line or os.path.realpath(entry) in line
            else:
                adds = bool(line) and line[0] != "#" and _same(pth.parent / line, entry)
            if adds:
                return f"the .pth file {pth}", f"delete {pth}"
    fix = f"remove {entry} from sys.path (see what adds it: sitecustomize, a wrapper script)"
    return "a sys.path entry", fix


def verify_record(dist: Dist) -> tuple[int, list[tuple[str, str]]]:
    """(files hashed, [(file, what is wrong)]) for the files RECORD gives a sha256 for."""
    import base64  # only --deep needs it

    checked, altered = 0, []
    for relative, recorded in dist.record():
        if not recorded.startswith("sha256="):
            continue  # RECORD itself and files written at install time carry no hash
        checked += 1
        path = dist.site_dir / relative
        if not path.is_file():
            altered.append((relative, "a missing file"))
            continue
        digest = base64.urlsafe_b64encode(file_sha256(path)).rstrip(b"=").decode()
        if f"sha256={digest}" != recorded:
            altered.append((relative, "other contents (its sha256 differs)"))
    return checked, altered
