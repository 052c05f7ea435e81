"""tools/tool_venv.py's find_python: every candidate is asked its version; none is trusted by name.

Stand-in interpreters are small shell scripts that print a version and a base
path, the two lines a real Python prints for the probe.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from conftest import ToolsProject

pytestmark = pytest.mark.skipif(os.name == "nt", reason="stand-in interpreters are sh scripts")
RUNNING = ".".join(map(str, sys.version_info[:3]))
RUNNING_MINOR = ".".join(map(str, sys.version_info[:2]))


def not_installed(version: str) -> str:
    return (
        f"Python {version} (named by .python-version) is not installed; install it "
        f"(`pyenv install {version}`, `uv python install {version}` or python.org), "
        "or write an installed version into .python-version"
    )


def stand_in(path: Path, *lines: str, code: int = 0) -> Path:
    """An executable that answers the version probe with `lines` and exits `code`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    echoes = "".join(f"echo '{line}'\n" for line in lines)
    path.write_text(f"#!/bin/sh\n{echoes}exit {code}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def only_here(tools: ToolsProject, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH and PYENV_ROOT hold only this test's stand-ins (no uv, no real pythons)."""
    bin_dir = tools.root / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("PYENV_ROOT", str(tools.root / "pyenv"))
    return bin_dir


def test_the_running_interpreter_reports_its_version_and_base(tools: ToolsProject) -> None:
    found = tools.module("tool_venv").interpreter_version(sys.executable)
    assert found is not None
    assert found[0] == RUNNING
    assert Path(found[1]).is_file()


def test_a_candidate_that_does_not_start_is_none(tools: ToolsProject) -> None:
    """A missing file, a non-executable one, a failing or half-answering one: no version."""
    interpreter_version = tools.module("tool_venv").interpreter_version
    assert interpreter_version(tools.root / "nope") is None
    assert interpreter_version(tools.write("plain", "not a program")) is None
    assert interpreter_version(stand_in(tools.root / "fails", "3.11.0", "/x", code=1)) is None
    assert interpreter_version(stand_in(tools.root / "half", "3.11.0")) is None


def test_the_running_interpreter_is_found_for_its_own_version(
    tools: ToolsProject, only_here: Path
) -> None:
    """.python-version naming this Python's X.Y finds it first, as its base interpreter."""
    tools.write(".python-version", RUNNING_MINOR)
    tool_venv = tools.module("tool_venv")
    base = tool_venv.interpreter_version(sys.executable)
    assert base is not None
    assert tool_venv.find_python() == base[1]


def test_an_absent_version_is_a_tool_error_with_the_install_commands(
    tools: ToolsProject, only_here: Path
) -> None:
    tools.write(".python-version", "3.99")
    tool_venv = tools.module("tool_venv")
    with pytest.raises(tools.module("project").ToolError) as error:
        tool_venv.find_python()
    assert str(error.value) == not_installed("3.99")


def test_a_shim_that_starts_another_version_does_not_pass(
    tools: ToolsProject, only_here: Path
) -> None:
    """`python3.99` on PATH that is really a 3.98 is not a 3.99."""
    stand_in(only_here / "python3.99", "3.98.0", "/opt/python3.98/bin/python3.98")
    tool_venv = tools.module("tool_venv")
    with pytest.raises(tools.module("project").ToolError) as error:
        tool_venv.find_python("3.99")
    assert str(error.value) == not_installed("3.99")


def test_a_matching_candidate_on_path_gives_its_base_interpreter(
    tools: ToolsProject, only_here: Path
) -> None:
    stand_in(only_here / "python3.99", "3.98.0", "/wrong")
    stand_in(only_here / "python3", "3.99.1", "/opt/python3.99/bin/python3.99")
    assert tools.module("tool_venv").find_python("3.99") == "/opt/python3.99/bin/python3.99"


def test_a_pyenv_version_is_a_candidate(tools: ToolsProject, only_here: Path) -> None:
    """PYENV_ROOT/versions/<X.Y.Z>/bin/python is asked when nothing on PATH matches."""
    pyenv_python = tools.root / "pyenv" / "versions" / "3.99.4" / "bin" / "python"
    stand_in(pyenv_python, "3.99.4", "/pyenv/3.99.4")
    assert tools.module("tool_venv").find_python("3.99") == "/pyenv/3.99.4"


def test_a_patch_version_must_match_exactly(tools: ToolsProject, only_here: Path) -> None:
    """.python-version 3.99.2 is not satisfied by a 3.99.1 on PATH."""
    stand_in(only_here / "python3.99", "3.99.1", "/opt/3.99.1")
    tool_venv = tools.module("tool_venv")
    with pytest.raises(tools.module("project").ToolError) as error:
        tool_venv.find_python("3.99.2")
    assert str(error.value) == not_installed("3.99.2")


def test_a_bad_python_version_file_is_reported_before_any_search(
    tools: ToolsProject, only_here: Path
) -> None:
    tools.write(".python-version", "latest")
    with pytest.raises(tools.module("project").ToolError, match="holds 'latest', not X.Y"):
        tools.module("tool_venv").find_python()
