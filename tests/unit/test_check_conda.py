"""tools/check_conda.py in-process: a conda env's records against a small conda lock."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from conftest import ToolsProject


def modules(tools: ToolsProject) -> tuple[ModuleType, ModuleType, ModuleType]:
    """check_conda, conda_meta and env_state of a conda project."""
    tools.answer(env_manager="conda")
    return tools.module("check_conda"), tools.module("conda_meta"), tools.module("env_state")


def state(meta: ModuleType, prefix: Path, records: dict, locked: list) -> object:
    """A CondaState of these conda-meta records and lock entries."""
    found = {
        name: meta.Record(name, version, build, prefix / "conda-meta" / f"{name}.json")
        for name, (version, build) in records.items()
    }
    return meta.CondaState(prefix, prefix / "conda-lock.yml", "linux-64", found, locked)


def conda_package(meta: ModuleType, name: str, version: str, build: str = "") -> object:
    return meta.LockedPackage(name, version, "conda", "linux-64", build=build)


def test_isolated_in_the_project_conda_env(tools: ToolsProject) -> None:
    check_conda, meta, _ = modules(tools)
    prefix = tools.root / ".conda-env"
    (prefix / "conda-meta").mkdir(parents=True)
    result = check_conda.isolated(state(meta, prefix, {}, []))
    assert (result.status, result.detail) == ("ok", f"conda environment {prefix}")


def test_the_base_install_is_not_isolated(tools: ToolsProject, tmp_path: Path) -> None:
    """The root of a conda installation (condabin/) fails, with the fix to use .conda-env."""
    check_conda, meta, _ = modules(tools)
    base = tmp_path / "miniforge3"
    (base / "condabin").mkdir(parents=True)
    result = check_conda.isolated(state(meta, base, {}, []))
    assert result.status == "FAIL"
    (problem,) = result.problems
    assert (problem.subject, problem.found) == (str(base), "the base install of conda/mamba")
    assert problem.fix == "run `make env`, then `invoke check-env` (it uses .conda-env/)"


def test_another_projects_conda_env_is_a_warning(
    tools: ToolsProject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A conda env outside this project (tools.root) is not this project's env."""
    check_conda, meta, _ = modules(tools)
    other = tmp_path_factory.mktemp("elsewhere") / "other-env"
    (other / "conda-meta").mkdir(parents=True)
    result = check_conda.isolated(state(meta, other, {}, []))
    assert (result.name, result.status) == ("isolated", "warn")
    assert result.problems[0].found == "another project's environment"


def test_locked_accepts_matching_versions_and_builds(tools: ToolsProject) -> None:
    """Same version and build; a build known on one side only is no difference; pip
    entries of the lock are check-env's pip side, not this one."""
    check_conda, meta, env_state = modules(tools)
    locked = [
        conda_package(meta, "numpy", "1.26.4", "py311_0"),
        conda_package(meta, "zlib", "1.3.1"),
        meta.LockedPackage("tiny-pip", "0.3", "pip", "linux-64"),
    ]
    records = {"numpy": ("1.26.4", "py311_0"), "zlib": ("1.3.1", "h4ab18f5_1")}
    ctx = env_state.Context([], strict=False)
    ctx.installed = {"numpy": "1.26.4"}
    assert check_conda.locked(ctx, state(meta, tools.root / ".conda-env", records, locked)) == []


def test_locked_reports_versions_builds_and_missing_packages(tools: ToolsProject) -> None:
    check_conda, meta, env_state = modules(tools)
    locked = [
        conda_package(meta, "numpy", "1.26.4", "py311_0"),
        conda_package(meta, "rich", "13.7.1", "pyhd8ed1ab_0"),
        conda_package(meta, "zlib", "1.3.1"),
    ]
    records = {"numpy": ("1.25.0", "py311_0"), "rich": ("13.7.1", "pyhd8ed1ab_1")}
    ctx = env_state.Context([], strict=False)
    ctx.installed = {}
    problems = check_conda.locked(ctx, state(meta, tools.root / ".conda-env", records, locked))
    assert [(p.subject, p.expected, p.found) for p in problems] == [
        ("numpy", "1.26.4 py311_0 (conda-lock.yml)", "1.25.0 py311_0"),
        ("rich", "13.7.1 pyhd8ed1ab_0 (conda-lock.yml)", "13.7.1 pyhd8ed1ab_1"),
        ("zlib", "1.3.1 (conda-lock.yml)", "not installed"),
    ]
    assert all(problem.fix == env_state.REBUILD for problem in problems)


def test_locked_finds_pip_installed_over_a_conda_package(tools: ToolsProject) -> None:
    """conda's pytorch is PyPI's torch: another torch version on sys.path came from pip."""
    check_conda, meta, env_state = modules(tools)
    locked = [conda_package(meta, "pytorch", "2.5.1", "cpu_py311")]
    ctx = env_state.Context([], strict=False)
    ctx.installed = {"torch": "2.4.0"}
    conda = state(meta, tools.root / ".conda-env", {"pytorch": ("2.5.1", "cpu_py311")}, locked)
    (problem,) = check_conda.locked(ctx, conda)
    assert (problem.subject, problem.expected, problem.found) == (
        "torch",
        "2.5.1 from conda (conda-lock.yml)",
        "2.4.0, put over it by pip",
    )


def test_extras_are_conda_packages_the_lock_does_not_name(tools: ToolsProject) -> None:
    """Installed records that no conda entry of the lock names (a pip entry does not count)."""
    check_conda, meta, _ = modules(tools)
    locked = [
        conda_package(meta, "numpy", "1.26.4"),
        meta.LockedPackage("tiny-pip", "0.3", "pip", "linux-64"),
    ]
    records = {"numpy": ("1.26.4", "py311_0"), "tiny-pip": ("0.3", "0"), "curl": ("8.9", "h0")}
    problems = check_conda.extras(state(meta, tools.root / ".conda-env", records, locked))
    assert [(p.subject, p.found) for p in problems] == [
        ("curl", "8.9 h0 (conda-meta)"),
        ("tiny-pip", "0.3 0 (conda-meta)"),
    ]
    assert problems[0].fix.startswith("add it to environment.yml and run `invoke lock --conda`")
