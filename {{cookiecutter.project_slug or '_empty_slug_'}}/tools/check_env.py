#!/usr/bin/env python3
"""Check that the running environment matches the project's locks: `invoke check-env`.

Checks: isolated, python, locked, extras, consistent, fresh, imports.
In a conda env (its prefix has conda-meta/), `isolated`, `locked`, `extras`
and `fresh` also read conda-meta/*.json and conda-lock.yml (see conda_meta.py).
Exit codes: 0 ok, 1 a check failed, 2 usage error, 3 unexpected error,
130 interrupted. Stdlib only (packaging is used when importable), and
nothing heavy is imported unless the `imports` check runs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

import check_conda
import conda_meta
import lockfile
from env_state import (
    REBUILD,
    SEEDS,
    Context,
    Problem,
    Result,
    belongs_to_project,
    foreign_env,
    packaging_module,
)
from project import (
    DEV_LOCK,
    DISTRIBUTION,
    EXIT_FAILED,
    EXIT_OK,
    LOCKS,
    ROOT,
    ToolError,
    load_pyproject,
    version_matches,
    wanted_python,
)


def check_isolated(ctx: Context) -> Result:
    if ctx.conda:
        return check_conda.isolated(ctx.conda)
    if sys.prefix != sys.base_prefix:
        if belongs_to_project(Path(sys.prefix)):
            return Result("isolated", detail=f"virtual environment {sys.prefix}")
        return foreign_env(Path(sys.prefix))
    return Result(
        "isolated",
        "FAIL",
        problems=[
            Problem(
                sys.executable,
                "the project's environment (.venv or a nox/image env)",
                "an interpreter outside any virtual environment",
                "run `invoke check-env`, or `.venv/bin/python tools/check_env.py`",
            )
        ],
    )


def check_python(ctx: Context) -> Result:
    found, wanted = platform.python_version(), wanted_python()
    if version_matches(found, wanted):
        return Result("python", detail=f"{found} matches .python-version ({wanted})")
    return Result(
        "python",
        "FAIL",
        problems=[
            Problem(
                "Python",
                f"{wanted} (.python-version)",
                found,
                f"rebuild the env with Python {wanted}: `invoke env --force`",
            )
        ],
    )


def check_locked(ctx: Context) -> Result:
    problems = []
    for name, (version, lock) in sorted(ctx.pins.items()):
        found = ctx.installed.get(name)
        if found != version:
            problems.append(Problem(name, f"{version} ({lock})", found or "not installed", REBUILD))
    detail = f"{len(ctx.pins)} pins from {', '.join(lock.name for lock in ctx.locks)}"
    if ctx.conda:
        problems += check_conda.locked(ctx, ctx.conda)
        detail = f"{len(ctx.conda.locked)} conda-lock.yml entries ({ctx.conda.subdir}); " + detail
    return Result("locked", "FAIL" if problems else "ok", detail, problems)


def check_extras(ctx: Context) -> Result:
    known = set(ctx.pins) | SEEDS | {lockfile.canonical(DISTRIBUTION)}
    if ctx.conda:
        known |= ctx.conda.python_names
    extras = sorted(set(ctx.installed) - known)
    problems = check_conda.extras(ctx.conda) if ctx.conda else []
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
    packaging = packaging_module()
    if packaging is None:
        return Result("consistent", "skip", "packaging is not importable here")
    problems = []
    for dist in ctx.dists:
        for text in dist.requires or []:
            requirement = packaging.requirements.Requirement(text)
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            found = ctx.installed.get(lockfile.canonical(requirement.name))
            if found is None or not requirement.specifier.contains(found, prereleases=True):
                problems.append(
                    Problem(
                        f"{dist.metadata['Name']} needs {requirement}",
                        str(requirement),
                        found or "not installed",
                        REBUILD,
                    )
                )
    return Result(
        "consistent",
        "FAIL" if problems else "ok",
        "" if problems else "every installed requirement is satisfied",
        problems,
    )


def stale_lock(lock: Path, in_file: Path, fix: str) -> Problem | None:
    """A problem when `lock` was not locked from `in_file` as it is now."""
    if lockfile.is_fresh(lock, in_file):
        return None
    recorded = lockfile.recorded_sha256(lock)
    return Problem(
        lock.name,
        f"the input hash of the current {in_file.name}",
        "no input hash" if recorded is None else f"a lock of an older {in_file.name}",
        fix,
    )


def check_fresh(ctx: Context) -> Result:
    # A lock's input sits next to it (a lock given with --lock included).
    fix = "run `invoke lock`, then `make env`"
    pairs = [(lock, lock.with_suffix(".in"), fix) for lock in ctx.locks]
    if ctx.conda:
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


def _import_names() -> list[str]:
    data = load_pyproject()
    if data is None:
        raise ImportError("reading TOML needs Python 3.11+ or tomli")
    return list(data.get("tool", {}).get("repro", {}).get("check-imports", []))


def check_imports(ctx: Context) -> Result:
    try:
        names = _import_names()
    except (ImportError, OSError) as error:
        return Result("imports", "skip", f"cannot read pyproject.toml here ({error})")
    problems = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as error:  # noqa: BLE001 - any import failure is the finding
            problems.append(
                Problem(name, "importable", f"{type(error).__name__}: {error}", REBUILD)
            )
    return Result(
        "imports",
        "FAIL" if problems else "ok",
        "" if problems else f"{len(names)} modules import",
        problems,
    )


CHECKS: dict[str, Callable[[Context], Result]] = {
    "isolated": check_isolated,
    "python": check_python,
    "locked": check_locked,
    "extras": check_extras,
    "consistent": check_consistent,
    "fresh": check_fresh,
    "imports": check_imports,
}


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


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="check-env", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.add_argument("--strict", action="store_true", help="fail on unlocked extras too")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(CHECKS),
        metavar="CHECK",
        help=f"run only this check (repeatable): {', '.join(CHECKS)}",
    )
    parser.add_argument(
        "--lock",
        action="append",
        type=Path,
        metavar="FILE",
        help="lock file to check against (repeatable; default: all locks)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    prefix = Path(sys.prefix)
    in_conda = conda_meta.is_conda_prefix(prefix)
    # A conda env takes its runtime from conda-lock.yml and only the dev tools
    # from the pip locks (tools/conda_env.py installs it that way).
    default = [DEV_LOCK] if in_conda else [ROOT / lock for lock, _ in LOCKS]
    given = args.lock or default
    # `--lock conda-lock.yml` names the conda lock (alone: check the conda side only).
    conda_locks = [lock for lock in given if lock.name.endswith(conda_meta.CONDA_LOCK.name)]
    locks = [lock for lock in given if lock not in conda_locks]
    missing = [str(lock) for lock in given if not lock.exists()]
    if missing:
        raise ToolError(f"lock file {', '.join(missing)} not found; run `invoke lock`")
    conda = None
    if in_conda:
        conda = conda_meta.CondaState.load(prefix, *(lock.resolve() for lock in conda_locks[:1]))
    ctx = Context([lock.resolve() for lock in locks], args.strict, conda=conda)
    results = [CHECKS[name](ctx) for name in (args.only or CHECKS)]
    if args.json:
        ok = all(result.status != "FAIL" for result in results)
        print(json.dumps({"ok": ok, "checks": [asdict(result) for result in results]}, indent=2))
    else:
        print(render_table(results))
    return EXIT_FAILED if any(result.status == "FAIL" for result in results) else EXIT_OK


if __name__ == "__main__":
    from project import run_main

    run_main(main)
