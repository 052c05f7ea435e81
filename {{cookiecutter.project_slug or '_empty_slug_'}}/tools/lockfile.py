"""Read lock files and the input hash recorded in their first line.

The recorded hash lets anyone check offline, in milliseconds, that a lock
was generated from the current `.in` file (and from the locks it names
with `-c`/`-r`, so a dev lock goes stale when the runtime lock changes).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

HEADER = "# input-sha256: "
_OPTION_RE = re.compile(r"^-[cr]\s+(\S+)")


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


def input_sha256(in_file: Path) -> str:
    return content_sha256(*input_files(in_file))


def header_line(in_file: Path) -> str:
    files = input_files(in_file)
    names = " + ".join(path.name for path in files)
    return f"{HEADER}{content_sha256(*files)} ({names})"


def recorded_sha256(lock: Path) -> str | None:
    for line in lock.read_text(encoding="utf-8").splitlines()[:5]:
        if line.startswith(HEADER):
            return line[len(HEADER) :].split()[0]
    return None


def is_fresh(lock: Path, in_file: Path) -> bool:
    """True when the lock records the hash of its current inputs."""
    return recorded_sha256(lock) == input_sha256(in_file)


def stamp(lock: Path, in_file: Path) -> None:
    """Put the input hash in the lock's first line, replacing an older one."""
    lines = [
        line
        for line in lock.read_text(encoding="utf-8").splitlines()
        if not line.startswith(HEADER)
    ]
    lock.write_text("\n".join([header_line(in_file), *lines]) + "\n", encoding="utf-8")


@dataclass
class LockLine:
    """One requirement of a lock, with its continuation lines joined."""

    line_no: int
    requirement: str
    marker: str = ""
    hashes: list[str] = field(default_factory=list)

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
    logical, start = "", 0
    for number, raw in enumerate(lock.read_text(encoding="utf-8").splitlines(), start=1):
        text = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not logical:
            start = number
        logical += " " + text.rstrip("\\").strip()
        if text.endswith("\\"):
            continue
        entry = _parse_logical(logical.strip(), start)
        if entry:
            entries.append(entry)
        logical = ""
    return entries


def _parse_logical(text: str, line_no: int) -> LockLine | None:
    if not text or text.startswith("-"):
        return None
    hashes = re.findall(r"--hash=(\S+)", text)
    spec = re.sub(r"--hash=\S+", "", text).strip()
    requirement, _, marker = spec.partition(";")
    return LockLine(line_no, requirement.strip(), marker.strip(), hashes)
