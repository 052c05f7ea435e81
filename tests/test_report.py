"""Slow tier: `invoke report` records an env and `--compare` finds what changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import bake_into, run, uv_pip, venv_python

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(module_tmp: Callable[[str], Path]) -> Path:
    """A uv project with its env built (uv keeps this module quick)."""
    project = bake_into(module_tmp("report"), lock_tool="uv", docker="no")
    run(["make", "env"], cwd=project)
    return project


def test_report_records_the_env(project: Path) -> None:
    """The report names Python, the packages and the hash of each lock."""
    run(["invoke", "report", "--output", "before.json"], cwd=project)
    report = json.loads((project / "before.json").read_text())
    assert report["python"].startswith("3.11")
    assert "numpy" in report["packages"] and "rich" in report["packages"]
    assert set(report["locks"]) == {"requirements.txt", "requirements-dev.txt"}


def test_same_env_compares_equal(project: Path) -> None:
    """Comparing an env with its own report finds nothing and exits 0."""
    run(["invoke", "report", "--output", "same.json"], cwd=project)
    result = run(["invoke", "report", "--compare", "same.json"], cwd=project)
    assert "report: same environment as same.json" in result.stdout


def test_changed_package_is_a_difference(project: Path) -> None:
    """An installed package that changed since the report makes --compare exit 1 and name it."""
    run(["invoke", "report", "--output", "earlier.json"], cwd=project)
    uv_pip(project, "install", "six==1.16.0")
    try:
        result = run(["invoke", "report", "--compare", "earlier.json"], cwd=project, check=False)
        assert result.returncode == 1
        assert "package six: absent -> 1.16.0" in result.stdout
    finally:
        uv_pip(project, "uninstall", "six")


def test_unreadable_report_is_one_line(project: Path) -> None:
    """A file that is not a report gives one ERROR line and exit 1."""
    (project / "notes.json").write_text("not json")
    result = run([str(venv_python(project)), "-m", "tools", "report", "--compare", "notes.json"],
                 cwd=project, check=False)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("ERROR: cannot read report notes.json")
    assert len(result.stderr.strip().splitlines()) == 1
