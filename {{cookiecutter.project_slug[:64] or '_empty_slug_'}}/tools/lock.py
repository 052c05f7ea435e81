"""Write the hashed locks from the `.in` files: `invoke lock`, `nox -s lock`.

Every pin is `==` with sha256 hashes, no index or find-links line of the locking machine is
written, and the header (lockfile.stamp) lets freshness be checked offline. Each step is
watched (`steps.run_step`): a quiet resolver shows it is alive, and a failure names its cause.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import lockfile, pylock
from .project import (
    ALL_LOCKS,
    DEV_LOCK,
    ENV_MANAGER,
    EXIT_OK,
    GPU_LOCKS,
    HASH_CHECKING,
    LOCK_TOOL,
    LOCK_TOOL_VERSION,
    LOCKS,
    PYTORCH_INDEX,
    ROOT,
    TORCH_BACKENDS,
    WHEELS_ONLY,
    ToolError,
    wanted_python,
)
from .steps import StepFailed, run_step
from .tool_venv import bootstrapped

COMPILE_COMMAND = "invoke lock"
PACKAGE = {"pip-tools": "pip-tools", "uv": "uv"}
EXECUTABLE = {"pip-tools": "pip-compile", "uv": "uv"}
# uv's flags for each scope lockfile.scope_for gives: one lock for Linux, macOS
# and Windows (markers where they differ), as CI's matrix needs; image locks
# target the image's Linux. pip-compile has no such flag: it resolves for here.
UV_SCOPE_FLAGS = {"universal": ["--universal"], "linux": ["--python-platform", "linux"]}
_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


def pinned_tool_version() -> str:
    """The lock tool's version in requirements-dev.txt, else the template's default."""
    if DEV_LOCK.exists():
        for entry in lockfile.read_lock(DEV_LOCK):
            if entry.name == PACKAGE[LOCK_TOOL] and entry.pinned_version:
                return entry.pinned_version
    return LOCK_TOOL_VERSION


def tool_executable() -> Path:
    """pip-compile or uv at the pinned version, bootstrapped into a cache venv if needed."""
    return bootstrapped(PACKAGE[LOCK_TOOL], pinned_tool_version(), EXECUTABLE[LOCK_TOOL])


def compile_command(
    tool: Path, in_file: str, lock: str, upgrade: bool, upgrade_packages: Sequence[str]
) -> list[str]:
    if LOCK_TOOL == "uv":
        command = [str(tool), "pip", "compile", in_file, "--output-file", lock]
        command += ["--generate-hashes", "--python-version", wanted_python()]
        command += [*UV_SCOPE_FLAGS[lockfile.scope_for(lock)], "--quiet"]
    else:
        command = [str(tool), in_file, "--output-file", lock, "--generate-hashes"]
        command += ["--allow-unsafe", "--strip-extras", "--no-emit-index-url"]
        command += ["--no-emit-find-links", "--no-emit-trusted-host", "--quiet"]
    command += torch_index_args(lock)
    if LOCK_TOOL == "uv" and lock in TORCH_BACKENDS:
        # Two indexes: each pin says which one it came from (`# from <index>`).
        command.append("--emit-index-annotation")
    command += ["--upgrade"] if upgrade else []
    return command + [arg for name in upgrade_packages for arg in ("--upgrade-package", name)]


def torch_index_args(lock_name: str) -> list[str]:
    """Where this lock's torch family comes from, for the lock tool and installs alike (uv:
    the pre-gen hook refuses pip-tools, whose extra index would serve any package)."""
    backend = TORCH_BACKENDS.get(lock_name)
    return ["--torch-backend", backend] if backend else []


def install_args(
    lock_names: Sequence[str], files: Sequence[str] = (), require_hashes: bool = True
) -> list[str]:
    """Every install's arguments for these locks: hash-checked wheels only, from torch's index
    where the first lock takes it; an in-place sync passes its `files` of the pins that differ."""
    requirements = [arg for name in (files or lock_names) for arg in ("-r", name)]
    hashes = HASH_CHECKING if require_hashes else ()
    return [*hashes, *WHEELS_ONLY, *torch_index_args(lock_names[0]), *requirements]


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


def _name(text: str) -> str | None:
    match = _NAME.match(text)
    return lockfile.canonical(match.group(1)) if match else None


def unknown_upgrades(upgrade_packages: Sequence[str], extra_names: Sequence[str]) -> list[str]:
    """The `--upgrade-package` arguments no lock pins and no `.in` file names (a name new
    in an `.in` file is locked anyway)."""
    known = {lockfile.canonical(name) for name in extra_names}
    for lock_name, in_name in ALL_LOCKS:
        if (ROOT / lock_name).exists():
            known |= {entry.name for entry in lockfile.read_lock(ROOT / lock_name)}
        if (ROOT / in_name).exists():
            lines = (ROOT / in_name).read_text(encoding="utf-8").splitlines()
            names = (_name(line) for line in lines if not line.lstrip().startswith(("#", "-")))
            known |= {name for name in names if name}
    return [argument for argument in upgrade_packages if _name(argument) not in known]


def check_upgrades(upgrade_packages: Sequence[str], extra_names: Sequence[str] = ()) -> None:
    """Refuse, before anything is resolved, to upgrade a package no lock holds: the lock
    tools accept such a name silently and change nothing."""
    unknown = unknown_upgrades(upgrade_packages, extra_names)
    if not unknown:
        return
    names = [lock_name for lock_name, _ in ALL_LOCKS]
    where = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    raise ToolError(
        f"--upgrade-package {', '.join(unknown)}: not in {where}; add it to "
        f"{ALL_LOCKS[0][1]} (or {ALL_LOCKS[1][1]}), then run `{COMPILE_COMMAND}`"
    )


def failure(error: StepFailed, in_name: str) -> ToolError:
    """The message for a failed lock step: its cause, and the fix for that cause."""
    if error.cause in {"resolution", "python"}:
        return ToolError(
            f"{error}; read the resolver message above, fix {in_name}, "
            f"then run `{COMPILE_COMMAND}` again"
        )
    return error


def refuse_unreachable_torch_index(lock_name: str, timeout: float = 15) -> None:
    """One line, before resolving, when PyTorch's index for this lock cannot be reached:
    the resolvers would otherwise retry for minutes and blame the requirements."""
    backend = TORCH_BACKENDS.get(lock_name)
    if not backend:
        return
    import urllib.request

    url = f"{PYTORCH_INDEX}{backend}/torch/"
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout)
    except OSError as error:
        raise ToolError(
            f"cannot reach {url} ({error}): {lock_name} takes torch's {backend} build from "
            "PyTorch's wheel index",
            "check the network or proxy, then run `invoke lock` again",
        ) from None


def lock(upgrade: bool = False, upgrade_packages: Sequence[str] = ()) -> None:
    write_derived()  # a conda project's requirements.in comes from environment.yml
    tool = tool_executable()
    # The header then names the project's command, not this machine's paths.
    env = {
        **os.environ,
        "CUSTOM_COMPILE_COMMAND": COMPILE_COMMAND,
        "UV_CUSTOM_COMPILE_COMMAND": COMPILE_COMMAND,
    }
    for lock_name, in_name in ALL_LOCKS:
        if (lock_name, in_name) in GPU_LOCKS and skipped_here(lock_name):
            continue
        refuse_unreachable_torch_index(lock_name)
        command = compile_command(tool, in_name, lock_name, upgrade, upgrade_packages)
        print(f"lock: {in_name} -> {lock_name} ({LOCK_TOOL})", flush=True)
        started = time.monotonic()
        try:
            run_step("lock", command, f"locking {in_name}", cwd=ROOT, env=env)
        except StepFailed as error:
            raise failure(error, in_name) from None
        lockfile.stamp(ROOT / lock_name, ROOT / in_name)
        print(f"lock: wrote {lock_name} in {time.monotonic() - started:.1f}s", flush=True)
        if lock_name == LOCKS[0][0]:
            pylock.write()  # the same pins in PEP 751's format


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--upgrade", action="store_true", help="re-resolve every pin to the newest allowed version"
    )
    parser.add_argument(
        "--upgrade-package",
        action="append",
        default=[],
        metavar="NAME",
        help="re-resolve only this package (repeatable)",
    )
    parser.add_argument(
        "--pylock-only",
        action="store_true",
        help="only write pylock.toml from requirements.txt, re-locking nothing "
        "(a Dependabot pull request's fix)",
    )
    if ENV_MANAGER == "conda":
        parser.add_argument(
            "--conda",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="also write conda-lock.yml from environment.yml (--no-conda skips it)",
        )


def write_derived() -> None:
    """Rewrite the description derived from the one a person edits, when it changed."""
    from . import derived

    if derived.write():
        print(f"lock: wrote {derived.DERIVED.name} from {derived.INTENT.name}", flush=True)


def run(args: argparse.Namespace) -> int:
    if args.pylock_only:
        pylock.write()
        return EXIT_OK
    conda = getattr(args, "conda", False)
    # First, as --upgrade-package may name what the intent just gained (lock() writes it
    # too, for `make env`'s first lock; that second call finds nothing to change).
    write_derived()
    if conda:
        from . import conda_env, conda_meta

        # What conda-lock.yml pins, `--upgrade-package` may name too.
        packages = conda_meta.read_conda_lock() if conda_meta.CONDA_LOCK.exists() else []
        check_upgrades(args.upgrade_package, [conda_meta.pypi_name(p.name) for p in packages])
        conda_env.find_solver()  # no solver: say so before re-locking anything
    else:
        check_upgrades(args.upgrade_package)
    lock(args.upgrade, args.upgrade_package)
    if conda:
        conda_env.lock(args.upgrade, args.upgrade_package)
    return EXIT_OK
