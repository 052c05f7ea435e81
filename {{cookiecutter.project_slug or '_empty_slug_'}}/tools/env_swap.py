"""Replace a project env (.venv, .conda-env) all at once, or not at all.

Envs cannot be moved (their scripts carry absolute paths), so the new env
is built at the final path while the old one waits beside it under
`<name>.previous`; on failure or Ctrl-C the old one is renamed back. A
stamp written last marks an env as complete and records what it was built
from, so an unchanged rebuild is skipped.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import lockfile
from project import ToolError

STAMP = ".repro-stamp"


def previous_of(env: Path) -> Path:
    return env.with_name(env.name + ".previous")


def inputs_stamp(*files: Path, salt: str = "") -> str:
    """Hash of the files an env is built from (and of `salt`, e.g. the lock tool);
    equal stamps mean nothing to do."""
    return hashlib.sha256(f"{salt}\0{lockfile.content_sha256(*files)}".encode()).hexdigest()


def has_stamp(env: Path, stamp: str) -> bool:
    stamp_file = env / STAMP
    return stamp_file.exists() and stamp_file.read_text(encoding="utf-8") == stamp


def recover_interrupted_build(env: Path) -> None:
    """A build killed hard leaves `<env>.previous`: keep whichever env is complete."""
    previous = previous_of(env)
    if not previous.exists():
        return
    if (env / STAMP).exists():
        shutil.rmtree(previous)
        return
    print(f"env: restoring the previous {env.name} left by an interrupted build", flush=True)
    shutil.rmtree(env, ignore_errors=True)
    previous.rename(env)


@contextmanager
def swapped_in(env: Path, stamp: str) -> Iterator[None]:
    """Build at the final path; stamp it on success, put the previous env back on failure."""
    previous = previous_of(env)
    if env.exists():
        env.rename(previous)
    try:
        yield
        (env / STAMP).write_text(stamp, encoding="utf-8")
    except BaseException:
        shutil.rmtree(env, ignore_errors=True)
        if previous.exists():
            previous.rename(env)
            print(f"env: build failed; the previous {env.name} is back in place", flush=True)
        raise
    shutil.rmtree(previous, ignore_errors=True)


def run_steps(label: str, steps: list[list[str]], cwd: Path, failure: str) -> None:
    """Run install steps in order, echoing each (paths shortened); stop at the first failure."""
    for step in steps:
        shown = " ".join(Path(part).name if os.sep in part else part for part in step)
        print(f"{label}: $ {shown}", flush=True)
        if subprocess.run(step, cwd=cwd, check=False).returncode != 0:
            raise ToolError(failure)
