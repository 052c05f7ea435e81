"""Whether a lock still satisfies its `.in` file, read from what the lock pins.

`lockfile.staleness` asks this when a lock's header cannot vouch for it: a bot
or a hand-run pip-compile / uv pip compile rewrote the lock without the
header, or only comments and spacing of the `.in` file changed. A lock
satisfies its intent when
- every requirement of the `.in` file (and of the files it includes with
  `-r`) is pinned within its range; one with a marker may be missing (the
  lock was resolved where the marker is false);
- every pin agrees with the locks the `.in` file names with `-c`;
- every pin is reached from those requirements through the lock's own
  `# via` annotations (a lock written without annotations skips this).
A pin edited by hand inside its range still passes here; its hashes then no
longer match, which every install refuses.

Offline, and `make env` runs it before any env exists: `packaging` comes
from the running Python, else from the copy pip carries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from .lockfile import LockLine, canonical, read_lock

_INCLUDE_RE = re.compile(r"^(-r|--requirement|-c|--constraint)[\s=]+(\S+)")


class Unsatisfied(NamedTuple):
    """What the lock gets wrong, to read after "is stale: ", at the lock's line."""

    problem: str
    line_no: int = 1


class Wanted(NamedTuple):
    """One requirement of the intent, and where it is written."""

    where: str  # requirements.in:4
    text: str
    requirement: Any  # packaging's Requirement


def _requirement_class() -> tuple[type, type[Exception]]:
    try:
        from packaging.requirements import InvalidRequirement, Requirement
    except ImportError:  # no env yet: the copy pip carries is the same library
        from pip._vendor.packaging.requirements import InvalidRequirement, Requirement
    return Requirement, InvalidRequirement


def read_intent(in_file: Path) -> tuple[list[Wanted], list[Path]]:
    """The requirements of `in_file` and of what it includes with `-r`, and its `-c` files."""
    wanted: list[Wanted] = []
    constraints: list[Path] = []
    pending, seen = [in_file], set()
    requirement_class, invalid = _requirement_class()
    while pending:
        path = pending.pop(0)
        seen.add(path)
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = raw.split(" #", 1)[0].strip()
            include = _INCLUDE_RE.match(line)
            if include:
                target = path.parent / include.group(2)
                if include.group(1) in {"-c", "--constraint"}:
                    constraints.append(target)
                elif target not in seen and target.suffix == ".in":
                    pending.append(target)
                continue
            if not line or line.startswith(("#", "-")):  # comments, index options
                continue
            try:
                requirement = requirement_class(line)
            except invalid as error:
                raise ValueError(f"{path.name}:{number} cannot be read ({error})") from None
            wanted.append(Wanted(f"{path.name}:{number}", line, requirement))
    return wanted, constraints


def _by_name(entries: list[LockLine]) -> dict[str, list[LockLine]]:
    found: dict[str, list[LockLine]] = {}
    for entry in entries:
        found.setdefault(entry.name, []).append(entry)
    return found


def _out_of_range(wanted: list[Wanted], pins: dict[str, list[LockLine]]) -> Iterator[Unsatisfied]:
    for want in wanted:
        name = canonical(want.requirement.name)
        if name not in pins:
            if want.requirement.marker is None:
                yield Unsatisfied(
                    f"does not pin {name}, which {want.where} asks for (`{want.text}`)"
                )
            continue
        for pin in pins[name]:
            version = pin.pinned_version
            if version and not want.requirement.specifier.contains(version, prereleases=True):
                yield Unsatisfied(
                    f"pins {name}=={version}, outside {want.where}'s `{want.text}`", pin.line_no
                )


def _against_constraints(
    constraints: list[Path], pins: dict[str, list[LockLine]]
) -> Iterator[Unsatisfied]:
    for constraint in constraints:
        if not constraint.exists():
            continue
        for name, fixed in _by_name(read_lock(constraint)).items():
            allowed = {entry.pinned_version for entry in fixed}
            for pin in pins.get(name, []):
                if pin.pinned_version not in allowed:
                    yield Unsatisfied(
                        f"pins {name}=={pin.pinned_version}, where {constraint.name} "
                        f"(its `-c` constraint) pins {' or '.join(sorted(map(str, allowed)))}",
                        pin.line_no,
                    )


def _unreached(
    wanted: list[Wanted], pins: dict[str, list[LockLine]], in_file: Path
) -> Iterator[Unsatisfied]:
    """Pins nothing in the intent leads to, the ones that claim the intent itself first."""
    if not any(entry.via for entries in pins.values() for entry in entries):
        return  # written without `# via` annotations: nothing to follow
    reached = {canonical(want.requirement.name) for want in wanted}
    growing = True
    while growing:
        growing = False
        for name, entries in pins.items():
            vias = [via for entry in entries for via in entry.via if not via.startswith("-")]
            parents = {canonical(via.split("[")[0]) for via in vias}
            if name not in reached and parents & reached:
                reached.add(name)
                growing = True
    lost = [entry for name, entries in pins.items() if name not in reached for entry in entries]
    lost.sort(key=lambda entry: (not any(via.startswith("-r") for via in entry.via), entry.line_no))
    for entry in lost[:1]:
        yield Unsatisfied(
            f"pins {entry.name}, which nothing in {in_file.name} asks for or depends on "
            "(removed from it?)",
            entry.line_no,
        )


def unsatisfied(lock: Path, in_file: Path) -> Unsatisfied | None:
    """The first way `lock` fails its intent, or None when it satisfies it."""
    try:
        wanted, constraints = read_intent(in_file)
    except ValueError as error:
        return Unsatisfied(str(error))
    except ImportError:
        return Unsatisfied("cannot be checked here: neither packaging nor pip is installed")
    pins = _by_name(read_lock(lock))
    checks = (
        _out_of_range(wanted, pins),
        _against_constraints(constraints, pins),
        _unreached(wanted, pins, in_file),
    )
    return next((found for check in checks for found in check), None)
