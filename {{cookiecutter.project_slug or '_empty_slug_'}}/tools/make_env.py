#!/usr/bin/env python3
"""Create or sync `.venv` from the locks: `make env`, `invoke env`.

Installs the locks hash-checked into a fresh venv, then the project itself
without dependencies. A run with nothing changed is a no-op. A failed or
interrupted build puts the previous `.venv` back: venvs cannot be moved
(their scripts carry absolute paths), so the old one waits beside the new
one under its own name and is renamed back, never copied.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import lockfile
from env_swap import has_stamp, inputs_stamp, recover_interrupted_build, run_steps, swapped_in
from find_python import find_python
from lock import lock, tool_executable
from project import (
    ENV_MANAGER,
    EXIT_OK,
    LOCK_REQUIREMENT_ARGS,
    LOCK_TOOL,
    LOCKS,
    PROJECT_INSTALL_ARGS,
    PYTHON_VERSION_FILE,
    ROOT,
    VENV,
    ToolError,
    venv_python,
    version_matches,
    wanted_python,
)


def env_stamp() -> str:
    """Hash of everything .venv is built from; equal stamps mean nothing to do."""
    files = [PYTHON_VERSION_FILE, ROOT / "pyproject.toml", *(ROOT / name for name, _ in LOCKS)]
    return inputs_stamp(*files, salt=LOCK_TOOL)


def venv_version(venv: Path) -> str | None:
    """The Python version recorded in pyvenv.cfg (venv writes `version`, uv `version_info`)."""
    try:
        text = (venv / "pyvenv.cfg").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("version", "version_info"):
            return value.strip()
    return None


def is_current(stamp: str) -> bool:
    version = venv_version(VENV)
    return (
        has_stamp(VENV, stamp)
        and venv_python().exists()
        and version is not None
        and version_matches(version, wanted_python())
    )


def ensure_locks() -> None:
    missing = [lock_name for lock_name, _ in LOCKS if not (ROOT / lock_name).exists()]
    if missing:
        print(f"env: {', '.join(missing)} missing; locking first (invoke lock)", flush=True)
        lock()
    for lock_name, in_name in LOCKS:
        if not lockfile.is_fresh(ROOT / lock_name, ROOT / in_name):
            inputs = " + ".join(path.name for path in lockfile.input_files(ROOT / in_name))
            raise ToolError(
                f"{lock_name} is stale: {inputs} changed since it was locked; "
                "run `invoke lock`, then `make env` again"
            )


def refuse_running_venv_on_windows() -> None:
    """Windows cannot rename a folder whose python.exe is running (invoke from .venv)."""
    if os.name == "nt" and Path(sys.prefix).resolve() == VENV.resolve():
        raise ToolError(
            "this command runs from .venv, which Windows cannot replace while it runs; "
            "run `python tools/make_env.py` with a Python outside .venv"
        )


def install_commands(python: str) -> list[list[str]]:
    target = str(venv_python())
    if LOCK_TOOL == "uv":
        uv = str(tool_executable())
        pip = [uv, "pip", "install", "--python", target]
        # pip writes .pyc files at install time, uv only when asked: without
        # them every start compiles the sources again where bytecode writing
        # is off (PYTHONDONTWRITEBYTECODE, read-only installs).
        return [
            [uv, "venv", "--quiet", "--python", python, str(VENV)],
            [*pip, "--require-hashes", "--compile-bytecode", *LOCK_REQUIREMENT_ARGS],
            [*pip, *PROJECT_INSTALL_ARGS],
        ]
    pip = [target, "-m", "pip", "install", "--disable-pip-version-check"]
    return [
        [python, "-m", "venv", str(VENV)],
        [*pip, "--require-hashes", *LOCK_REQUIREMENT_ARGS],
        [*pip, *PROJECT_INSTALL_ARGS],
    ]


def build(python: str) -> None:
    run_steps(
        "env",
        install_commands(python),
        ROOT,
        "installing the locks into .venv failed (see the installer's message above); fix "
        "the lock with `invoke lock` or check the network, then run `make env` again",
    )


def sync(force: bool = False) -> None:
    wanted = wanted_python()
    recover_interrupted_build(VENV)
    ensure_locks()
    stamp = env_stamp()
    if not force and is_current(stamp):
        print("env: .venv is up to date with the locks; nothing to do", flush=True)
        return
    refuse_running_venv_on_windows()
    python = find_python(wanted)
    started = time.monotonic()
    print(f"env: building .venv with Python {wanted} ({python}) from the locks", flush=True)
    with swapped_in(VENV, stamp):
        build(python)
    print(
        f"env: .venv ready in {time.monotonic() - started:.0f}s; check it with `invoke check-env`",
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="invoke env", description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    parser.add_argument(
        "--venv",
        action="store_true",
        help="build the pip-locked .venv even in a conda project (lint, nox)",
    )
    args = parser.parse_args(argv)
    force = args.force
    if ENV_MANAGER == "conda" and not args.venv:
        import conda_env

        conda_env.find_solver()  # no solver: say so before locking anything
        ensure_locks()  # the dev tools come from requirements-dev.txt
        conda_env.sync(force)
        return EXIT_OK
    sync(force)
    return EXIT_OK


if __name__ == "__main__":
    from project import run_main

    run_main(main)
