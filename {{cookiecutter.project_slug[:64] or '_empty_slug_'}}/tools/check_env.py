"""Check that the running environment matches the project's locks: `invoke check-env`.

Checks: isolated, python, locked, extras, consistent, fresh, gpu; `imports`
with --imports, `files` with --deep. `gpu` knows the env's variant: a CPU env
carries no CUDA wheel; a GPU env's framework was built for the locked CUDA,
and with --expect-gpu a GPU must be visible. `locked` also makes sure that each locked
distribution's top-level modules resolve to its own files, not to a copy that
PYTHONPATH, a .pth file or the user site puts first (found without importing).
In a conda env (its prefix has conda-meta/), `isolated`, `locked`, `extras`
and `fresh` also read conda-meta/*.json and conda-lock.yml (see conda_meta.py).
The default locks are $REPRO_LOCKS (an image sets it), else those `make env`
built the env from (the GPU or CPU variant), else requirements.txt and
requirements-dev.txt. Run by an interpreter outside any env, it prints one
line naming the project's env. Exit codes: 0 ok, 1 a check failed (or an
expected error), 2 usage error, 3 unexpected error, 130 interrupted; with
--json, every outcome is one JSON object on stdout. Stdlib only: it reads
metadata, and imports the project's packages only for `imports`.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import cuda_state, dist_files, lockfile
from .env_state import (
    FORCE_REBUILD,
    REBUILD,
    SEEDS,
    Context,
    belongs_to_project,
    default_locks,
    foreign_env,
    in_conda_env,
    memo,
    requirement_met,
)
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
from .results import Problem, Result, error_json, json_text

CONDA_LOCK_NAME = "conda-lock.yml"


def check_isolated(ctx: Context) -> Result:
    if ctx.conda:
        from . import check_conda

        return check_conda.isolated(ctx.conda)
    prefix = Path(sys.prefix)
    if not belongs_to_project(prefix):
        return foreign_env(prefix)
    kind = "virtual environment" if sys.prefix != sys.base_prefix else "the declared env"
    return Result("isolated", detail=f"{kind} {sys.prefix}")


def check_python(ctx: Context) -> Result:
    found, wanted = platform.python_version(), wanted_python()
    if version_matches(found, wanted):
        return Result("python", detail=f"{found} matches .python-version ({wanted})")
    fix = f"rebuild the env with Python {wanted}: `make env FORCE=1` (`invoke env --force`)"
    return Result(
        "python", "FAIL", problems=[Problem("Python", f"{wanted} (.python-version)", found, fix)]
    )


def shadow_problems(ctx: Context) -> list[Problem]:
    """A locked module that something earlier on sys.path provides instead."""
    problems = []
    for dist in ctx.locked_dists:
        if ctx.pins[lockfile.canonical(dist.name)][0] != dist.version:
            continue  # the version problem is reported already
        for shadow in dist_files.shadows(dist):
            problems.append(
                Problem(
                    f"import {shadow.module}",
                    f"{dist.name} {dist.version}'s {shadow.expected}",
                    f"{shadow.found}, whose folder {shadow.entry} is put on sys.path "
                    f"by {shadow.source}",
                    shadow.fix,
                )
            )
    return problems


def check_locked(ctx: Context) -> Result:
    problems = []
    for name, (version, lock) in sorted(ctx.pins.items()):
        found = ctx.installed.get(name)
        if found != version:
            problems.append(Problem(name, f"{version} ({lock})", found or "not installed", REBUILD))
    problems += shadow_problems(ctx)
    detail = f"{len(ctx.pins)} pins from {', '.join(lock.name for lock in ctx.locks)}"
    if ctx.conda:
        from . import check_conda

        problems += check_conda.locked(ctx, ctx.conda)
        detail = f"{len(ctx.conda.locked)} conda-lock.yml entries ({ctx.conda.subdir}); " + detail
    return Result("locked", "FAIL" if problems else "ok", detail, problems)


def check_extras(ctx: Context) -> Result:
    known = set(ctx.pins) | SEEDS | {lockfile.canonical(DISTRIBUTION)}
    problems = []
    if ctx.conda:
        from . import check_conda

        known |= ctx.conda.python_names
        problems = check_conda.extras(ctx.conda)
    extras = sorted(set(ctx.installed) - known)
    problems += [
        Problem(
            name,
            "only locked packages",
            f"{name} {ctx.installed[name]}",
            f"add it to requirements.in and run `invoke lock`, or {REBUILD}",
        )
        for name in extras
    ]
    status = ("FAIL" if ctx.strict else "warn") if problems else "ok"
    return Result("extras", status, "" if problems else "nothing outside the locks", problems)


def check_consistent(ctx: Context) -> Result:
    problems = []
    for dist in ctx.dists:
        for text in dist.requires:
            met = requirement_met(text, ctx.installed)
            if met is not None and not met[2]:
                requirement, found, _ = met
                problems.append(
                    Problem(
                        f"{dist.name} needs {requirement}",
                        requirement,
                        found or "not installed",
                        REBUILD,
                    )
                )
    if memo().unavailable:
        return Result("consistent", "skip", "packaging is not importable here")
    return Result(
        "consistent",
        "FAIL" if problems else "ok",
        "" if problems else "every installed requirement is satisfied",
        problems,
    )


def stale_lock(lock: Path, in_file: Path, fix: str) -> Problem | None:
    """A problem when `lock` was not locked from `in_file` as it is now, for this Python."""
    stale = lockfile.staleness(lock, in_file)
    if stale is None:
        return None
    found = stale.problem.removeprefix("is stale: ")
    conda = lock.name == lockfile.CONDA_LOCK_NAME
    expected = "the input hash of" if conda else "pins that satisfy"
    return Problem(lock.name, f"{expected} the current {in_file.name}", found, fix)


def check_fresh(ctx: Context) -> Result:
    # A lock's input sits next to it (a lock given with --lock included).
    fix = "run `invoke lock`, then `make env`"
    pairs = [(lock, lock.with_suffix(".in"), fix) for lock in ctx.locks]
    if ctx.conda:
        from . import conda_meta

        source = ctx.conda.lock.with_name(conda_meta.ENVIRONMENT_YML.name)
        pairs.append((ctx.conda.lock, source, "run `invoke lock --conda`, then `make env`"))
    checked = [(lock, in_file, fix) for lock, in_file, fix in pairs if in_file.exists()]
    if not checked:
        return Result("fresh", "skip", "no .in files next to the locks")
    problems = [problem for problem in (stale_lock(*pair) for pair in checked) if problem]
    return Result(
        "fresh",
        "FAIL" if problems else "ok",
        "" if problems else "every lock matches its input",
        problems,
    )


NO_GPU = Problem(
    "no GPU visible",
    fix="check the driver (`nvidia-smi`), `docker run --gpus all`, and CUDA_VISIBLE_DEVICES",
)


def cpu_env_problems(ctx: Context) -> list[Problem]:
    problems = [
        Problem(
            name,
            "no CUDA wheel in the CPU env",
            f"{name} {ctx.installed[name]}",
            "run `make env` (it removes what no lock names)"
            + ("; for the GPU env, `make env GPU=1`" if GPU else ""),
        )
        for name in cuda_state.cuda_wheels(ctx.installed)
    ]
    if ctx.expect_gpu:
        fix = "build the GPU env: `make env GPU=1`" if GPU else "this project has no GPU variant"
        problems.append(Problem("GPU", "a GPU env", "the CPU env (requirements.txt)", fix))
    return problems


def check_gpu(ctx: Context) -> Result:
    if ctx.conda:
        return Result("gpu", "skip", "conda env: its CUDA is conda-lock.yml's (checked by locked)")
    if ctx.variant == "cpu":
        problems = cpu_env_problems(ctx)
        detail = "" if problems else "CPU env: no CUDA wheels"
        return Result("gpu", "FAIL" if problems else "ok", detail, problems)
    found = cuda_state.framework_cuda(FRAMEWORK, ctx.installed)
    problems = []
    if found.version != CUDA_VERSION:
        problems.append(
            Problem("CUDA", f"{CUDA_VERSION} (the gpu answer)", found.version or "none", REBUILD)
        )
    devices = cuda_state.visible_devices()
    if ctx.expect_gpu and not devices:
        problems.append(NO_GPU)
    seen = f"{len(devices)} GPU(s): {'; '.join(devices)}" if devices else "no GPU visible"
    detail = f"GPU env: CUDA {found.version or 'none'} ({found.source}); {seen}"
    return Result("gpu", "FAIL" if problems else "ok", detail, problems)


def _import_names() -> list[str]:
    data = load_pyproject()
    if data is None:
        raise ImportError("reading TOML needs Python 3.11+ or tomli")
    return list(data.get("tool", {}).get("repro", {}).get("check-imports", []))


def _flush_c_stdio() -> None:
    """Write out what C code buffered for stdout while it still points at stderr."""
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (ImportError, OSError, AttributeError, TypeError):
        pass  # no C library to ask (Windows): Python-level output is redirected anyway


@contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send what imported modules print (from Python or C) to stderr, not into our output."""
    python_stdout = sys.stdout
    python_stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        for stream in {python_stdout, sys.__stdout__, sys.stderr} - {None}:
            stream.flush()
        _flush_c_stdio()
        os.dup2(saved, 1)
        os.close(saved)
        sys.stdout = python_stdout


def check_imports(ctx: Context) -> Result:
    import importlib

    try:
        names = _import_names()
    except (ImportError, OSError) as error:
        return Result("imports", "skip", f"cannot read pyproject.toml here ({error})")
    problems = []
    with stdout_to_stderr():
        for name in names:
            try:
                importlib.import_module(name)
            except Exception as error:  # noqa: BLE001 - any import failure is the finding
                found = f"{type(error).__name__}: {error}"
                problems.append(Problem(name, "importable", found, REBUILD))
    return Result(
        "imports",
        "FAIL" if problems else "ok",
        "" if problems else f"{len(names)} modules import",
        problems,
    )


def check_files(ctx: Context) -> Result:
    problems, checked = [], 0
    for dist in ctx.locked_dists:
        count, altered = dist_files.verify_record(dist)
        checked += count
        problems += [
            Problem(
                f"{dist.name} {dist.version}: {path}", "the file RECORD hashes", what, FORCE_REBUILD
            )
            for path, what in altered
        ]
    detail = f"{checked} files of {len(ctx.locked_dists)} locked distributions match RECORD"
    return Result("files", "FAIL" if problems else "ok", "" if problems else detail, problems)


CHECKS: dict[str, Callable[[Context], Result]] = {
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
    lines = [
        f"check-env: {sys.prefix} (Python {platform.python_version()})",
        f"{'CHECK':<11} {'RESULT':<6} DETAIL",
    ]
    for result in results:
        lines.append(f"{result.name:<11} {result.status:<6} {result.detail}".rstrip())
        lines += [f"  - {problem}" for problem in result.problems]
    failed = [result.name for result in results if result.status == "FAIL"]
    lines.append(
        f"result: {len(failed)} check(s) failed ({', '.join(failed)})" if failed else "result: ok"
    )
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print the report as one JSON object, always"
    )
    parser.add_argument(
        "--strict", action="store_true", help="fail on installed packages that no lock names"
    )
    parser.add_argument(
        "--imports",
        action="store_true",
        help="also import the modules pyproject.toml's [tool.repro] check-imports lists "
        "(slower; nox and CI do)",
    )
    parser.add_argument(
        "--deep",
        action="store_true",
        help="also verify every installed file of the locked packages against its RECORD hash",
    )
    parser.add_argument(
        "--expect-gpu",
        action="store_true",
        help="fail unless this is the GPU env and a GPU is visible",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=list(CHECKS),
        metavar="CHECK",
        help=f"run only this check (repeatable): {', '.join(CHECKS)}",
    )
    parser.add_argument(
        "--lock",
        action="append",
        type=Path,
        metavar="FILE",
        help="lock file to check against (repeatable; default: $REPRO_LOCKS, else "
        "requirements.txt and requirements-dev.txt)",
    )


def outside_env(in_conda: bool) -> str | None:
    """The one line to print when no env runs this (the system interpreter, say)."""
    if sys.prefix != sys.base_prefix or in_conda or belongs_to_project(Path(sys.prefix)):
        return None
    env_python = ".conda-env/bin/python" if ENV_MANAGER == "conda" else ".venv/bin/python"
    return (
        f"check-env: {sys.executable} is not the project's env; "
        f"run `invoke check-env` or `{env_python} -m tools check-env`"
    )


def make_context(args: argparse.Namespace, prefix: Path, in_conda: bool) -> Context:
    given = args.lock or default_locks(in_conda)
    # `--lock conda-lock.yml` names the conda lock (alone: check the conda side only).
    conda_locks = [lock for lock in given if lock.name.endswith(CONDA_LOCK_NAME)]
    locks = [lock for lock in given if lock not in conda_locks]
    missing = [str(lock) for lock in given if not lock.exists()]
    if missing:
        raise ToolError(f"lock file {', '.join(missing)} not found; run `invoke lock`")
    conda = None
    if in_conda:
        from . import conda_meta

        conda = conda_meta.CondaState.load(prefix, *(lock.resolve() for lock in conda_locks[:1]))
    return Context(
        [lock.resolve() for lock in locks], args.strict, conda=conda, expect_gpu=args.expect_gpu
    )


def run(args: argparse.Namespace) -> int:
    prefix = Path(sys.prefix)
    in_conda = in_conda_env(prefix)
    line = outside_env(in_conda)
    if line:
        print(error_json(line, EXIT_FAILED) if args.json else line)
        return EXIT_FAILED
    ctx = make_context(args, prefix, in_conda)
    results = [CHECKS[name](ctx) for name in selected(args)]
    memo().save()
    ok = all(result.status != "FAIL" for result in results)
    if args.json:
        print(json_text(results))
    else:
        print(render_table(results))
    return EXIT_OK if ok else EXIT_FAILED
