"""tools/conda_env.py in-process: the solver, the dev tools beside conda, stamps and the
refusals that come before any solver runs."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from conftest import ToolsProject

ENVIRONMENT_YML = "name: demo\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n"
CONDA_LOCK_YML = """\
version: 1
package:
- name: numpy
  version: 1.26.4
  manager: conda
  platform: {platform}
  url: https://conda.anaconda.org/conda-forge/{platform}/numpy-1.26.4-py311_0.conda
"""


def conda_env(tools: ToolsProject) -> ModuleType:
    """conda_env of a conda project."""
    tools.answer(env_manager="conda")
    return tools.module("conda_env")


def fresh_conda_project(tools: ToolsProject, platform: str) -> None:
    """environment.yml, a conda-lock.yml for `platform` stamped from it, the other inputs."""
    lockfile = tools.module("lockfile")
    tools.write("environment.yml", ENVIRONMENT_YML)
    lock = tools.write("conda-lock.yml", CONDA_LOCK_YML.format(platform=platform))
    lockfile.stamp(lock, tools.root / "environment.yml")
    tools.write("pyproject.toml", "[project]\nname = 'my-ml-project'\n")
    tools.write("requirements-dev.txt", "pytest==8.3.3\n")


def executable(folder: Path, name: str) -> Path:
    """A stand-in executable: found on PATH, never run."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\nexit 99\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def test_no_solver_on_path_is_a_tool_error(
    tools: ToolsProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No micromamba, mamba or conda: one line that says what to install."""
    module, project = conda_env(tools), tools.module("project")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(project.ToolError) as error:
        module.find_solver()
    assert str(error.value) == (
        "no conda solver on PATH (looked for micromamba, mamba, conda); install micromamba "
        "(https://mamba.readthedocs.io/en/latest/installation/micromamba-installation.html) "
        "or Miniforge, then run the command again"
    )


def test_find_solver_prefers_micromamba_then_mamba_then_conda(
    tools: ToolsProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = conda_env(tools)
    bin_dir = tmp_path / "bin"
    monkeypatch.setenv("PATH", str(bin_dir))
    conda = executable(bin_dir, "conda")
    assert module.find_solver() == str(conda)
    mamba = executable(bin_dir, "mamba")
    assert module.find_solver() == str(mamba)
    micromamba = executable(bin_dir, "micromamba")
    assert module.find_solver() == str(micromamba)


def test_dev_requirements_leave_out_what_conda_provides(tools: ToolsProject) -> None:
    """The dev lock's lines for pip, without the conda-provided names; markers and hashes
    kept."""
    module = conda_env(tools)
    tools.write(
        "requirements-dev.txt",
        "numpy==1.26.4 \\\n    --hash=sha256:aaa\n"
        'pytest==8.3.3 ; python_version >= "3.8" \\\n    --hash=sha256:bbb\n'
        "ruff==0.6.9\n",
    )
    lines = module.dev_requirements({"numpy"}).splitlines()
    assert [line.rstrip() for line in lines] == [
        'pytest==8.3.3 ; python_version >= "3.8" --hash=sha256:bbb',
        "ruff==0.6.9",
    ]


def test_sync_refuses_a_stale_conda_lock(tools: ToolsProject) -> None:
    module, project = conda_env(tools), tools.module("project")
    fresh_conda_project(tools, "linux-64")
    tools.write("environment.yml", ENVIRONMENT_YML + "  - rich>=13\n")
    with pytest.raises(project.ToolError) as error:
        module.sync()
    assert str(error.value) == (
        "conda-lock.yml is stale: environment.yml changed since it was locked; "
        "run `invoke lock --conda`, then `make env` again"
    )


def test_env_stamp_changes_with_the_conda_lock(tools: ToolsProject) -> None:
    module = conda_env(tools)
    fresh_conda_project(tools, "linux-64")
    before = module.env_stamp()
    assert module.env_stamp() == before
    tools.write("conda-lock.yml", CONDA_LOCK_YML.format(platform="osx-arm64"))
    assert module.env_stamp() != before


def test_sync_with_a_current_stamp_does_nothing(
    tools: ToolsProject,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An env stamped from the current inputs is kept: no solver is even looked for."""
    module = conda_env(tools)
    fresh_conda_project(tools, "linux-64")
    (tools.root / ".conda-env").mkdir()
    (tools.root / ".conda-env" / ".repro-stamp").write_text(module.env_stamp(), "utf-8")
    monkeypatch.setenv("PATH", str(tmp_path / "no-solver-here"))
    module.sync()
    assert capsys.readouterr().out == (
        "conda: .conda-env is up to date with the locks; nothing to do\n"
    )


def test_build_refuses_a_lock_without_this_platform(tools: ToolsProject) -> None:
    """A conda-lock.yml for other platforms only: the fix names the line to add."""
    module, project = conda_env(tools), tools.module("project")
    meta = tools.module("conda_meta")
    fresh_conda_project(tools, "nowhere-64")
    subdir = meta.current_platform()
    with pytest.raises(project.ToolError) as error:
        module.build("micromamba", Path("conda-lock"))
    assert str(error.value) == (
        f"conda-lock.yml has no packages for {subdir}; add `  - {subdir}` under "
        "`platforms:` in environment.yml, then `invoke lock --conda`"
    )
