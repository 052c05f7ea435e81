"""Write the hashed locks from the `.in` files, then pylock.toml: `invoke lock`, `nox -s lock`.

Every pin is `==` with hashes, no index line of the locking machine is written, and the header
(lockfile.stamp) lets freshness be checked offline.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import lockfile
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
    UV_VERSION,
    WHEELS_ONLY,
    ToolError,
    wanted_python,
)
from .pylock import PYLOCK, SOURCE
from .steps import StepFailed, bootstrapped, run_step

COMPILE_COMMAND = "invoke lock"
# pip-compile's and uv's headers then name the project's command, not this machine's paths.
COMMAND_ENV = {f"{prefix}CUSTOM_COMPILE_COMMAND": COMPILE_COMMAND for prefix in ("", "UV_")}


def pinned_tool_version() -> str:
    """The lock tool's version in requirements-dev.txt, else the template's default."""
    entries = lockfile.read_lock(DEV_LOCK) if DEV_LOCK.exists() else []
    versions = (entry.pinned_version for entry in entries if entry.name == LOCK_TOOL)
    return next((version for version in versions if version), LOCK_TOOL_VERSION)


def tool_executable() -> Path:
    """pip-compile or uv at the pinned version, bootstrapped into a cache venv if needed."""
    executable = "uv" if LOCK_TOOL == "uv" else "pip-compile"
    return bootstrapped(LOCK_TOOL, pinned_tool_version(), executable)


def compile_command(
    tool: Path, in_file: str, lock: str, upgrade: bool, upgrade_packages: Sequence[str]
) -> list[str]:
    if LOCK_TOOL == "uv":  # for every OS CI's matrix runs on (image locks: the image's Linux)
        command = [str(tool), "pip", "compile", in_file, "--output-file", lock]
        command += ["--generate-hashes", "--python-version", wanted_python()]
        universal = lockfile.scope_for(lock) == "universal"
        command += [*(["--universal"] if universal else ["--python-platform", "linux"]), "--quiet"]
    else:  # pip-compile has no such flag: it locks for this machine
        command = [str(tool), in_file, "--output-file", lock, "--generate-hashes"]
        command += ["--allow-unsafe", "--strip-extras", "--no-emit-index-url"]
        command += ["--no-emit-find-links", "--no-emit-trusted-host", "--quiet"]
    command += torch_index_args(lock)
    if LOCK_TOOL == "uv" and lock in TORCH_BACKENDS:  # two indexes: `# from <index>` per pin
        command.append("--emit-index-annotation")
    command += ["--upgrade"] if upgrade else []
    return command + [arg for name in upgrade_packages for arg in ("--upgrade-package", name)]


def pylock_command(uv: Path) -> list[str]:
    """uv writes, for every platform, each wheel of requirements.txt's pins the project's Python
    can use: no new resolution."""
    command = [str(uv), "pip", "compile", SOURCE.name, "--no-deps", "--universal"]
    command += ["--output-file", PYLOCK.name, "--python-version", wanted_python(), "--quiet"]
    return command + torch_index_args(SOURCE.name)


def torch_index_args(lock_name: str) -> list[str]:
    """This lock's torch index, for uv and installs (pip-tools' extra index serves anything)."""
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


def unknown_upgrades(upgrade_packages: Sequence[str], extra_names: Sequence[str]) -> list[str]:
    """The `--upgrade-package` arguments no lock pins and no `.in` file names (to be locked)."""
    known = {lockfile.canonical(name) for name in extra_names}
    for path in (ROOT / name for pair in ALL_LOCKS for name in pair):
        known |= {entry.name for entry in lockfile.read_lock(path)} if path.exists() else set()
    return [arg for arg in upgrade_packages if lockfile.LockLine(0, arg.strip()).name not in known]


def check_upgrades(upgrade_packages: Sequence[str], extra_names: Sequence[str] = ()) -> None:
    """Refuse to upgrade a package no lock holds: the lock tools would silently do nothing."""
    if unknown := unknown_upgrades(upgrade_packages, extra_names):
        names = [lock_name for lock_name, _ in ALL_LOCKS]
        raise ToolError(
            f"--upgrade-package {', '.join(unknown)}: not in {', '.join(names[:-1])} or "
            f"{names[-1]}; add it to {ALL_LOCKS[0][1]} (or {ALL_LOCKS[1][1]}), then run "
            f"`{COMPILE_COMMAND}`"
        )


def failure(
    error: StepFailed, in_name: str, tool: str = "the resolver", command: str = COMPILE_COMMAND
) -> ToolError:
    """A resolver's (or Python's) failure names the input to fix; others say their own cause."""
    if error.cause in {"resolution", "python"}:
        return ToolError(
            f"{error}; read {tool} message above, fix {in_name}, then run `{command}` again"
        )
    return error


def refuse_unreachable_torch_index(lock_name: str, timeout: float = 15) -> None:
    """Fail fast: on an unreachable index the resolvers retry for minutes, then blame the
    requirements."""
    if not (backend := TORCH_BACKENDS.get(lock_name)):
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
    # pip-compile resolves for this machine only: image locks need a Linux one.
    skip_image_locks = LOCK_TOOL != "uv" and not sys.platform.startswith("linux")
    env = os.environ | COMMAND_ENV
    for lock_name, in_name in ALL_LOCKS:
        if skip_image_locks and (lock_name, in_name) in GPU_LOCKS:
            print(
                f"lock: skipped {lock_name}: its wheels are Linux-only and pip-compile locks "
                "for this machine; run `invoke lock` on Linux (or in CI) to refresh it",
                flush=True,
            )
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
            write_pylock()


def write_pylock() -> None:
    """requirements.txt's pins in PEP 751's format."""
    print(f"lock: {SOURCE.name} -> {PYLOCK.name} (uv, no new resolution)", flush=True)
    # The lock tool of a uv project, else the same pinned uv in the cache.
    uv = tool_executable() if LOCK_TOOL == "uv" else bootstrapped("uv", UV_VERSION, "uv")
    env = os.environ | COMMAND_ENV
    try:
        run_step("lock", pylock_command(uv), "writing pylock.toml", cwd=ROOT, env=env)
    except StepFailed as error:
        raise ToolError(f"{error}; run `invoke lock` again once that is fixed") from None


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
    from . import derived

    if derived.write():
        print(f"lock: wrote {derived.DERIVED.name} from {derived.INTENT.name}", flush=True)


def run(args: argparse.Namespace) -> int:
    if args.pylock_only:
        write_pylock()
        return EXIT_OK
    conda = getattr(args, "conda", False)
    write_derived()  # first: --upgrade-package may name what the intent just gained
    if conda:
        from . import conda_env, conda_meta

        packages = conda_meta.read_conda_lock() if conda_meta.CONDA_LOCK.exists() else []
        check_upgrades(args.upgrade_package, [conda_meta.pypi_name(p.name) for p in packages])
        conda_env.find_solver()  # no solver: say so before re-locking anything
    else:
        check_upgrades(args.upgrade_package)
    lock(args.upgrade, args.upgrade_package)
    if conda:
        conda_env.lock(args.upgrade, args.upgrade_package)
    return EXIT_OK
