"""Read lock files and the header `invoke lock` writes into their first line.

The header records the hash of the inputs, the Python X.Y and the platform
scope the lock was resolved for, and a digest of the pins below it, e.g.
`# input-sha256: 6f16... (requirements.in) python=3.11 scope=universal pins=89ab...`.
It says which Python a lock was resolved for, checked offline against
`.python-version`. When both hashes still match, the lock is as `invoke lock`
wrote it from these inputs; otherwise whether it still satisfies its `.in`
file is read from its pins (`lock_satisfies`), so a lock rewritten without
the header stays usable. A conda lock is fresh while its header records
environment.yml's hash. Stdlib only (`lock_satisfies` brings `packaging`):
this runs before any env exists.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

HEADER = "# input-sha256: "
CONDA_LOCK_NAME = "conda-lock.yml"
_OPTION_RE = re.compile(r"^-[cr]\s+(\S+)")
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


def _normalised_text(path: Path) -> bytes:
    # Line endings differ between checkouts (git autocrlf); content does not.
    return "\n".join(path.read_text(encoding="utf-8").splitlines()).encode()


def input_files(in_file: Path) -> list[Path]:
    """The `.in` file followed by the files its `-c`/`-r` lines name."""
    files = [in_file]
    for line in in_file.read_text(encoding="utf-8").splitlines():
        match = _OPTION_RE.match(line.strip())
        if match:
            files.append(in_file.parent / match.group(1))
    return files


def content_sha256(*files: Path) -> str:
    """Hash of the files' names and text, line endings aside.

    Of the `.in` files, it is a lock's input hash; of the locks themselves, it
    changes whenever a pin does (an image's identity).
    """
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + _normalised_text(path) + b"\0")
    return digest.hexdigest()


def file_sha256(path: Path) -> bytes:
    """The sha256 digest of a file's bytes, read in blocks (wheels and images are large)."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


def input_sha256(in_file: Path) -> str:
    return content_sha256(*input_files(in_file))


def wanted_minor(folder: Path) -> str | None:
    """X.Y of the `.python-version` in `folder` (the project's root), None when missing."""
    try:
        version = (folder / ".python-version").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return ".".join(version.split(".")[:2])


def scope_for(lock_name: str) -> str:
    """The platforms `invoke lock` resolves this lock for.

    uv resolves normal locks for every platform and image-only locks for the
    image's Linux; pip-compile only for the machine that runs it.
    """
    if lock_name == CONDA_LOCK_NAME:
        return "conda"
    # Imported here, not at the top: the template's tests load this module alone.
    from .project import GPU_LOCKS, LOCK_TOOL

    if LOCK_TOOL == "uv":
        return "linux" if lock_name in {name for name, _ in GPU_LOCKS} else "universal"
    return sys.platform


def relock_command(lock: Path) -> str:
    return "invoke lock --conda" if lock.name == CONDA_LOCK_NAME else "invoke lock"


def header_line(
    in_file: Path, python: str | None = None, scope: str | None = None, pins: str | None = None
) -> str:
    """The first line of a lock of `in_file` resolved for `python` (default: the project's);
    `pins` is the digest of the lines below it (pins_sha256)."""
    files = input_files(in_file)
    names = " + ".join(path.name for path in files)
    python = python or wanted_minor(in_file.parent)
    fields = [f"python={python}"] if python else []
    fields += [f"scope={scope}"] if scope else []
    fields += [f"pins={pins}"] if pins else []
    return " ".join([f"{HEADER}{content_sha256(*files)} ({names})", *fields])


def pins_sha256(lines: list[str]) -> str:
    """A short digest of a lock's lines below its header. It only tells an untouched lock
    from an edited one (then the pins are read), so 64 bits are plenty."""
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def lines_below_header(lock: Path) -> list[str]:
    text = lock.read_text(encoding="utf-8")
    return [line for line in text.splitlines() if not line.startswith(HEADER)]


class Header(NamedTuple):
    """What a lock's first line records; python and scope are None in older templates' locks."""

    sha256: str
    python: str | None
    scope: str | None
    line_no: int
    pins: str | None = None  # pins_sha256 of the lock as `invoke lock` wrote it


def read_header(lock: Path) -> Header | None:
    """The recorded header of `lock`, or None when it has none (or does not exist)."""
    try:
        lines = lock.read_text(encoding="utf-8").splitlines()[:5]
    except FileNotFoundError:
        return None
    for number, line in enumerate(lines, start=1):
        if line.startswith(HEADER):
            rest = line[len(HEADER) :]
            fields = dict(_FIELD_RE.findall(rest.partition(")")[2] or rest))
            sha256 = rest.split()[0] if rest.split() else ""  # an empty hash matches nothing
            return Header(
                sha256, fields.get("python"), fields.get("scope"), number, fields.get("pins")
            )
    return None


def recorded_sha256(lock: Path) -> str | None:
    header = read_header(lock)
    return header.sha256 if header else None


class Staleness(NamedTuple):
    """Why a lock does not match its inputs: `problem` reads after the lock's name."""

    problem: str
    fix: str
    line_no: int = 1


def staleness(lock: Path, in_file: Path) -> Staleness | None:
    """None when `lock` satisfies its current inputs for the Python of `.python-version`;
    else what differs and the fix.

    A requirements lock is read pin by pin against its `.in` file (lock_satisfies),
    so that one a bot or a hand-run lock tool rewrote without the header, or
    whose `.in` file changed only in comments, is still fresh. The header (or
    the lock tool's own) says which Python it was resolved for. A conda lock is
    fresh when its header records environment.yml's current hash.
    """
    fix = f"run `{relock_command(lock)}`"
    if not in_file.exists():
        return Staleness(
            f"has lost its input: {in_file.name} is missing", f"restore {in_file.name}"
        )
    header = read_header(lock)
    if not lock.exists():
        return Staleness("is missing", fix)
    missing = [path.name for path in input_files(in_file)[1:] if not path.exists()]
    if missing:  # a `-c`/`-r` file: lock that first
        return Staleness(
            f"is stale: {', '.join(missing)}, named by {in_file.name}, is missing", fix
        )
    if lock.name == CONDA_LOCK_NAME:
        if header is None or header.sha256 != input_sha256(in_file):
            return _conda_staleness(header, in_file, fix)
        return _python_staleness(header, in_file.parent, fix)
    if header and header.sha256 == input_sha256(in_file) and header.pins:
        if header.pins == pins_sha256(lines_below_header(lock)):
            # As `invoke lock` wrote it from these very inputs: no pins to read.
            return _python_staleness(header, in_file.parent, fix)
    found = satisfaction(lock, in_file)
    if found:
        return Staleness(f"is stale: {found[0]}", fix, found[1])
    if header is None:
        python = tool_python(lock)
        if python is None:  # no Python recorded anywhere: the pins decide
            return None
        header = Header("", python, None, 1)
    return _python_staleness(header, in_file.parent, fix)


def satisfaction(lock: Path, in_file: Path) -> tuple[str, int] | None:
    """lock_satisfies' (problem, lock line), or None, remembered per content of the lock and
    its inputs in `.cache/lock-satisfies.json`: reading the pins needs `packaging`, whose
    import takes longer than the rest of `lock-fresh` or check-env's `fresh`."""
    memo_path = lock.parent / ".cache" / "lock-satisfies.json"
    key = content_sha256(lock, *input_files(in_file))
    try:
        memo = json.loads(memo_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        memo = {}
    known = memo.get(lock.name) if isinstance(memo, dict) else None
    if isinstance(known, list) and len(known) == 2 and known[0] == key:
        return tuple(known[1]) if known[1] else None
    from .lock_satisfies import unsatisfied

    found = unsatisfied(lock, in_file)
    if found and found.problem.startswith("cannot be checked"):
        return tuple(found)  # says something of this Python, not of the lock: not kept
    memo = memo if isinstance(memo, dict) else {}
    memo[lock.name] = [key, list(found) if found else None]
    try:
        memo_path.parent.mkdir(exist_ok=True)
        memo_path.write_text(json.dumps(memo), encoding="utf-8")
    except OSError:  # a read-only project (an image): ask again next time
        pass
    return tuple(found) if found else None


def _conda_staleness(header: Header | None, in_file: Path, fix: str) -> Staleness:
    if header is None:
        return Staleness(f"is stale: no `{HEADER.strip()}` line: not written by `invoke lock`", fix)
    names = " + ".join(path.name for path in input_files(in_file))
    now = input_sha256(in_file)
    return Staleness(
        f"is stale: locked from an older {names} (recorded {header.sha256[:12]}, now {now[:12]})",
        fix,
        header.line_no,
    )


def tool_python(lock: Path) -> str | None:
    """The Python X.Y the lock tool's own header names: pip-compile's "with Python 3.11",
    or the `--python-version` of the uv command it shows."""
    for line in lock.read_text(encoding="utf-8").splitlines()[:10]:
        found = _TOOL_PYTHON_RE.search(line) if line.startswith("#") else None
        if found:
            return found.group(1) or found.group(2)
    return None


def _python_staleness(header: Header, folder: Path, fix: str) -> Staleness | None:
    wanted = wanted_minor(folder)
    if wanted is None:
        return Staleness(
            "cannot be checked: .python-version is missing",
            "write the project's Python (e.g. 3.11) into .python-version",
            header.line_no,
        )
    if header.python is None:
        return Staleness(
            "is stale: its header records no Python version (written by an older template)",
            fix,
            header.line_no,
        )
    if header.python != wanted:
        return Staleness(
            f"is stale: locked for Python {header.python}, .python-version says {wanted}",
            fix,
            header.line_no,
        )
    return None


def stale_reason(lock: Path, in_file: Path) -> str | None:
    """One line, `<lock> <problem>; <fix>`, or None when the lock is fresh, e.g.
    "requirements.txt is stale: locked for Python 3.11, .python-version says 3.12;
    run `invoke lock`"."""
    found = staleness(lock, in_file)
    return f"{lock.name} {found.problem}; {found.fix}" if found else None


def is_fresh(lock: Path, in_file: Path) -> bool:
    """True when the lock records the hash of its current inputs and the current Python X.Y."""
    return staleness(lock, in_file) is None


def stamp(lock: Path, in_file: Path, scope: str | None = None) -> None:
    """Put the header in the lock's first line, replacing an older one.

    `scope` defaults to what `invoke lock` resolves this lock for.
    """
    scope = scope or scope_for(lock.name)
    lines = lines_below_header(lock)
    header = header_line(in_file, scope=scope, pins=pins_sha256(lines))
    lock.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")


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
    entries: list[LockLine] = []
    logical, start, via_list = "", 0, False
    for number, raw in enumerate(lock.read_text(encoding="utf-8").splitlines(), start=1):
        text, _, comment = (
            raw.partition(" #") if not raw.lstrip().startswith("#") else ("", "", raw)
        )
        text = text.strip()
        if entries and not logical and not text:  # a comment line after an entry
            via_list = _collect_via(entries[-1], comment.strip().lstrip("#"), via_list)
        if not logical:
            start = number
        logical += " " + text.rstrip("\\").strip()
        if text.endswith("\\"):
            continue
        entry = _parse_logical(logical.strip(), start)
        if entry:
            entries.append(entry)
            via_list = _collect_via(entry, comment.strip().lstrip("#"), False)
        logical = ""
    return entries


def _collect_via(entry: LockLine, comment: str, in_list: bool) -> bool:
    """Add what a `# via` comment (or a line of its list) names to `entry`; whether a list
    of names goes on (pip-compile and uv write `# via` alone, then one `#   name` per line)."""
    words = comment.split()
    if words[:1] == ["via"]:
        entry.via += [name for name in " ".join(words[1:]).split(", ") if name]
        return len(words) == 1
    if in_list and comment.startswith("   ") and words:
        entry.via.append(" ".join(words))
        return True
    return False


def _parse_logical(text: str, line_no: int) -> LockLine | None:
    if not text or text.startswith("-"):
        return None
    hashes = re.findall(r"--hash=(\S+)", text)
    spec = re.sub(r"--hash=\S+", "", text).strip()
    requirement, _, marker = spec.partition(";")
    return LockLine(line_no, requirement.strip(), marker.strip(), hashes)
