"""check-env's conda side, for a prefix with conda-meta/: the conda env against conda-lock.yml."""

from __future__ import annotations

from . import conda_meta
from .env_state import REBUILD, Context, belongs_to_project, foreign_env
from .results import Problem, Result


def isolated(conda: conda_meta.CondaState) -> Result:
    if conda_meta.is_base_install(conda.prefix):
        wanted = "the project's conda env (.conda-env or a named env)"
        fix = "run `make env`, then `invoke check-env` (it uses .conda-env/)"
        base = Problem(str(conda.prefix), wanted, "the base install of conda/mamba", fix)
        return Result("isolated", "FAIL", problems=[base])
    if belongs_to_project(conda.prefix):
        return Result("isolated", detail=f"conda environment {conda.prefix}")
    return foreign_env(conda.prefix)


def locked(ctx: Context, conda: conda_meta.CondaState) -> list[Problem]:
    """Each conda entry of the lock against conda-meta/, and against what pip put over it."""
    problems = []
    for package in conda.locked:
        if package.manager != "conda":
            continue
        wanted = f"{package.version} {package.build_string}".strip()
        record = conda.records.get(package.name)
        found = f"{record.version} {record.build}".strip() if record else "not installed"
        builds = {record.build, package.build_string} if record else set()
        if record is None or record.version != package.version or len(builds - {""}) > 1:
            problems.append(Problem(package.name, f"{wanted} (conda-lock.yml)", found, REBUILD))
            continue
        name = conda_meta.pypi_name(package.name)
        python_version = ctx.installed.get(name)
        if python_version is not None and python_version != package.version:
            wanted, found = f"{package.version} from conda (conda-lock.yml)", python_version
            problems.append(Problem(name, wanted, f"{found}, put over it by pip", REBUILD))
    return problems


def extras(conda: conda_meta.CondaState) -> list[Problem]:
    locked = {package.name for package in conda.locked if package.manager == "conda"}
    wanted = "only conda packages that conda-lock.yml names"
    fix = f"add it to environment.yml and run `invoke lock --conda`, or {REBUILD}"
    return [
        Problem(name, wanted, f"{record.version} {record.build} (conda-meta)", fix)
        for name, record in sorted(conda.records.items())
        if name not in locked
    ]
