"""tools/conda_meta.py in-process: environment.yml, conda-lock.yml and conda-meta/ read
from small texts."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from conftest import ToolsProject

CONDA_LOCK_YML = """\
version: 1
metadata:
  platforms:
  - linux-64
  - osx-arm64
package:
- name: numpy
  version: 1.26.4
  manager: conda
  platform: linux-64
  dependencies:
    libblas: '>=3.9.0'
  url: https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py311h64a7726_0.conda
  hash:
    md5: a502d7aad449a1206efb366d6a12c52d
  category: main
  optional: false
- name: pytorch
  version: 2.5.1
  manager: conda
  platform: osx-arm64
  url: https://conda.anaconda.org/conda-forge/osx-arm64/pytorch-2.5.1-cpu_py311.conda
  build: cpu_py311_explicit
  category: main
- name: tiny-pip
  version: '0.3'
  manager: pip
  platform: linux-64
  url: https://files.pythonhosted.org/tiny_pip-0.3-py3-none-any.whl
  category: dev
"""


def conda_meta(tools: ToolsProject) -> ModuleType:
    """conda_meta of a conda project."""
    tools.answer(env_manager="conda")
    return tools.module("conda_meta")


def test_block_lists_with_pip_section_and_conda_only(tools: ToolsProject) -> None:
    """Name, channels, platforms; specs keep line numbers, the `pip:` section and
    `# conda-only` marks; comments and quotes are removed."""
    meta = conda_meta(tools)
    path = tools.write(
        "environment.yml",
        "# a comment\n"
        "name: demo\n"
        "channels:\n"
        "  - conda-forge\n"
        "dependencies:\n"
        "  - python=3.11\n"
        "  - 'numpy>=1.26'  # quoted\n"
        "  - libjpeg-turbo  # conda-only\n"
        "  - pip:\n"
        "      - tiny-pip==0.3\n"
        "  - rich>=13\n"
        "platforms:\n"
        "  - linux-64\n",
    )
    env = meta.read_environment(path)
    assert (env.name, env.channels, env.platforms) == ("demo", ["conda-forge"], ["linux-64"])
    assert [(s.text, s.line, s.pip, s.conda_only) for s in env.specs] == [
        ("python=3.11", 6, False, False),
        ("numpy>=1.26", 7, False, False),
        ("libjpeg-turbo", 8, False, True),
        ("tiny-pip==0.3", 10, True, False),
        ("rich>=13", 11, False, False),
    ]


def test_flow_lists(tools: ToolsProject) -> None:
    """`channels: [conda-forge]`, quoted flow items (a comma inside one), flow dependencies."""
    meta = conda_meta(tools)
    path = tools.write(
        "environment.yml",
        "name: 'demo'\n"
        "channels: [conda-forge]\n"
        "dependencies: [\"numpy>=1.26,<2\", python=3.11, 'pip']\n"
        "platforms: ['linux-64', \"osx-arm64\"]\n",
    )
    env = meta.read_environment(path)
    assert env.name == "demo"
    assert env.channels == ["conda-forge"]
    assert env.platforms == ["linux-64", "osx-arm64"]
    assert [(spec.text, spec.line, spec.pip) for spec in env.specs] == [
        ("numpy>=1.26,<2", 3, False), ("python=3.11", 3, False), ("pip", 3, False),
    ]  # fmt: skip


def test_a_scalar_list_key_is_refused_with_its_line(tools: ToolsProject) -> None:
    meta, project = conda_meta(tools), tools.module("project")
    path = tools.write("environment.yml", "name: demo\nchannels: conda-forge\n")
    with pytest.raises(project.ToolError) as error:
        meta.read_environment(path)
    assert str(error.value) == (
        "environment.yml:2: write `channels:` as a list (`  - item` lines or `[a, b]`); "
        "tools read environment.yml in those shapes"
    )


def test_an_unreadable_line_is_refused_with_its_line(tools: ToolsProject) -> None:
    meta, project = conda_meta(tools), tools.module("project")
    path = tools.write("environment.yml", "name: demo\n  stray text\n")
    with pytest.raises(project.ToolError, match=r"^environment.yml:2: cannot read `stray text`"):
        meta.read_environment(path)


def test_read_conda_lock_entries(tools: ToolsProject) -> None:
    """Each `- name:` item with its own keys (nested maps aside), line and category."""
    meta = conda_meta(tools)
    packages = meta.read_conda_lock(tools.write("conda-lock.yml", CONDA_LOCK_YML))
    assert [(p.name, p.version, p.manager, p.platform, p.category, p.line) for p in packages] == [
        ("numpy", "1.26.4", "conda", "linux-64", "main", 7),
        ("pytorch", "2.5.1", "conda", "osx-arm64", "main", 18),
        ("tiny-pip", "0.3", "pip", "linux-64", "dev", 25),
    ]
    assert [package.name for package in meta.for_platform(packages, "linux-64")] == [
        "numpy", "tiny-pip",
    ]  # fmt: skip


def test_build_string_from_the_field_or_the_url(tools: ToolsProject) -> None:
    """The `build` field wins; else the part of the file name after name-version-;
    pip packages have none."""
    meta = conda_meta(tools)
    numpy, pytorch, tiny = meta.read_conda_lock(tools.write("conda-lock.yml", CONDA_LOCK_YML))
    assert numpy.build_string == "py311h64a7726_0"
    assert pytorch.build_string == "cpu_py311_explicit"
    assert tiny.build_string == ""


def test_a_lock_of_another_version_is_refused(tools: ToolsProject) -> None:
    meta, project = conda_meta(tools), tools.module("project")
    path = tools.write("conda-lock.yml", "version: 2\npackage: []\n")
    with pytest.raises(project.ToolError) as error:
        meta.read_conda_lock(path)
    assert str(error.value) == (
        "conda-lock.yml is not a version-1 conda-lock file; re-create it: `invoke lock --conda`"
    )


def test_pypi_names_of_conda_packages(tools: ToolsProject) -> None:
    """conda-forge names that differ map back; others are just normalised."""
    meta = conda_meta(tools)
    assert meta.pypi_name("pytorch") == "torch"
    assert meta.pypi_name("msgpack-python") == "msgpack"
    assert meta.pypi_name("Ruamel.YAML") == "ruamel-yaml"


def test_installed_records_and_prefix_kinds(tools: ToolsProject, tmp_path: Path) -> None:
    """conda-meta/*.json by package name; files without a name are ignored; a base
    install holds condabin/ or envs/."""
    meta = conda_meta(tools)
    prefix = tmp_path / "env"
    (prefix / "conda-meta").mkdir(parents=True)
    record = {"name": "numpy", "version": "1.26.4", "build": "py311_0"}
    (prefix / "conda-meta" / "numpy-1.26.4-py311_0.json").write_text(json.dumps(record), "utf-8")
    (prefix / "conda-meta" / "history.json").write_text("{}", "utf-8")
    records = meta.installed_records(prefix)
    assert list(records) == ["numpy"]
    assert (records["numpy"].version, records["numpy"].build) == ("1.26.4", "py311_0")
    assert meta.is_conda_prefix(prefix) and not meta.is_base_install(prefix)
    (prefix / "envs").mkdir()
    assert meta.is_base_install(prefix)
    assert not meta.is_conda_prefix(tmp_path)


def test_a_broken_conda_meta_record_is_a_tool_error(tools: ToolsProject, tmp_path: Path) -> None:
    meta, project = conda_meta(tools), tools.module("project")
    (tmp_path / "conda-meta").mkdir()
    (tmp_path / "conda-meta" / "bad.json").write_text("{", "utf-8")
    with pytest.raises(project.ToolError, match=r"repair the env: `invoke env --force`$"):
        meta.installed_records(tmp_path)


def test_conda_state_needs_the_lock(tools: ToolsProject, tmp_path: Path) -> None:
    meta, project = conda_meta(tools), tools.module("project")
    with pytest.raises(project.ToolError) as error:
        meta.CondaState.load(tmp_path, tools.root / "conda-lock.yml")
    assert str(error.value) == (
        "conda-lock.yml not found, but this is a conda env; run `invoke lock --conda`"
    )


def test_conda_state_python_names(tools: ToolsProject, tmp_path: Path) -> None:
    """The PyPI names of every locked package, conda names mapped."""
    meta = conda_meta(tools)
    packages = meta.read_conda_lock(tools.write("conda-lock.yml", CONDA_LOCK_YML))
    state = meta.CondaState(tmp_path, tools.root / "conda-lock.yml", "osx-arm64", {}, packages)
    assert state.python_names == {"numpy", "torch", "tiny-pip"}


def test_a_quoted_flow_item_after_another_keeps_its_comma(tools: ToolsProject) -> None:
    """`[python=3.11, "numpy>=1.26,<2", pip]`: the quoted item is one spec, unquoted."""
    meta = conda_meta(tools)
    path = tools.write("environment.yml", 'dependencies: [python=3.11, "numpy>=1.26,<2", pip]\n')
    specs = [spec.text for spec in meta.read_environment(path).specs]
    assert specs == ["python=3.11", "numpy>=1.26,<2", "pip"]


@pytest.mark.parametrize(
    ("system", "machine", "subdir"),
    [
        ("linux", "x86_64", "linux-64"),
        ("linux", "aarch64", "linux-aarch64"),
        ("linux", "arm64", "linux-aarch64"),
        ("darwin", "arm64", "osx-arm64"),
        ("darwin", "x86_64", "osx-64"),
        ("win32", "AMD64", "win-64"),
        ("win32", "ARM64", "win-arm64"),
    ],
)
def test_current_platform_is_condas_subdir_name(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch, system: str, machine: str, subdir: str
) -> None:
    conda_meta = tools.module("conda_meta")
    monkeypatch.setattr(conda_meta.sys, "platform", system)
    monkeypatch.setattr(conda_meta.platform, "machine", lambda: machine)
    assert conda_meta.current_platform() == subdir
