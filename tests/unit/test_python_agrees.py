"""tools/python_agrees.py in-process: every file naming a Python names .python-version's X.Y."""

from __future__ import annotations

import pytest

from conftest import ToolsProject

OK = "python-agrees: ok (every file names .python-version's Python)"
PYPROJECT = '[project]\nname = "x"\nrequires-python = ">=3.11"\n'
DOCKERFILE = (
    "ARG PYTHON_VERSION=3.11\nARG BASE_IMAGE=python:${PYTHON_VERSION}-slim\n"
    "FROM ${BASE_IMAGE} AS builder\nFROM nvidia/cuda:12.4.1-runtime AS gpu\n"
)
WORKFLOW = """\
jobs:
  test:
    strategy:
      matrix:
        python: ["3.11"]
    steps:
      - uses: actions/setup-python@v5
        with:
          python-version-file: .python-version
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python }}
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"  # not 3.12
"""
NOXFILE = 'import nox\n\n@nox.session(python="3.11")\ndef tests(session):\n    pass\n'


def agreeing_project(tools: ToolsProject) -> None:
    """pyproject.toml, a Dockerfile, a workflow and a noxfile that all name 3.11."""
    tools.write("pyproject.toml", PYPROJECT)
    tools.write("Dockerfile", DOCKERFILE)
    tools.write(".github/workflows/ci.yml", WORKFLOW)
    tools.write("noxfile.py", NOXFILE)


def run_check(tools: ToolsProject, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = tools.module("lint").run_check("python-agrees")
    return code, capsys.readouterr().out.splitlines()


def test_an_agreeing_project_passes(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    agreeing_project(tools)
    assert run_check(tools, capsys) == (0, [OK])


def test_a_patch_version_agrees_with_its_minor(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    agreeing_project(tools)
    tools.write(".python-version", "3.11.9\n")
    assert run_check(tools, capsys) == (0, [OK])


def test_requires_python_of_another_minor_fails(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    agreeing_project(tools)
    tools.write("pyproject.toml", '[project]\nname = "x"\nrequires-python = ">=3.12,<3.14"\n')
    assert run_check(tools, capsys) == (
        1,
        [
            "pyproject.toml:3: python-agrees: requires-python `>=3.12,<3.14` names 3.12, but "
            '.python-version says 3.11; set `requires-python = ">=3.11"`'
        ],
    )


def test_unreadable_pyproject_is_one_finding(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    tools.write("pyproject.toml", "[project\n")
    code, lines = run_check(tools, capsys)
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith("pyproject.toml:1: python-agrees: cannot read TOML (")
    assert lines[0].endswith("; fix the syntax")


def test_a_dockerfile_arg_of_another_python_is_reported_once(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """The base image built from that ARG would repeat the finding, so it is not checked."""
    agreeing_project(tools)
    tools.write("Dockerfile", DOCKERFILE.replace("=3.11", "=3.12"))
    assert run_check(tools, capsys) == (
        1,
        [
            "Dockerfile:1: python-agrees: ARG PYTHON_VERSION names 3.12, but .python-version "
            "says 3.11; set `ARG PYTHON_VERSION=3.11`"
        ],
    )


def test_a_python_base_image_of_another_minor_fails(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    agreeing_project(tools)
    tools.write("docker/app/Dockerfile", "FROM docker.io/library/python:3.12-slim@sha256:ab\n")
    assert run_check(tools, capsys) == (
        1,
        [
            "docker/app/Dockerfile:1: python-agrees: base image "
            "`docker.io/library/python:3.12-slim@sha256:ab` names 3.12, but .python-version says "
            "3.11; use a `python:3.11-...` base image"
        ],
    )


def test_ci_python_versions_must_agree(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hard-coded list names each version; another version file is named too."""
    agreeing_project(tools)
    tools.write(
        ".github/workflows/nightly.yml",
        'steps:\n  - with:\n      python-version: ["3.11", "3.13"]\n'
        "  - with:\n      python-version-file: pyproject.toml\n",
    )
    assert run_check(tools, capsys) == (
        1,
        [
            ".github/workflows/nightly.yml:3: python-agrees: python-version names 3.13, but "
            ".python-version says 3.11; use `python-version-file: .python-version`",
            ".github/workflows/nightly.yml:5: python-agrees: python-version-file is "
            "pyproject.toml, not .python-version; write `python-version-file: .python-version`",
        ],
    )


def test_a_nox_session_of_another_python_fails(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    agreeing_project(tools)
    tools.write("noxfile.py", NOXFILE.replace('python="3.11"', 'python=["3.11", "3.10"]'))
    assert run_check(tools, capsys) == (
        1,
        [
            "noxfile.py:3: python-agrees: a nox session's python names 3.10, but .python-version "
            "says 3.11; read the version from .python-version instead of writing it"
        ],
    )


def test_missing_python_version_is_one_finding_with_its_fix(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    agreeing_project(tools)
    (tools.root / ".python-version").unlink()
    assert run_check(tools, capsys) == (
        1,
        [
            ".python-version:1: python-agrees: .python-version is missing; "
            "write the project's Python (e.g. 3.11) into it"
        ],
    )


def test_a_malformed_python_version_is_one_finding(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    tools.write(".python-version", "python3\n")
    assert run_check(tools, capsys) == (
        1,
        [
            ".python-version:1: python-agrees: .python-version holds 'python3', not X.Y or "
            "X.Y.Z; write e.g. 3.11"
        ],
    )


def test_a_project_without_those_files_passes(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_check(tools, capsys) == (0, [OK])


@pytest.mark.parametrize(
    ("python", "code"), [("python=3.11.9", 0), ("python>=3.11,<3.12", 0), ("python=3.12", 1)]
)
def test_a_conda_projects_environment_yml_names_the_python(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str], python: str, code: int
) -> None:
    """In a conda project environment.yml is the intent: its python= must agree."""
    tools.answer(env_manager="conda")
    tools.write("environment.yml", f"dependencies:\n  - {python}\n  - rich>=13\n")
    assert tools.module("lint").run_check("python-agrees") == code
    out = capsys.readouterr().out
    if code:
        assert out == (
            "environment.yml:2: python-agrees: its python names python=3.12, but "
            ".python-version says 3.11; write `  - python=3.11` in environment.yml\n"
        )


def test_an_environment_yml_without_python_names_the_wanted_one(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fix names the X.Y of .python-version, not a `{wanted}` placeholder."""
    tools.answer(env_manager="conda")
    tools.write("environment.yml", "dependencies:\n  - rich>=13\n")
    assert tools.module("lint").run_check("python-agrees") == 1
    assert capsys.readouterr().out == (
        "environment.yml:1: python-agrees: environment.yml has no `python=` dependency; "
        "write `  - python=3.11` in environment.yml\n"
    )


def test_a_venv_projects_environment_yml_is_not_read(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """There it is written from .python-version; lock-fresh holds it to that."""
    tools.write("environment.yml", "dependencies:\n  - python=3.12\n")
    assert tools.module("lint").run_check("python-agrees") == 0
    assert capsys.readouterr().out == OK + "\n"
