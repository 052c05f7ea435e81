"""`invoke check-env`: the running env against the project's locks (stdlib only).

A conda env's checks also read conda-meta/ and conda-lock.yml; CHECKS lists them all.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from . import dist_files, env_state, lockfile
from .env_state import FORCE_REBUILD, REBUILD, SEEDS, Context
from .project import (
    CUDA_VERSION,
    DISTRIBUTION,
    ENV_MANAGER,
    EXIT_FAILED,
    EXIT_OK,
    FRAMEWORK,
    GPU,
    ToolError,
    load_pyproject,
    version_matches,
    wanted_python,
)
from .results import Problem, Result, checked, error_json, json_text


def _conda_checks() -> ModuleType:
    from . import check_conda  # only a conda env needs it

    return check_conda


def check_isolated(ctx: Context) -> Result:
    if ctx.conda:
        return _conda_checks().isolated(ctx.conda)
    prefix = Path(sys.prefix)
    if not env_state.belongs_to_project(prefix):
        return env_state.foreign_env(prefix)
    kind = "virtual environment" if sys.prefix != sys.base_prefix else "the declared env"
    return Result("isolated", detail=f"{kind} {sys.prefix}")


def check_python(ctx: Context) -> Result:
    found, wanted = platform.python_version(), wanted_python()
    fix = f"rebuild the env with Python {wanted}: `make env FORCE=1` (`invoke env --force`)"
    matches = version_matches(found, wanted)
    problems = [] if matches else [Problem("Python", f"{wanted} (.python-version)", found, fix)]
    return checked("python", problems, f"{found} matches .python-version ({wanted})")


def check_locked(ctx: Context) -> Result:
    problems = [
        Problem(name, f"{version} ({lock})", ctx.installed.get(name) or "not installed", REBUILD)
        for name, (version, lock) in sorted(ctx.pins.items())
        if ctx.installed.get(name) != version
    ]
    # A locked module that an earlier sys.path entry provides (a wrong version is reported above).
    for dist in ctx.locked_dists:
        if ctx.pins[lockfile.canonical(dist.name)][0] == dist.version:
            problems += dist_files.shadows(dist)
    detail = f"{len(ctx.pins)} pins from {', '.join(lock.name for lock in ctx.locks)}"
    if ctx.conda:
        problems += _conda_checks().locked(ctx, ctx.conda)
        detail = f"{len(ctx.conda.locked)} conda-lock.yml entries ({ctx.conda.subdir}); " + detail
    return Result("locked", "FAIL" if problems else "ok", detail, problems)


def check_extras(ctx: Context) -> Result:
    known = set(ctx.pins) | SEEDS | {lockfile.canonical(DISTRIBUTION)}
    problems = []
    if ctx.conda:
        known |= ctx.conda.python_names
        problems = _conda_checks().extras(ctx.conda)
    fix = f"add it to requirements.in and run `invoke lock`, or {REBUILD}"
    problems += [
        Problem(name, "only locked packages", f"{name} {ctx.installed[name]}", fix)
        for name in sorted(set(ctx.installed) - known)
    ]
    result = checked("extras", problems, "nothing outside the locks")
    result.status = "warn" if problems and not ctx.strict else result.status
    return result


def check_consistent(ctx: Context) -> Result:
    problems = []
    for dist in ctx.dists:
        for text in dist.requires:
            met = env_state.requirement_met(text, ctx.installed)
            if met is not None and not met[2]:
                requirement, found, _ = met
                subject = f"{dist.name} needs {requirement}"
                problems.append(Problem(subject, requirement, found or "not installed", REBUILD))
    if env_state.memo().unavailable:
        return Result("consistent", "skip", "packaging is not importable here")
    return checked("consistent", problems, "every installed requirement is satisfied")


def stale_lock(lock: Path, in_file: Path, fix: str) -> Problem | None:
    """A problem when `lock` was not locked from `in_file` as it is now, for this Python."""
    stale = lockfile.staleness(lock, in_file)
    if stale is None:
        return None
    expected = "the input hash of" if lock.name == lockfile.CONDA_LOCK_NAME else "pins that satisfy"
    found = stale.problem.removeprefix("is stale: ")
    return Problem(lock.name, f"{expected} the current {in_file.name}", found, fix)


def check_fresh(ctx: Context) -> Result:
    # A lock's input sits next to it (a lock given with --lock included).
    fix = "run `invoke lock`, then `make env`"
    pairs = [(lock, lock.with_suffix(".in"), fix) for lock in ctx.locks]
    if ctx.conda:
        from . import conda_meta

        source = ctx.conda.lock.with_name(conda_meta.ENVIRONMENT_YML.name)
        pairs.append((ctx.conda.lock, source, "run `invoke lock --conda`, then `make env`"))
    present = [pair for pair in pairs if pair[1].exists()]
    if not present:
        return Result("fresh", "skip", "no .in files next to the locks")
    problems = filter(None, (stale_lock(*pair) for pair in present))
    return checked("fresh", problems, "every lock matches its input")


def check_gpu(ctx: Context) -> Result:
    if ctx.conda:
        return Result("gpu", "skip", "conda env: its CUDA is conda-lock.yml's (checked by locked)")
    if ctx.variant == "cpu":
        fix = "run `make env` (it removes what no lock names)"
        fix += "; for the GPU env, `make env GPU=1`" if GPU else ""
        problems = [
            Problem(name, "no CUDA wheel in the CPU env", f"{name} {ctx.installed[name]}", fix)
            for name in env_state.cuda_wheels(ctx.installed)
        ]
        if ctx.expect_gpu:
            fix = (
                "build the GPU env: `make env GPU=1`" if GPU else "this project has no GPU variant"
            )
            problems.append(Problem("GPU", "a GPU env", "the CPU env (requirements.txt)", fix))
        return checked("gpu", problems, "CPU env: no CUDA wheels")
    found = env_state.framework_cuda(FRAMEWORK, ctx.installed)
    other = Problem("CUDA", f"{CUDA_VERSION} (the gpu answer)", found.version or "none", REBUILD)
    problems = [other] if found.version != CUDA_VERSION else []
    devices = env_state.visible_devices()
    if ctx.expect_gpu and not devices:
        fix = "check the driver (`nvidia-smi`), `docker run --gpus all`, and CUDA_VISIBLE_DEVICES"
        problems.append(Problem("no GPU visible", fix=fix))
    seen = f"{len(devices)} GPU(s): {'; '.join(devices)}" if devices else "no GPU visible"
    detail = f"GPU env: CUDA {found.version or 'none'} ({found.source}); {seen}"
    return Result("gpu", "FAIL" if problems else "ok", detail, problems)


@contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send what imported modules print (from Python or C) to stderr, not into our output."""
    python_stdout = sys.stdout
    python_stdout.flush()
    saved, sys.stdout = os.dup(1), sys.stderr
    os.dup2(2, 1)
    try:
        yield
    finally:
        for stream in {python_stdout, sys.__stdout__, sys.stderr} - {None}:
            stream.flush()
        try:  # what C code buffered for stdout, while it still points at stderr
            import ctypes

            ctypes.CDLL(None).fflush(None)
        except (ImportError, OSError, AttributeError, TypeError):
            pass  # no C library to ask (Windows): Python-level output is redirected anyway
        os.dup2(saved, 1)
        os.close(saved)
        sys.stdout = python_stdout


def check_imports(ctx: Context) -> Result:
    try:
        data = load_pyproject()
        if data is None:
            raise ImportError("reading TOML needs Python 3.11+ or tomli")
    except (ImportError, OSError) as error:
        return Result("imports", "skip", f"cannot read pyproject.toml here ({error})")
    names = list(data.get("tool", {}).get("repro", {}).get("check-imports", []))
    problems = []
    with stdout_to_stderr():
        for name in names:
            try:
                importlib.import_module(name)
            except Exception as error:  # noqa: BLE001 - any import failure is the finding
                found = f"{type(error).__name__}: {error}"
                problems.append(Problem(name, "importable", found, REBUILD))
    return checked("imports", problems, f"{len(names)} modules import")


def check_files(ctx: Context) -> Result:
    problems, hashed = [], 0
    for dist in ctx.locked_dists:
        count, altered = dist_files.verify_record(dist)
        hashed += count
        subject = f"{dist.name} {dist.version}: "
        problems += [
            Problem(subject + path, "the file RECORD hashes", what, FORCE_REBUILD)
            for path, what in altered
        ]
    detail = f"{hashed} files of {len(ctx.locked_dists)} locked distributions match RECORD"
    return checked("files", problems, detail)


CHECKS: dict[str, Callable[[Context], Result]] = {  # in the order they run
    "isolated": check_isolated,
    "python": check_python,
    "locked": check_locked,
    "extras": check_extras,
    "consistent": check_consistent,
    "fresh": check_fresh,
    "gpu": check_gpu,
    "imports": check_imports,
    "files": check_files,
}
# Opt-in: `imports` imports the packages (slow, runs their code), `files` hashes every file.
OPT_IN = {"imports": "imports", "files": "deep"}


def selected(args: argparse.Namespace) -> list[str]:
    names = set(args.only or (name for name in CHECKS if name not in OPT_IN))
    names |= {name for name, flag in OPT_IN.items() if getattr(args, flag)}
    return [name for name in CHECKS if name in names]


def render_table(results: list[Result]) -> str:
    lines = [f"check-env: {sys.prefix} (Python {platform.python_version()})"]
    lines.append(f"{'CHECK':<11} {'RESULT':<6} DETAIL")
    for result in results:
        lines.append(f"{result.name:<11} {result.status:<6} {result.detail}".rstrip())
        lines += [f"  - {problem}" for problem in result.problems]
    failed = [result.name for result in results if result.status == "FAIL"]
    summary = f"{len(failed)} check(s) failed ({', '.join(failed)})" if failed else "ok"
    return "\n".join([*lines, f"result: {summary}"])


FLAGS = {
    "--json": "print the report as one JSON object, always",
    "--strict": "fail on installed packages that no lock names",
    "--imports": "also import the modules pyproject.toml's [tool.repro] check-imports lists "
    "(slower; nox and CI do)",
    "--deep": "also verify every installed file of the locked packages against its RECORD hash",
    "--expect-gpu": "fail unless this is the GPU env and a GPU is visible",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for flag, help_text in FLAGS.items():
        parser.add_argument(flag, action="store_true", help=help_text)
    help_text = f"run only this check (repeatable): {', '.join(CHECKS)}"
    parser.add_argument(
        "--only", action="append", choices=list(CHECKS), metavar="CHECK", help=help_text
    )
    help_text = "lock file to check against (repeatable; default: $REPRO_LOCKS, else "
    help_text += "requirements.txt and requirements-dev.txt)"
    parser.add_argument("--lock", action="append", type=Path, metavar="FILE", help=help_text)


def make_context(args: argparse.Namespace, prefix: Path, in_conda: bool) -> Context:
    given = args.lock or env_state.default_locks(in_conda)
    # `--lock conda-lock.yml` names the conda lock (alone: check the conda side only).
    conda_locks = [lock for lock in given if lock.name.endswith(lockfile.CONDA_LOCK_NAME)]
    missing = [str(lock) for lock in given if not lock.exists()]
    if missing:
        raise ToolError(f"lock file {', '.join(missing)} not found; run `invoke lock`")
    conda = None
    if in_conda:
        from . import conda_meta

        conda = conda_meta.CondaState.load(prefix, *(lock.resolve() for lock in conda_locks[:1]))
    locks = [lock.resolve() for lock in given if lock not in conda_locks]
    return Context(locks, args.strict, conda=conda, expect_gpu=args.expect_gpu)


def run(args: argparse.Namespace) -> int:
    in_conda = env_state.in_conda_env(Path(sys.prefix))
    in_venv = sys.prefix != sys.base_prefix
    if not (in_venv or in_conda or env_state.belongs_to_project(Path(sys.prefix))):
        # No env runs this (the system interpreter, say): one line.
        env_python = ".conda-env/bin/python" if ENV_MANAGER == "conda" else ".venv/bin/python"
        line = f"check-env: {sys.executable} is not the project's env; "
        line += f"run `invoke check-env` or `{env_python} -m tools check-env`"
        print(error_json(line, EXIT_FAILED) if args.json else line)
        return EXIT_FAILED
    ctx = make_context(args, Path(sys.prefix), in_conda)
    results = [CHECKS[name](ctx) for name in selected(args)]
    env_state.memo().save()
    print(json_text(results) if args.json else render_table(results))
    return EXIT_OK if all(result.status != "FAIL" for result in results) else EXIT_FAILED
