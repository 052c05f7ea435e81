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
import time
from collections.abc import Sequence
from pathlib import Path

import lockfile
from find_python import find_python
from project import (
    ALL_LOCKS,
    ENV_MANAGER,
    EXIT_OK,
    LOCK_TOOL,
    LOCK_TOOL_VERSION,
    ROOT,
    ToolError,
    venv_python,
    wanted_python,
)

TOOL_CACHE = ROOT / ".cache" / "lock-tools"
COMPILE_COMMAND = "invoke lock"
PACKAGE = {"pip-tools": "pip-tools", "uv": "uv"}
EXECUTABLE = {"pip-tools": "pip-compile", "uv": "uv"}


def _bin(venv: Path, name: str) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / f"{name}.exe"
    return venv / "bin" / name


def pinned_tool_version() -> str:
    """The lock tool's version in requirements-dev.txt, else the template's default."""
    dev_lock = ROOT / "requirements-dev.txt"
    if dev_lock.exists():
        for entry in lockfile.read_lock(dev_lock):
            if entry.name == PACKAGE[LOCK_TOOL] and entry.pinned_version:
                return entry.pinned_version
    return LOCK_TOOL_VERSION


def tool_executable() -> Path:
    """pip-compile or uv at the pinned version, bootstrapped into a cache venv if needed."""
    version = pinned_tool_version()
    python_version = wanted_python()
    tool_venv = TOOL_CACHE / f"{LOCK_TOOL}-{version}-py{python_version}"
    executable = _bin(tool_venv, EXECUTABLE[LOCK_TOOL])
    if executable.exists():
        return executable
    print(
        f"lock: installing {LOCK_TOOL}=={version} into {tool_venv.relative_to(ROOT)} "
        "(once per version)",
        flush=True,
    )
    python = find_python(python_version)
    steps = [
        [python, "-m", "venv", str(tool_venv)],
        [
            str(venv_python(tool_venv)),
            "-m",
            "pip",
            "install",
            "--quiet",
            f"{PACKAGE[LOCK_TOOL]}=={version}",
        ],
    ]
    for step in steps:
        if subprocess.run(step, check=False).returncode != 0:
            raise ToolError(
                f"could not install {LOCK_TOOL}=={version}; check the network "
                "and the package index, then run `invoke lock` again"
            )
    return executable


def compile_command(
    tool: Path, in_file: str, lock: str, upgrade: bool, upgrade_packages: Sequence[str]
) -> list[str]:
    if LOCK_TOOL == "uv":
        command = [
            str(tool),
            "pip",
            "compile",
            in_file,
            "--output-file",
            lock,
            "--generate-hashes",
            "--python-version",
            wanted_python(),
            "--quiet",
        ]
    else:
        command = [
            str(tool),
            in_file,
            "--output-file",
            lock,
            "--generate-hashes",
            "--allow-unsafe",
            "--strip-extras",
            "--no-emit-index-url",
            "--no-emit-find-links",
            "--no-emit-trusted-host",
            "--quiet",
        ]
    if upgrade:
        command.append("--upgrade")
    for name in upgrade_packages:
        command += ["--upgrade-package", name]
    return command


def lock(upgrade: bool = False, upgrade_packages: Sequence[str] = ()) -> None:
    tool = tool_executable()
    # The header then names the project's command, not this machine's paths.
    env = {
        **os.environ,
        "CUSTOM_COMPILE_COMMAND": COMPILE_COMMAND,
        "UV_CUSTOM_COMPILE_COMMAND": COMPILE_COMMAND,
    }
    for lock_name, in_name in ALL_LOCKS:
        print(f"lock: {in_name} -> {lock_name} ({LOCK_TOOL})", flush=True)
        started = time.monotonic()
        command = compile_command(tool, in_name, lock_name, upgrade, upgrade_packages)
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
