#!/usr/bin/env python3
"""lock-fresh: every lock records the hash of its current input file.

Offline and instant: the hash `invoke lock` wrote into each lock's first line
is compared with the hash of the `.in` file (and of the files it names with
`-c`/`-r`) as they are now; when `conda-lock.yml` exists, the same for it and
`environment.yml`. Exit 0 when all agree, 1 with one line per stale or
missing lock.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from pathlib import Path

import lockfile
from conda_meta import CONDA_LOCK, ENVIRONMENT_YML
from findings import Finding, line_of, report
from project import ALL_LOCKS, ROOT

CHECK = "lock-fresh"
FIX = "run `invoke lock`, then commit the .in and .txt files together"
CONDA_FIX = "run `invoke lock --conda`, then commit environment.yml and conda-lock.yml together"


def stale(lock: Path, in_file: Path, fix: str) -> Iterator[Finding]:
    """A finding when `lock` does not record the hash of `in_file` as it is now."""
    if not in_file.exists():
        if lock.exists():
            yield Finding(
                lock, 1, CHECK, f"{in_file.name} (its input) is missing", f"restore {in_file.name}"
            )
        return
    if not lock.exists():
        yield Finding(in_file, 1, CHECK, f"{lock.name} is missing", fix)
        return
    if lockfile.is_fresh(lock, in_file):
        return
    recorded = lockfile.recorded_sha256(lock)
    if recorded is None:
        yield Finding(
            lock,
            1,
            CHECK,
            f"no `{lockfile.HEADER.strip()}` line: not written by `invoke lock`",
            fix,
        )
        return
    names = " + ".join(path.name for path in lockfile.input_files(in_file))
    yield Finding(
        lock,
        line_of(lock.read_text(encoding="utf-8"), "^" + lockfile.HEADER.strip()),
        CHECK,
        f"stale: locked from an older {names} "
        f"(recorded {recorded[:12]}, now {lockfile.input_sha256(in_file)[:12]})",
        fix,
    )


def stale_locks() -> Iterator[Finding]:
    for lock_name, in_name in ALL_LOCKS:
        yield from stale(ROOT / lock_name, ROOT / in_name, FIX)
    # A venv project may never write the conda lock; once it exists, it must be fresh.
    if CONDA_LOCK.exists():
        yield from stale(CONDA_LOCK, ENVIRONMENT_YML, CONDA_FIX)


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(prog="lock_fresh.py", description=__doc__.splitlines()[0]).parse_args(
        argv
    )
    count = len(ALL_LOCKS) + CONDA_LOCK.exists()
    return report(stale_locks(), f"{CHECK}: ok ({count} locks match their inputs)")


if __name__ == "__main__":
    from project import run_main

    run_main(main)
