"""check-env's conda side: the project's conda env against conda-lock.yml.

Used by check-env when the running prefix has conda-meta/ (see conda_meta.py).
"""

from __future__ import annotations

from . import conda_meta
from .env_state import REBUILD, Context, belongs_to_project, foreign_env
from .results import Problem, Result


def isolated(conda: conda_meta.CondaState) -> Result:
    if not conda_meta.is_base_install(conda.prefix):
        if belongs_to_project(conda.prefix):
            return Result("isolated", detail=f"conda environment {conda.prefix}")
        return foreign_env(conda.prefix)
    return Result(
        "isolated",
        "FAIL",
        problems=[
            Problem(
                str(conda.prefix),
                "the project's conda env (.conda-env or a named env)",
                "the base install of conda/mamba",
                "run `make env`, then `invoke check-env` (it uses .conda-env/)",
            )
        ],
    )


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
            problems.append(
                Problem(
                    name,
                    f"{package.version} from conda (conda-lock.yml)",
                    f"{python_version}, put over it by pip",
                    REBUILD,
                )
            )
    return problems


def extras(conda: conda_meta.CondaState) -> list[Problem]:
    locked = {package.name for package in conda.locked if package.manager == "conda"}
    return [
        Problem(
            name,
            "only conda packages that conda-lock.yml names",
            f"{record.version} {record.build} (conda-meta)",
            f"add it to environment.yml and run `invoke lock --conda`, or {REBUILD}",
        )
        for name, record in sorted(conda.records.items())
        if name not in locked
    ]
