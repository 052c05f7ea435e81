#!/usr/bin/env python3
"""lock-fresh: every lock records the hash of its current `.in` file.

Offline and instant: the hash `invoke lock` wrote into each lock's first line
is compared with the hash of the `.in` file (and of the files it names with
`-c`/`-r`) as they are now. Exit 0 when all agree, 1 with one line per stale
or missing lock.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence

import lockfile
from findings import Finding, line_of, report
from project import ALL_LOCKS, ROOT

CHECK = "lock-fresh"
FIX = "run `invoke lock`, then commit the .in and .txt files together"


def stale_locks() -> Iterator[Finding]:
    for lock_name, in_name in ALL_LOCKS:
        lock, in_file = ROOT / lock_name, ROOT / in_name
        if not in_file.exists():
            if lock.exists():
                yield Finding(
                    lock, 1, CHECK, f"{in_name} (its input) is missing", f"restore {in_name}"
                )
            continue
        if not lock.exists():
            yield Finding(in_file, 1, CHECK, f"{lock_name} is missing", FIX)
            continue
        recorded = lockfile.recorded_sha256(lock)
        text = lock.read_text(encoding="utf-8")
        if recorded is None:
            yield Finding(
                lock,
                1,
                CHECK,
                f"no `{lockfile.HEADER.strip()}` line: not written by `invoke lock`",
                FIX,
            )
        elif recorded != lockfile.input_sha256(in_file):
            names = " + ".join(path.name for path in lockfile.input_files(in_file))
            yield Finding(
                lock,
                line_of(text, "^" + lockfile.HEADER.strip()),
                CHECK,
                f"stale: locked from an older {names} "
                f"(recorded {recorded[:12]}, now {lockfile.input_sha256(in_file)[:12]})",
                FIX,
            )


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(prog="lock_fresh.py", description=__doc__.splitlines()[0]).parse_args(
        argv
    )
    return report(stale_locks(), f"{CHECK}: ok ({len(ALL_LOCKS)} locks match their inputs)")


if __name__ == "__main__":
    from project import run_main

    run_main(main)
