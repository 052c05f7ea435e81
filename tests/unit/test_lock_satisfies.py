"""tools/lock_satisfies.py in-process: whether a lock's pins satisfy its `.in` file."""

from __future__ import annotations

import sys

import pytest

from conftest import ToolsProject

HASH = "sha256:" + "a" * 64


def pin(name: str, version: str, *via: str, marker: str = "") -> str:
    """One lock entry as pip-compile and uv write it: hashes, then `# via` lines."""
    marked = f" ; {marker}" if marker else ""
    lines = [f"{name}=={version}{marked} \\", f"    --hash={HASH}"]
    if len(via) == 1:
        lines.append(f"    # via {via[0]}")
    elif via:
        lines += ["    # via", *(f"    #   {parent}" for parent in via)]
    return "\n".join(lines) + "\n"


def problem(tools: ToolsProject, intent: str, lock: str, source: str = "requirements.in") -> str:
    """What `unsatisfied` says about `lock` against `intent`, or "" when it is satisfied."""
    in_file = tools.write(source, intent)
    lock_file = tools.write(source.replace(".in", ".txt"), lock)
    found = tools.module("lock_satisfies").unsatisfied(lock_file, in_file)
    return f"{found.line_no}: {found.problem}" if found else ""


RICH = pin("rich", "13.7.1", "-r requirements.in") + pin("pygments", "2.18.0", "rich")


def test_pins_within_range_and_reached_satisfy(tools: ToolsProject) -> None:
    assert problem(tools, "rich>=13\n", RICH) == ""


def test_comments_spacing_and_index_options_are_not_requirements(tools: ToolsProject) -> None:
    intent = "# the console\n--index-url https://pypi.org/simple\n\nrich >= 13  # colours\n"
    assert problem(tools, intent, RICH) == ""


def test_a_missing_requirement_names_its_line(tools: ToolsProject) -> None:
    assert problem(tools, "rich>=13\nnumpy>=1.26\n", RICH) == (
        "1: does not pin numpy, which requirements.in:2 asks for (`numpy>=1.26`)"
    )


def test_a_requirement_with_a_marker_may_be_missing(tools: ToolsProject) -> None:
    """The lock was resolved where the marker is false (pip-compile locks for one platform)."""
    assert problem(tools, "rich>=13\ncolorama ; sys_platform == 'win32'\n", RICH) == ""


def test_a_pin_outside_the_range_is_named_at_its_line(tools: ToolsProject) -> None:
    assert problem(tools, "rich>=14\n", RICH) == (
        "1: pins rich==13.7.1, outside requirements.in:1's `rich>=14`"
    )


def test_every_marker_variant_of_a_pin_must_be_in_range(tools: ToolsProject) -> None:
    """A universal lock pins numpy once per Python range; each one counts."""
    lock = pin("numpy", "1.26.4", "-r requirements.in", marker="python_version < '3.12'")
    lock += pin("numpy", "2.1.0", "-r requirements.in", marker="python_version >= '3.12'")
    assert problem(tools, "numpy>=1.26\n", lock) == ""
    assert problem(tools, "numpy>=1.26,<2\n", lock) == (
        "4: pins numpy==2.1.0, outside requirements.in:1's `numpy>=1.26,<2`"
    )


def test_a_prerelease_pin_counts_as_in_range(tools: ToolsProject) -> None:
    lock = pin("torch", "2.6.0rc1", "-r requirements.in")
    assert problem(tools, "torch>=2.5\n", lock) == ""


def test_a_pin_nothing_reaches_is_named_the_removed_one_first(tools: ToolsProject) -> None:
    """rich removed from the intent: rich (which claims the intent) is named, not pygments."""
    lock = pin("numpy", "1.26.4", "-r requirements.in") + RICH
    assert problem(tools, "numpy>=1.26\n", lock) == (
        "4: pins rich, which nothing in requirements.in asks for or depends on (removed from it?)"
    )


def test_a_lock_without_annotations_is_not_followed(tools: ToolsProject) -> None:
    """`--no-annotate` locks say nothing of what needs what: only the ranges are checked."""
    assert problem(tools, "rich>=13\n", "rich==13.7.1\npygments==2.18.0\n") == ""


def test_a_dependency_listed_under_several_parents_is_reached(tools: ToolsProject) -> None:
    lock = RICH + pin("markdown-it-py", "3.0.0", "pygments", "rich")
    assert problem(tools, "rich>=13\n", lock) == ""


def test_included_files_add_requirements(tools: ToolsProject) -> None:
    """`-r requirements.in` in the GPU intent: its requirements count, with their lines."""
    tools.write("requirements.in", "rich>=13\n")
    intent = "-r requirements.in\nnvidia-cuda-runtime==13.0.*\n"
    found = problem(tools, intent, RICH, source="requirements-gpu.in")
    assert found == (
        "1: does not pin nvidia-cuda-runtime, which requirements-gpu.in:2 asks for "
        "(`nvidia-cuda-runtime==13.0.*`)"
    )


def test_pins_must_agree_with_the_constraint_lock(tools: ToolsProject) -> None:
    tools.write("requirements.txt", pin("pygments", "2.18.0", "rich"))
    dev = pin("pytest", "8.3.3", "-r requirements-dev.in")
    dev += pin("pygments", "2.17.0", "-c requirements.txt", "pytest")
    intent = "-c requirements.txt\npytest\n"
    assert problem(tools, intent, dev, source="requirements-dev.in") == (
        "4: pins pygments==2.17.0, where requirements.txt (its `-c` constraint) pins 2.18.0"
    )


def test_an_unreadable_requirement_is_named(tools: ToolsProject) -> None:
    found = problem(tools, "rich>=13\nnot a requirement!\n", RICH)
    assert found.startswith("1: requirements.in:2 cannot be read (")


def test_without_packaging_pips_copy_is_used(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make env` runs before any env: a Python with pip but no packaging still checks."""
    pytest.importorskip("pip._vendor.packaging.requirements", reason="this Python has no pip")
    monkeypatch.setitem(sys.modules, "packaging.requirements", None)
    assert problem(tools, "rich>=14\n", RICH).startswith("1: pins rich==13.7.1, outside")
