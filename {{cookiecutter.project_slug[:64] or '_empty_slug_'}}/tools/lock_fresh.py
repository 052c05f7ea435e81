"""lock-fresh: every lock satisfies its current input file and Python, and is committed.

The file written from the intent must be what `invoke lock` writes; in a git work tree an
untracked lock fails too: a clone would not get it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

from . import lockfile
from .project import ALL_LOCKS, ENV_MANAGER, ROOT
from .results import Problem, Result, at, checked

CHECK = "lock-fresh"
FIX = "run `invoke lock`, then commit the .in and .txt files together"
CONDA_FIX = "run `invoke lock --conda`, then commit environment.yml and conda-lock.yml together"


def stale(lock: Path, in_file: Path, fix: str) -> Iterator[Problem]:
    if not in_file.exists():
        if lock.exists():
            yield at(lock, 1, f"{in_file.name} (its input) is missing", f"restore {in_file.name}")
    elif not lock.exists():
        yield at(in_file, 1, f"{lock.name} is missing", fix)
    elif found := lockfile.staleness(lock, in_file):
        # Re-locking is this check's fix; any other (write .python-version) is the lockfile's.
        fix = fix if found.fix == f"run `{lockfile.relock_command(lock)}`" else found.fix
        yield at(lock, found.line_no, found.problem.removeprefix("is "), fix)


def checked_pairs() -> list[tuple[Path, Path, str]]:
    pairs = [(ROOT / lock_name, ROOT / in_name, FIX) for lock_name, in_name in ALL_LOCKS]
    if ENV_MANAGER == "conda":
        from .conda_meta import CONDA_LOCK, ENVIRONMENT_YML

        pairs.append((CONDA_LOCK, ENVIRONMENT_YML, CONDA_FIX))
    return pairs


def untracked_locks(locks: Sequence[Path]) -> Iterator[Problem]:
    """The locks git does not track (staged counts); none outside a git work tree."""
    names = [lock.relative_to(ROOT).as_posix() for lock in locks if lock.exists()]
    command = ["git", "ls-files", "-z", "--", *names]
    try:
        listed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    except OSError:  # no git: nothing to compare with
        return
    tracked = listed.stdout.split("\0") if listed.returncode == 0 else names  # else: no work tree
    missing = [name for name in names if name not in tracked]
    them = "them with their input files" if len(missing) > 1 else "it with its input file"
    fix = f"`git add {' '.join(missing)}` and commit {them}"
    yield from (at(ROOT / name, 1, "not tracked by git", fix) for name in missing)


def problems() -> Iterator[Problem]:
    from . import derived

    pairs = checked_pairs()
    for lock, in_file, fix in pairs:
        yield from stale(lock, in_file, fix)
    if derived.INTENT.exists() and derived.differs():  # a hand edit of the derived file
        what = f"is not what {derived.SOURCES} (not re-locked, or edited by hand?)"
        fix = f"run `invoke lock`, which writes it; add dependencies to {derived.INTENT.name}, "
        yield at(derived.DERIVED, 1, what, fix + "not here")
    yield from untracked_locks([lock for lock, _, _ in pairs])


def result() -> Result:
    return checked(CHECK, problems(), f"{len(checked_pairs())} locks match their inputs")
