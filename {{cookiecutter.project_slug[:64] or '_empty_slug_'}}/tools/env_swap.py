"""Replace a project env (.venv, .conda-env) all at once, or not at all: envs cannot move
(their scripts hold absolute paths), so the new one is built in place while the old waits as
`<name>.previous`, put back on failure. A stamp written last marks it complete and records its
inputs; `env_lock` keeps two builds from renaming each other's envs away.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import lockfile
from .project import ROOT
from .steps import run_step

STAMP = ".repro-stamp"
LOCK_FILE = ROOT / ".cache" / "env.lock"


def inputs_stamp(*files: Path, salt: str = "") -> str:
    """Hash of the files an env is built from, and of `salt` (e.g. the lock tool)."""
    return hashlib.sha256(f"{salt}\0{lockfile.content_sha256(*files)}".encode()).hexdigest()


def write_stamp(env: Path, text: str) -> None:
    """Replace the stamp in one step: a half-written record would read as no record."""
    partial = env / (STAMP + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, env / STAMP)


def has_stamp(env: Path, stamp: str) -> bool:
    stamp_file = env / STAMP
    return stamp_file.exists() and stamp_file.read_text(encoding="utf-8") == stamp


def read_stamp(env: Path) -> dict:
    """The record of the last complete build, as JSON ({} without a readable one)."""
    try:
        data = json.loads((env / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def stamped_locks(env: Path) -> list[str]:
    """The names of the locks the env was last built or synced from ([] when unknown)."""
    names = read_stamp(env).get("lock_files")
    return [name for name in names if isinstance(name, str)] if isinstance(names, list) else []


def recover_interrupted_build(env: Path) -> None:
    """A build killed hard leaves `<env>.previous`: keep whichever env is complete."""
    previous = env.with_name(env.name + ".previous")
    if previous.exists() and not (env / STAMP).exists():
        print(f"env: restoring the previous {env.name} left by an interrupted build", flush=True)
        shutil.rmtree(env, ignore_errors=True)
        previous.rename(env)
    shutil.rmtree(previous, ignore_errors=True)


@contextmanager
def swapped_in(env: Path, stamp: str | Callable[[], str]) -> Iterator[None]:
    """Build at the final path; on success stamp it (text, or a function of the built env)."""
    previous = env.with_name(env.name + ".previous")
    if env.exists():
        env.rename(previous)
    try:
        yield
        write_stamp(env, stamp() if callable(stamp) else stamp)
    except BaseException:
        shutil.rmtree(env, ignore_errors=True)
        if previous.exists():
            previous.rename(env)
            print(f"env: build failed; the previous {env.name} is back in place", flush=True)
        raise
    shutil.rmtree(previous, ignore_errors=True)


def run_steps(label: str, steps: list[list[str]], cwd: Path, doing: str) -> None:
    """Run install steps in order; the first failure stops them."""
    for step in steps:
        run_step(label, step, doing, cwd=cwd)


def _try_lock(handle) -> bool:
    """Take the lock without waiting; False when another process holds it."""
    try:
        if os.name == "nt":
            import msvcrt

            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


@contextmanager
def env_lock(label: str) -> Iterator[None]:
    """Hold the project's env lock; a second build waits, saying so, until the first ends.
    The system drops the lock when its holder dies: a killed build never leaves it locked."""
    LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
    with LOCK_FILE.open("a+b") as handle:
        if not _try_lock(handle):
            print(f"{label}: another `make env` is running in this project; waiting", flush=True)
            while not _try_lock(handle):
                time.sleep(0.2)
        yield
