"""Read lock files and the header `invoke lock` writes atop them; tell whether a lock is fresh.

The header holds the inputs' hash, Python X.Y, scope and a digest of the pins below it. A lock
whose hashes no longer match is fresh while its pins satisfy its `.in` file. Stdlib only at
import: `make env` runs this before any env exists.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

HEADER = "# input-sha256: "  # 6f16... (requirements.in) python=3.11 scope=universal pins=89ab...
CONDA_LOCK_NAME = "conda-lock.yml"
# A `-r`/`-c` line, in every spelling pip takes.
_INCLUDE_RE = re.compile(r"^(-r|--requirement|-c|--constraint)[\s=]+(\S+)")
_FIELD_RE = re.compile(r"\b(python|scope|pins)=(\S+)")
_TOOL_PYTHON_RE = re.compile(r"with Python (\d+\.\d+)|--python-version[= ](\d+\.\d+)")

# PyPI name -> conda-forge name, where the two differ (extend when you need one).
CONDA_NAMES = {
    "torch": "pytorch",
    "tables": "pytables",
    "opencv-python": "py-opencv",
    "opencv-python-headless": "py-opencv",
    "msgpack": "msgpack-python",
}


def canonical(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def input_files(in_file: Path) -> list[Path]:
    """The `.in` file followed by the files its `-c`/`-r` lines name."""
    lines = in_file.read_text(encoding="utf-8").splitlines()
    matches = (_INCLUDE_RE.match(line.strip()) for line in lines)
    return [in_file, *(in_file.parent / match.group(2) for match in matches if match)]


def content_sha256(*files: Path) -> str:
    """Hash of the files' names and text: a lock's input hash, or a set of locks' identity."""
    digest = hashlib.sha256()
    for path in files:
        # Line endings differ between checkouts (git autocrlf); content does not.
        text = "\n".join(path.read_text(encoding="utf-8").splitlines()).encode()
        digest.update(path.name.encode() + b"\0" + text + b"\0")
    return digest.hexdigest()


def file_sha256(path: Path) -> bytes:
    """The sha256 digest of a file's bytes, read in blocks (wheels and images are large)."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


def wanted_minor(folder: Path) -> str | None:
    """X.Y of the `.python-version` in `folder` (the project's root), None when missing."""
    try:
        version = (folder / ".python-version").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return ".".join(version.split(".")[:2])


def scope_for(lock_name: str) -> str:
    """uv resolves for every platform (image-only locks: Linux), pip-compile for this one."""
    if lock_name == CONDA_LOCK_NAME:
        return "conda"
    # Imported here, not at the top: the template's tests load this module alone.
    from .project import GPU_LOCKS, LOCK_TOOL

    if LOCK_TOOL == "uv":
        return "linux" if lock_name in {name for name, _ in GPU_LOCKS} else "universal"
    return sys.platform


def relock_command(lock: Path) -> str:
    return "invoke lock --conda" if lock.name == CONDA_LOCK_NAME else "invoke lock"


def header_line(in_file: Path, scope: str | None = None, pins: str | None = None) -> str:
    """The first line of a lock of `in_file`, for the project's Python."""
    files = input_files(in_file)
    names = " + ".join(path.name for path in files)
    fields = {"python": wanted_minor(in_file.parent), "scope": scope, "pins": pins}
    head = f"{HEADER}{content_sha256(*files)} ({names})"
    return " ".join([head, *(f"{key}={value}" for key, value in fields.items() if value)])


def pins_sha256(lines: list[str]) -> str:
    # It only tells an untouched lock from an edited one (whose pins are then read): 64 bits.
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def lines_below_header(lock: Path) -> list[str]:
    text = lock.read_text(encoding="utf-8")
    return [line for line in text.splitlines() if not line.startswith(HEADER)]


class Header(NamedTuple):
    """A lock's header; python, scope and pins are None in older templates' locks."""

    sha256: str
    python: str | None
    scope: str | None
    line_no: int
    pins: str | None = None


def read_header(lock: Path) -> Header | None:
    """The header of `lock`, or None when it has none (or does not exist)."""
    try:
        lines = lock.read_text(encoding="utf-8").splitlines()[:5]
    except FileNotFoundError:
        return None
    for number, line in enumerate(lines, start=1):
        if line.startswith(HEADER):
            sha256 = (line[len(HEADER) :].split() or [""])[0]  # an empty hash matches nothing
            fields = dict(_FIELD_RE.findall(line))
            python, scope, pins = map(fields.get, ("python", "scope", "pins"))
            return Header(sha256, python, scope, number, pins)
    return None


def tool_python(lock: Path) -> str | None:
    """The Python X.Y in the lock tool's own header ("with Python 3.11", `--python-version`)."""
    for line in lock.read_text(encoding="utf-8").splitlines()[:10]:
        found = _TOOL_PYTHON_RE.search(line) if line.startswith("#") else None
        if found:
            return found.group(1) or found.group(2)
    return None


def stamp(lock: Path, in_file: Path) -> None:
    """Write the header as the lock's first line."""
    lines = lines_below_header(lock)
    header = header_line(in_file, scope_for(lock.name), pins_sha256(lines))
    lock.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")


class Staleness(NamedTuple):
    """Why a lock does not match its inputs: `problem` reads after the lock's name."""

    problem: str
    fix: str = ""
    line_no: int = 1


def staleness(lock: Path, in_file: Path) -> Staleness | None:
    """None when `lock` satisfies its inputs and `.python-version`; else what differs."""
    fix = f"run `{relock_command(lock)}`"
    if not in_file.exists():
        name = in_file.name
        return Staleness(f"has lost its input: {name} is missing", f"restore {name}")
    if not lock.exists():
        return Staleness("is missing", fix)
    files = input_files(in_file)
    missing = ", ".join(path.name for path in files[1:] if not path.exists())
    if missing:  # a `-c`/`-r` file: lock that first
        return Staleness(f"is stale: {missing}, named by {in_file.name}, is missing", fix)
    header, now = read_header(lock), content_sha256(*files)
    hashed = header is not None and header.sha256 == now
    if lock.name == CONDA_LOCK_NAME:  # fresh by its header alone
        if header is None:
            what = f"no `{HEADER.strip()}` line: not written by `invoke lock`"
            return Staleness(f"is stale: {what}", fix)
        if not hashed:
            names = " + ".join(path.name for path in files)
            what = f"locked from an older {names} (recorded {header.sha256[:12]}, now {now[:12]})"
            return Staleness(f"is stale: {what}", fix, header.line_no)
    # Unless `invoke lock` wrote it from these very inputs, its pins are read.
    elif not (hashed and header.pins == pins_sha256(lines_below_header(lock))):
        if found := satisfaction(lock, in_file):
            return found._replace(problem=f"is stale: {found.problem}", fix=fix)
        if header is None:
            python = tool_python(lock)
            if python is None:  # no Python recorded anywhere: the pins decide
                return None
            header = Header("", python, None, 1)
    wanted = wanted_minor(in_file.parent)
    if wanted is None:
        problem = "cannot be checked: .python-version is missing"
        fix = "write the project's Python (e.g. 3.11) into .python-version"
    elif header.python is None:
        problem = "is stale: its header records no Python version (written by an older template)"
    elif header.python != wanted:
        problem = f"is stale: locked for Python {header.python}, .python-version says {wanted}"
    else:
        return None
    return Staleness(problem, fix, header.line_no)


def stale_reason(lock: Path, in_file: Path) -> str | None:
    """One line, `<lock> <problem>; <fix>`, or None when the lock is fresh."""
    found = staleness(lock, in_file)
    return f"{lock.name} {found.problem}; {found.fix}" if found else None


def is_fresh(lock: Path, in_file: Path) -> bool:
    return staleness(lock, in_file) is None


def satisfaction(lock: Path, in_file: Path) -> Staleness | None:
    """unsatisfied, kept per content in `.cache/lock-satisfies.json` (packaging imports slowly)."""
    memo_path = lock.parent / ".cache" / "lock-satisfies.json"
    key = content_sha256(lock, *input_files(in_file))
    try:
        memo = dict(json.loads(memo_path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        memo = {}
    known = memo.get(lock.name)
    if isinstance(known, list) and len(known) == 3 and known[0] == key:
        return Staleness(known[1], line_no=known[2]) if known[1] else None
    found = unsatisfied(lock, in_file)
    if found and found.problem.startswith("cannot be checked"):
        return found  # says something of this Python, not of the lock: not kept
    memo[lock.name] = [key, *((found.problem, found.line_no) if found else (None, 1))]
    with contextlib.suppress(OSError):  # a read-only project (an image): ask again next time
        memo_path.parent.mkdir(exist_ok=True)
        memo_path.write_text(json.dumps(memo), encoding="utf-8")
    return found


@dataclass
class LockLine:
    """One requirement of a lock, with its continuation lines joined."""

    line_no: int
    requirement: str
    marker: str = ""
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)  # what its `# via` annotation names

    @property
    def name(self) -> str:
        return canonical(re.split(r"[\[<>=!~;\s]", self.requirement, maxsplit=1)[0])

    @property
    def pinned_version(self) -> str | None:
        """The version after `==`, or None when the line is not an exact pin."""
        match = re.fullmatch(r"[A-Za-z0-9._\-\[\], ]+==([^=<>!~,*\s]+)", self.requirement)
        return match.group(1) if match else None


def read_lock(lock: Path) -> list[LockLine]:
    """The requirements of a lock, each at its first line; options are not requirements."""
    entries: list[LockLine] = []
    logical, start, in_list = "", 0, False
    for number, raw in enumerate(lock.read_text(encoding="utf-8").splitlines(), start=1):
        is_comment = raw.lstrip().startswith("#")
        text, _, comment = ("", "", raw) if is_comment else raw.partition(" #")
        text, comment = text.strip(), comment.strip().lstrip("#")
        start = start if logical else number
        logical += " " + text.rstrip("\\").strip()
        if text.endswith("\\"):
            continue
        spec, logical = logical.strip(), ""
        if spec and not spec.startswith("-"):
            requirement, _, marker = re.sub(r"--hash=\S+", "", spec).strip().partition(";")
            hashes = re.findall(r"--hash=(\S+)", spec)
            entries.append(LockLine(start, requirement.strip(), marker.strip(), hashes))
            in_list = False
        elif spec or not entries:
            continue
        # The entry's `# via a, b`, or `# via` alone and then one `#   name` a line.
        words = comment.split()
        listed = in_list and comment.startswith("   ") and bool(words)
        if words[:1] == ["via"]:
            entries[-1].via += [name for name in " ".join(words[1:]).split(", ") if name]
        elif listed:
            entries[-1].via.append(" ".join(words))
        in_list = words == ["via"] or listed
    return entries


class Wanted(NamedTuple):
    where: str  # requirements.in:4
    text: str
    requirement: Any  # packaging's Requirement


def read_intent(in_file: Path) -> tuple[list[Wanted], list[Path]]:
    """The requirements of `in_file` and of what it includes with `-r`, and its `-c` files."""
    try:
        from packaging.requirements import InvalidRequirement, Requirement
    except ImportError:  # no env yet: the copy pip carries is the same library
        from pip._vendor.packaging.requirements import InvalidRequirement, Requirement
    wanted: list[Wanted] = []
    constraints: list[Path] = []
    paths = [in_file]
    for path in paths:  # each `-r` .in file joins the list once
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = raw.split(" #", 1)[0].strip()
            include = _INCLUDE_RE.match(line)
            if include:
                target = path.parent / include.group(2)
                if include.group(1) in {"-c", "--constraint"}:
                    constraints.append(target)
                elif target not in paths and target.suffix == ".in":
                    paths.append(target)
            elif line and not line.startswith(("#", "-")):  # not a comment or index option
                try:
                    requirement = Requirement(line)
                except InvalidRequirement as error:
                    raise ValueError(f"{path.name}:{number} cannot be read ({error})") from None
                wanted.append(Wanted(f"{path.name}:{number}", line, requirement))
    return wanted, constraints


def _by_name(entries: list[LockLine]) -> dict[str, list[LockLine]]:
    found: dict[str, list[LockLine]] = {}
    for entry in entries:
        found.setdefault(entry.name, []).append(entry)
    return found


def unsatisfied(lock: Path, in_file: Path) -> Staleness | None:
    """The first way `lock` fails its intent, or None. Each requirement is pinned in range (one
    with a marker may be missing: the lock was resolved where it is false); each pin agrees with
    the `-c` locks and is reached through `# via` annotations, if any. A pin edited by hand
    inside its range passes: its hashes fail installs."""
    try:
        wanted, constraints = read_intent(in_file)
    except ValueError as error:
        return Staleness(str(error))
    except ImportError:
        return Staleness("cannot be checked here: neither packaging nor pip is installed")
    pins = _by_name(read_lock(lock))
    for want in wanted:
        name = canonical(want.requirement.name)
        if name not in pins and want.requirement.marker is None:
            return Staleness(f"does not pin {name}, which {want.where} asks for (`{want.text}`)")
        for pin in pins.get(name, []):
            version = pin.pinned_version
            if version and not want.requirement.specifier.contains(version, prereleases=True):
                what = f"pins {name}=={version}, outside {want.where}'s `{want.text}`"
                return Staleness(what, line_no=pin.line_no)
    for constraint in (path for path in constraints if path.exists()):
        for name, fixed in _by_name(read_lock(constraint)).items():
            allowed = " or ".join(sorted(str(entry.pinned_version) for entry in fixed))
            for pin in pins.get(name, []):
                if pin.pinned_version not in {entry.pinned_version for entry in fixed}:
                    what = f"pins {name}=={pin.pinned_version}, where {constraint.name} "
                    what += f"(its `-c` constraint) pins {allowed}"
                    return Staleness(what, line_no=pin.line_no)
    if not any(entry.via for entries in pins.values() for entry in entries):
        return None  # written without `# via` annotations: nothing to follow
    parents = {
        name: {canonical(via.split("[")[0]) for e in entries for via in e.via if via[:1] != "-"}
        for name, entries in pins.items()
    }
    reached = {canonical(want.requirement.name) for want in wanted}
    while grown := {name for name, up in parents.items() if up & reached} - reached:
        reached |= grown
    lost = [entry for name, entries in pins.items() if name not in reached for entry in entries]
    if lost:  # the one that claims the intent itself (removed from it) first
        entry = min(lost, key=lambda e: (not any(v.startswith("-r") for v in e.via), e.line_no))
        what = f"pins {entry.name}, which nothing in {in_file.name} asks for or depends on"
        return Staleness(f"{what} (removed from it?)", line_no=entry.line_no)
    return None
