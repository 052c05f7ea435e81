"""Make `.venv` exactly the locks: `make env`, `invoke env`.

An env that matches its locks (env_diff.py) is left alone; drift is synced in place, downloads
and hash checks first, so a failure leaves it as it was. What cannot be synced (no env, another
Python, a moved folder) and `--force` rebuild it (env_swap.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from . import env_diff, lockfile, project
from .env_swap import env_lock, recover_interrupted_build, run_steps, swapped_in, write_stamp
from .lock import install_args, lock, tool_executable
from .project import GPU, LOCK_TOOL, ROOT, VENV, ToolError, UsageError, env_locks, wanted_python
from .steps import run_step
from .tool_venv import find_python


def missing_locks(variant: str = "cpu") -> list[str]:
    return [name for name in env_locks(variant) if not (ROOT / name).exists()]


def project_locks(variant: str = "cpu") -> list[Path]:
    return [ROOT / name for name in env_locks(variant)]


def refuse_missing_locks_in_ci(variant: str = "cpu") -> None:
    """A CI runner (CI set, as GitHub, GitLab and most set it) that locked for itself would
    test an env nobody reviewed: say which lock is missing, change nothing."""
    in_ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    if (missing := missing_locks(variant)) and in_ci:
        raise ToolError(
            f"{', '.join(missing)} missing, and CI never locks: run `invoke lock` "
            "locally, then commit the locks with the .in files"
        )


def ensure_locks(variant: str = "cpu") -> None:
    if missing := missing_locks(variant):
        print(f"env: {', '.join(missing)} missing; locking first (invoke lock)", flush=True)
        lock()
        names = " ".join(name for name, _ in project.ALL_LOCKS)
        print(f"env: commit the new locks with the .in files: `git add {names}`", flush=True)
    inputs = dict(project.ALL_LOCKS)
    for name in env_locks(variant):
        if reason := lockfile.stale_reason(ROOT / name, ROOT / inputs[name]):
            raise ToolError(f"{reason}, then `make env` again")


def chosen_variant(gpu: bool, cpu: bool) -> str:
    """--gpu or --cpu when given, else the variant the env was built as (CPU at first)."""
    if gpu and cpu:
        raise UsageError("--gpu and --cpu ask for two envs; give one of them")
    if not gpu:
        return project.variant_of(env_diff.stamped_locks(VENV)) if GPU and not cpu else "cpu"
    if not GPU:
        raise ToolError(
            "this project has no GPU variant (its gpu answer is no); "
            "run `make env`, or update the project with a CUDA version for gpu"
        )
    if not sys.platform.startswith("linux"):
        raise ToolError(
            f"the GPU env's CUDA wheels exist for Linux only, not {sys.platform}; "
            "run `make env` for the CPU env, or build the gpu image"
        )
    return "gpu"


def pip(verb: str) -> list[str]:
    """uv's pip, or the venv's own, run on .venv. `install` leaves bytecode to first import
    (pip's --no-compile; uv's default), most of a cold install's time saved; but where imports
    may not write it (PYTHONDONTWRITEBYTECODE), every start would compile again, so it does."""
    compile_now = bool(os.environ.get("PYTHONDONTWRITEBYTECODE")) and verb == "install"
    if LOCK_TOOL == "uv":
        uv_pip = [str(tool_executable()), "pip", verb, "--python", str(project.venv_python())]
        return [*uv_pip, "--compile-bytecode"] if compile_now else uv_pip
    extra = {"install": [] if compile_now else ["--no-compile"], "uninstall": ["--yes"]}[verb]
    return [str(project.venv_python()), "-m", "pip", verb, "--disable-pip-version-check", *extra]


def build_commands(python: str, locks: list[Path]) -> list[list[str]]:
    names = [lock.name for lock in locks]
    if LOCK_TOOL != "uv":
        locks_install = [*pip("install"), *install_args(names)]
        project_install = [*pip("install"), *project.PROJECT_INSTALL_ARGS]
        return [[python, "-m", "venv", str(VENV)], locks_install, project_install]
    # The locks and the project in one uv run (a second uv start is most of the project's
    # install time). Hash-checking mode refuses a local project, so its guarantee is kept
    # another way: every pin must carry hashes (checked here), uv checks each one it is
    # given, and --no-deps installs nothing the locks do not list.
    for lock_path in locks:
        for entry in lockfile.read_lock(lock_path):
            if not entry.hashes:
                raise ToolError(
                    f"{lock_path.name}:{entry.line_no}: {entry.name} has no --hash; "
                    "run `invoke lock`, which writes a hash for every pin"
                )
    create = [str(tool_executable()), "venv", "--quiet", "--python", python, str(VENV)]
    # No --no-index (the locks need the index): uv builds its own uv_build backend
    # in-process, so --no-build-isolation fetches no backend.
    one_pass = ["--no-deps", "--no-build-isolation", *install_args(names, require_hashes=False)]
    return [create, [*pip("install"), *one_pass, "--editable", "."]]


def rebuild(reason: str, locks: list[Path]) -> None:
    """Build a new .venv beside the old one, which comes back if the build fails."""
    # Windows cannot rename a folder whose python.exe is running (invoke from .venv).
    if os.name == "nt" and Path(sys.prefix).resolve() == VENV.resolve():
        raise ToolError(
            "this command runs from .venv, which Windows cannot replace while it runs; "
            "run `python -m tools env` with a Python outside .venv"
        )
    wanted = wanted_python()
    python = find_python(wanted)
    commands = build_commands(python, locks)  # its refusals come before the env is moved
    print(f"env: building .venv with Python {wanted} ({python}): {reason}", flush=True)
    with swapped_in(VENV, lambda: env_diff.stamp_text(VENV, locks, just_installed=True)):
        run_steps("env", commands, ROOT, "installing the locks into .venv")


def apply(diff: env_diff.EnvDiff, locks: list[Path]) -> None:
    """Sync the env in place: install what differs (all downloads and hash checks come
    before the first change), then remove what no lock names, then the project."""
    if diff.install:
        with tempfile.TemporaryDirectory(prefix="make-env-") as scratch:
            wanted = Path(scratch) / "requirements-sync.txt"
            wanted.write_text("".join(f"{pin.line}\n" for pin in diff.install), encoding="utf-8")
            names = [lock.name for lock in locks]
            command = [*pip("install"), "--no-deps", *install_args(names, [str(wanted)])]
            run_step("env", command, "syncing .venv with the locks", cwd=ROOT)
    if diff.remove:
        run_step("env", [*pip("uninstall"), *diff.remove], "removing unlocked packages", cwd=ROOT)
    if diff.project:
        command = [*pip("install"), *project.PROJECT_INSTALL_ARGS]
        run_step("env", command, "installing the project", cwd=ROOT)
    write_stamp(VENV, env_diff.stamp_text(VENV, locks))


def is_exactly_the_locks() -> bool:
    """Whether `make env` would find nothing to do (and the locks are there)."""
    variant = chosen_variant(gpu=False, cpu=False)
    if missing_locks(variant):
        return False
    return env_diff.diff(VENV, project_locks(variant), wanted_python()).empty


def sync(force: bool = False, variant: str = "cpu") -> None:
    refuse_missing_locks_in_ci(variant)
    with env_lock("env"):
        recover_interrupted_build(VENV)
        ensure_locks(variant)
        started = time.monotonic()
        locks = project_locks(variant)
        diff = env_diff.diff(VENV, locks, wanted_python())
        what = f".venv ({variant.upper()} env)" if GPU else ".venv"
        if force or diff.rebuild:
            rebuild(diff.rebuild or "--force", locks)
        elif diff.empty:
            print(f"env: {what} is exactly the locks; nothing to do", flush=True)
            return
        else:
            apply(diff, locks)
            for change in diff.changes:
                print(f"env: {change}", flush=True)
        took = f"{time.monotonic() - started:.1f}s"
        print(f"env: {what} ready in {took}; check it with `invoke check-env`", flush=True)


def offline_from(folder: Path) -> None:
    """Install from an intact archive's wheels alone, never the package index."""
    from . import archive

    archive.refuse_unusable(folder)
    wheels = str((folder / "wheels").resolve())
    # Read by every pip and uv below, the bootstrap of the lock tool included.
    os.environ.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=wheels, UV_OFFLINE="1", UV_FIND_LINKS=wheels)
    print(f"env: installing from {folder} only (no package index)", flush=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    # fmt: off
    add("--force", action="store_true",
        help="rebuild from scratch, even when the env could be synced")
    add("--from-archive", type=Path, metavar="DIR",
        help="install from the wheels of an `invoke archive` folder, with no package index")
    if GPU:
        add("--gpu", action="store_true",
            help="build the GPU env (requirements-gpu.txt, Linux); later runs keep it")
        add("--cpu", action="store_true", help="go back to the CPU env (the default)")
    if project.ENV_MANAGER == "conda":
        add("--venv", action="store_true",
            help="build the pip-locked .venv instead of .conda-env (lint, nox)")
    # fmt: on


def run(args: argparse.Namespace) -> int:
    gpu, cpu = getattr(args, "gpu", False), getattr(args, "cpu", False)
    if project.ENV_MANAGER == "conda" and not args.venv:
        if args.from_archive:
            raise ToolError(
                "--from-archive rebuilds the pip-locked .venv from the archive's wheels",
                "add --venv (conda packages are not archived)",
            )
        if gpu:
            raise ToolError(
                "--gpu builds the pip-locked .venv from requirements-gpu.txt; "
                "add --venv (.conda-env takes its CUDA from environment.yml)"
            )
        from . import conda_env

        conda_env.find_solver()  # no solver: say so before locking anything
        refuse_missing_locks_in_ci()
        ensure_locks()  # the dev tools come from requirements-dev.txt
        conda_env.sync(args.force)
        return project.EXIT_OK
    variant = chosen_variant(gpu, cpu)
    if args.from_archive:
        if missing := missing_locks(variant):
            raise ToolError(
                f"{', '.join(missing)} missing: an archive rebuilds the locks "
                "of the commit it was made from",
                "check out that commit",
            )
        offline_from(ROOT / args.from_archive)
    sync(args.force, variant)
    return project.EXIT_OK
