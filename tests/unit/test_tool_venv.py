"""tools/tool_venv.py in-process: a lock tool is found in its cache venv, or bootstrapped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import ToolsProject


def unused_python() -> str:
    raise AssertionError("no interpreter is needed when the tool is cached")


def cache_venv(tools: ToolsProject, name: str) -> Path:
    return tools.root.resolve() / ".cache" / "lock-tools" / name


def test_a_cached_tool_is_returned_without_installing(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """The venv is named <package>-<version>-py<tag>; its command is in bin/."""
    executable = tools.write(".cache/lock-tools/uv-0.4.0-py3.11/bin/uv", "")
    found = tools.module("tool_venv").cached_tool("uv", "0.4.0", "uv", "3.11", unused_python)
    assert found == executable.resolve()
    assert capsys.readouterr().out == ""


def test_another_version_or_python_is_another_venv(tools: ToolsProject) -> None:
    """A cached uv 0.4.0 for 3.11 does not serve 0.5.0, nor 0.4.0 for 3.12."""
    tools.write(".cache/lock-tools/uv-0.4.0-py3.11/bin/uv", "")
    cached_tool = tools.module("tool_venv").cached_tool
    error = tools.module("project").ToolError

    def no_python() -> str:
        raise error("no such Python")

    for version, tag in (("0.5.0", "3.11"), ("0.4.0", "3.12")):
        with pytest.raises(error, match="no such Python"):
            cached_tool("uv", version, "uv", tag, no_python)


def test_no_interpreter_for_the_venv_is_the_finders_error_and_leaves_nothing(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """find_python's ToolError comes through unchanged; no half venv is left in the cache."""
    error = tools.module("project").ToolError

    def no_python() -> str:
        raise error("Python 3.11 (named by .python-version) is not installed")

    with pytest.raises(error, match=r"^Python 3\.11 \(named by"):
        tools.module("tool_venv").cached_tool(
            "pip-tools", "7.4.1", "pip-compile", "3.11", no_python
        )
    assert capsys.readouterr().out == (
        "tools: installing pip-tools==7.4.1 into .cache/lock-tools/pip-tools-7.4.1-py3.11 "
        "(once per version)\n"
    )
    assert not cache_venv(tools, "pip-tools-7.4.1-py3.11").exists()


NOT_POSIX = pytest.mark.skipif(os.name == "nt", reason="stand-in interpreters are sh scripts")

# `python -m venv DIR` stand-in: makes DIR/bin/python, whose `-m pip install PKG==V`
# writes the tool's command next to it.
FAKE_BASE = """#!/bin/sh
mkdir -p "$3/bin"
cat > "$3/bin/python" <<'EOS'
#!/bin/sh
echo "pip got: $*"
touch "$(dirname "$0")/pip-compile"
EOS
chmod +x "$3/bin/python"
"""
FAILING_BASE = """#!/bin/sh
mkdir -p "$3/bin"
echo "ERROR: cannot make a venv here"
exit 1
"""


def script(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)
    return str(path)


@NOT_POSIX
def test_a_missing_tool_is_installed_once_into_its_venv(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    base = script(tools.root / "base-python", FAKE_BASE)
    found = tools.module("tool_venv").cached_tool(
        "pip-tools", "7.4.1", "pip-compile", "3.11", lambda: base
    )
    venv = tools.root.resolve() / ".cache" / "lock-tools" / "pip-tools-7.4.1-py3.11"
    assert found == venv / "bin" / "pip-compile" and found.exists()
    out = capsys.readouterr().out
    assert "tools: $ base-python -m venv pip-tools-7.4.1-py3.11\n" in out
    assert "tools: $ python -m pip install pip-tools==7.4.1\n" in out
    assert "pip got: -m pip install pip-tools==7.4.1" in out


@NOT_POSIX
def test_a_failed_install_is_a_tool_error_and_removes_the_half_venv(tools: ToolsProject) -> None:
    base = script(tools.root / "base-python", FAILING_BASE)
    project = tools.module("project")
    with pytest.raises(project.ToolError) as error:
        tools.module("tool_venv").cached_tool("uv", "0.4.0", "uv", "3.11", lambda: base)
    assert type(error.value) is project.ToolError
    assert str(error.value) == (
        "installing uv==0.4.0 failed: ERROR: cannot make a venv here; "
        "run the command again once that is fixed"
    )
    assert not (tools.root / ".cache" / "lock-tools" / "uv-0.4.0-py3.11").exists()
