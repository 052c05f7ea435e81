#!/usr/bin/env python3
"""Write the hashed locks from the `.in` files: `invoke lock`, `nox -s lock`.

Every line of a lock is `==`-pinned with sha256 hashes, no index URL or
find-links line of the locking machine is written, and the first line
records the input hash so freshness can be checked offline.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import lockfile
from find_python import find_python
from project import (
    ALL_LOCKS,
    DEV_LOCK,
    ENV_MANAGER,
    EXIT_OK,
    IMAGE_LOCKS,
    LOCK_TOOL,
    LOCK_TOOL_VERSION,
    ROOT,
    ToolError,
    wanted_python,
)
from tool_venv import cached_tool

COMPILE_COMMAND = "invoke lock"
PACKAGE = {"pip-tools": "pip-tools", "uv": "uv"}
EXECUTABLE = {"pip-tools": "pip-compile", "uv": "uv"}


def pinned_tool_version() -> str:
    """The lock tool's version in requirements-dev.txt, else the template's default."""
    if DEV_LOCK.exists():
        for entry in lockfile.read_lock(DEV_LOCK):
            if entry.name == PACKAGE[LOCK_TOOL] and entry.pinned_version:
                return entry.pinned_version
    return LOCK_TOOL_VERSION


def tool_executable() -> Path:
    """pip-compile or uv at the pinned version, bootstrapped into a cache venv if needed."""
    python_version = wanted_python()
    return cached_tool(
        PACKAGE[LOCK_TOOL],
        pinned_tool_version(),
        EXECUTABLE[LOCK_TOOL],
        python_version,
        lambda: find_python(python_version),
    )


def compile_command(
    tool: Path,
    in_file: str,
    lock: str,
    upgrade: bool,
    upgrade_packages: Sequence[str],
    image_only: bool = False,
) -> list[str]:
    if LOCK_TOOL == "uv":
        # --universal: one lock for Linux, macOS and Windows (markers where they
        # differ), as CI's matrix needs; image locks target the image's Linux.
        platform = ["--python-platform", "linux"] if image_only else ["--universal"]
        command = [str(tool), "pip", "compile", in_file, "--output-file", lock]
        command += ["--generate-hashes", "--python-version", wanted_python(), *platform]
        command += ["--quiet"]
    else:
        command = [str(tool), in_file, "--output-file", lock, "--generate-hashes"]
        command += ["--allow-unsafe", "--strip-extras", "--no-emit-index-url"]
        command += ["--no-emit-find-links", "--no-emit-trusted-host", "--quiet"]
    if upgrade:
        command.append("--upgrade")
    for name in upgrade_packages:
        command += ["--upgrade-package", name]
    return command


def skipped_here(lock_name: str) -> bool:
    """pip-compile resolves for this machine only: image locks need a Linux one."""
    if LOCK_TOOL == "uv" or sys.platform.startswith("linux"):
        return False
    print(
        f"lock: skipped {lock_name}: its wheels are Linux-only and pip-compile locks for "
        "this machine; run `invoke lock` on Linux (or in CI) to refresh it",
        flush=True,
    )
    return True


def lock(upgrade: bool = False, upgrade_packages: Sequence[str] = ()) -> None:
    tool = tool_executable()
    # The header then names the project's command, not this machine's paths.
    env = {
        **os.environ,
        "CUSTOM_COMPILE_COMMAND": COMPILE_COMMAND,
        "UV_CUSTOM_COMPILE_COMMAND": COMPILE_COMMAND,
    }
    for lock_name, in_name in ALL_LOCKS:
        image_only = (lock_name, in_name) in IMAGE_LOCKS
        if image_only and skipped_here(lock_name):
            continue
        print(f"lock: {in_name} -> {lock_name} ({LOCK_TOOL})", flush=True)
        started = time.monotonic()
        command = compile_command(
            tool, in_name, lock_name, upgrade, upgrade_packages, image_only=image_only
        )
        if subprocess.run(command, cwd=ROOT, env=env, check=False).returncode != 0:
            raise ToolError(
                f"{LOCK_TOOL} could not resolve {in_name}; read the resolver "
                f"message above, fix {in_name}, then run `invoke lock` again"
            )
        lockfile.stamp(ROOT / lock_name, ROOT / in_name)
        print(f"lock: wrote {lock_name} in {time.monotonic() - started:.1f}s", flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="invoke lock", description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="re-resolve every pin")
    parser.add_argument(
        "--upgrade-package",
        action="append",
        default=[],
        metavar="NAME",
        help="re-resolve only NAME (repeatable)",
    )
    parser.add_argument(
        "--conda",
        action=argparse.BooleanOptionalAction,
        default=ENV_MANAGER == "conda",
        help="also write conda-lock.yml from environment.yml (the default for conda projects)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.conda:
        import conda_env

        conda_env.find_solver()  # no solver: say so before re-locking anything
    lock(args.upgrade, args.upgrade_package)
    if args.conda:
        conda_env.lock(args.upgrade, args.upgrade_package)
    return EXIT_OK


if __name__ == "__main__":
    from project import run_main

    run_main(main)
