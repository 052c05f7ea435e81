"""tools/env_diff.py in-process: what `make env` would change in a small fake `.venv`."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ToolsProject


def fake_venv(tools: ToolsProject, *, version: str = "3.11.7", home: Path | None = None) -> Path:
    """`.venv` with pyvenv.cfg and an empty site-packages (no interpreter)."""
    venv = tools.root / ".venv"
    (venv / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    config = f"home = {home or tools.root}\ninclude-system-site-packages = false\n"
    (venv / "pyvenv.cfg").write_text(config + f"version = {version}\n", encoding="utf-8")
    return venv


def write_stamp(tools: ToolsProject, venv: Path, locks: list[Path]) -> None:
    """The record `make env` leaves after a sync."""
    text = tools.module("env_diff").stamp_text(venv, locks)
    tools.module("env_swap").write_stamp(venv, text)


def add_dist(venv: Path, name: str, version: str, direct_url: str | None = None) -> None:
    """A `<name>-<version>.dist-info` with just its METADATA (and direct_url.json)."""
    info = venv / "lib" / "python3.11" / "site-packages" / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Name: {name}\nVersion: {version}\n", encoding="utf-8")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps({"url": direct_url}), encoding="utf-8")


def test_venv_version_reads_venv_and_uv_configs(tools: ToolsProject, tmp_path: Path) -> None:
    """venv writes `version`, uv `version_info`; no pyvenv.cfg is no version."""
    env_diff = tools.module("env_diff")
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /x\nversion = 3.11.7\n", "utf-8")
    (tmp_path / "uv").mkdir()
    (tmp_path / "uv" / "pyvenv.cfg").write_text("version_info = 3.12.1\nbroken line\n", "utf-8")
    assert env_diff.venv_version(tmp_path / "venv") == "3.11.7"
    assert env_diff.venv_config(tmp_path / "uv") == {"version_info": "3.12.1"}
    assert env_diff.venv_version(tmp_path / "uv") == "3.12.1"
    assert env_diff.venv_version(tmp_path / "none") is None


def test_read_stamp_is_empty_for_a_missing_or_unreadable_record(tools: ToolsProject) -> None:
    env_diff = tools.module("env_diff")
    venv = fake_venv(tools)
    assert env_diff.read_stamp(venv) == {}
    (venv / ".repro-stamp").write_text("{not json", encoding="utf-8")
    assert env_diff.read_stamp(venv) == {}
    (venv / ".repro-stamp").write_text("[1, 2]", encoding="utf-8")
    assert env_diff.read_stamp(venv) == {}


def test_marker_applies_for_the_env_python(tools: ToolsProject) -> None:
    """A lock marker is evaluated for the env's Python, not the one running the tool."""
    env_diff = tools.module("env_diff")
    marker = 'python_version < "3.12"'
    assert env_diff.marker_applies("", "3.12.0") is True
    assert env_diff.marker_applies(marker, "3.11.7") is True
    assert env_diff.marker_applies(marker, "3.12.0") is False
    assert env_diff.marker_applies('python_full_version >= "3.11.8"', "3.11.7") is False


def test_wanted_pins_keep_markers_and_hashes_and_the_first_lock(tools: ToolsProject) -> None:
    """Excluded and unpinned lines are left out; each pin keeps a line pip can install."""
    env_diff = tools.module("env_diff")
    runtime = tools.write(
        "requirements.txt",
        'numpy==1.26.4 ; python_version < "3.12" \\\n    --hash=sha256:aaa \\\n'
        "    --hash=sha256:bbb\n"
        'tomli==2.0.1 ; python_version < "3.11"\n'
        "loose>=1\n",
    )
    dev = tools.write("requirements-dev.txt", "numpy==2.0.0\npytest==8.3.3\n")
    pins, unknown = env_diff.wanted_pins([runtime, dev], "3.11.7")
    assert unknown == set()
    assert sorted(pins) == ["numpy", "pytest"]
    assert pins["numpy"].version == "1.26.4"
    assert pins["numpy"].line == (
        'numpy==1.26.4 ; python_version < "3.12" --hash=sha256:aaa --hash=sha256:bbb'
    )
    assert pins["pytest"].line == "pytest==8.3.3"
    on_312 = env_diff.wanted_pins([runtime, dev], "3.12.1")[0]
    assert {name: pin.version for name, pin in on_312.items()} == {
        "numpy": "2.0.0",
        "pytest": "8.3.3",
    }


def test_differences_install_upgrade_and_remove(tools: ToolsProject, tmp_path: Path) -> None:
    """Missing and other versions are installed; extras removed, but not seeds, the project
    or names whose marker could not be evaluated."""
    env_diff, dist_files = tools.module("env_diff"), tools.module("dist_files")
    dists = {
        name: dist_files.Dist(tmp_path / name, name, version)
        for name, version in [
            ("numpy", "1.25.0"), ("rich", "13.7.1"), ("stray", "0.1"), ("pip", "24.0"),
            ("my-ml-project", "0.1.0"), ("maybe", "1.0"),
        ]
    }  # fmt: skip
    versions = {"numpy": "1.26.4", "rich": "13.7.1", "pytest": "8.3.3"}
    install, remove, changes = env_diff.differences(dists, versions, {"maybe"})
    assert install == ["numpy", "pytest"]
    assert remove == ["stray"]
    assert changes == ["numpy 1.25.0 -> 1.26.4", "installed pytest 8.3.3", "removed stray 0.1"]


def test_rebuild_reasons(tools: ToolsProject) -> None:
    """No env, no pyvenv.cfg, another Python, no stamp, a moved env, another lock tool."""
    env_diff = tools.module("env_diff")
    venv = tools.root / ".venv"
    assert env_diff.rebuild_reason(venv, "3.11") == "there is none yet"
    venv.mkdir()
    assert env_diff.rebuild_reason(venv, "3.11") == ".venv/pyvenv.cfg is missing or unreadable"
    (venv / "pyvenv.cfg").write_text(f"home = {tools.root}\nversion = 3.12.1\n", "utf-8")
    assert env_diff.rebuild_reason(venv, "3.11") == (
        "it was built by Python 3.12.1, and .python-version says 3.11"
    )
    assert env_diff.rebuild_reason(venv, "3.12") == "it has no record of a complete build"
    stamp = {"path": "/somewhere/else/.venv", "lock_tool": "pip-tools"}
    (venv / ".repro-stamp").write_text(json.dumps(stamp), encoding="utf-8")
    assert env_diff.rebuild_reason(venv, "3.12") == (
        "it was built at /somewhere/else/.venv (moved or renamed; venvs cannot move)"
    )
    stamp = {"path": str(venv.resolve()), "lock_tool": "uv"}
    (venv / ".repro-stamp").write_text(json.dumps(stamp), encoding="utf-8")
    assert env_diff.rebuild_reason(venv, "3.12") == (
        "it was built with uv, and this project uses pip-tools"
    )


def test_rebuild_when_the_base_interpreter_folder_is_gone(tools: ToolsProject) -> None:
    env_diff = tools.module("env_diff")
    venv = fake_venv(tools, home=tools.root / "gone" / "bin")
    assert env_diff.rebuild_reason(venv, "3.11") == (
        f"its base interpreter's folder {tools.root / 'gone' / 'bin'} is gone"
    )


def test_stamp_text_records_the_wanted_versions(tools: ToolsProject) -> None:
    """A stamp written from the locks is read back as their versions; another lock text
    makes it not apply."""
    env_diff = tools.module("env_diff")
    venv = fake_venv(tools)
    tools.write("pyproject.toml", "[project]\nname = 'my-ml-project'\n")
    lock = tools.write("requirements.txt", 'numpy==1.26.4\nold==1 ; python_version < "3"\n')
    write_stamp(tools, venv, [lock])
    stamp = env_diff.read_stamp(venv)
    assert stamp["path"] == str(venv.resolve())
    assert (stamp["python"], stamp["lock_tool"]) == ("3.11.7", "pip-tools")
    assert stamp["versions"] == {"numpy": "1.26.4"}
    assert env_diff.recorded_versions(venv, [lock]) == ({"numpy": "1.26.4"}, set())
    lock.write_text("numpy==2.0.0\n", encoding="utf-8")
    assert env_diff.recorded_versions(venv, [lock]) is None


def test_diff_of_a_synced_env_is_empty_and_a_drift_is_named(tools: ToolsProject) -> None:
    """The stamped env with exactly the locks needs nothing; a changed pin is one upgrade."""
    env_diff = tools.module("env_diff")
    venv = fake_venv(tools)
    tools.write("pyproject.toml", "[project]\nname = 'my-ml-project'\n")
    lock = tools.write("requirements.txt", "numpy==1.26.4 --hash=sha256:aaa\n")
    add_dist(venv, "pip", "24.0")
    add_dist(venv, "numpy", "1.26.4")
    add_dist(venv, "my_ml_project", "0.1.0", direct_url=tools.root.resolve().as_uri())
    write_stamp(tools, venv, [lock])
    assert env_diff.diff(venv, [lock], "3.11").empty
    lock.write_text("numpy==2.0.0 --hash=sha256:bbb\n", encoding="utf-8")
    found = env_diff.diff(venv, [lock], "3.11")
    assert [pin.line for pin in found.install] == ["numpy==2.0.0 --hash=sha256:bbb"]
    assert (found.remove, found.project, found.changes) == ([], "", ["numpy 1.26.4 -> 2.0.0"])


def test_diff_reinstalls_a_project_installed_from_elsewhere(tools: ToolsProject) -> None:
    env_diff = tools.module("env_diff")
    venv = fake_venv(tools)
    tools.write("pyproject.toml", "[project]\nname = 'my-ml-project'\n")
    lock = tools.write("requirements.txt", "")
    add_dist(venv, "pip", "24.0")
    add_dist(venv, "my-ml-project", "0.1.0", direct_url="file:///elsewhere")
    write_stamp(tools, venv, [lock])
    found = env_diff.diff(venv, [lock], "3.11")
    assert found.project == "my-ml-project (this project) is installed from elsewhere"
    assert found.changes == [
        "reinstalled the project (my-ml-project (this project) is installed from elsewhere)"
    ]


def test_pip_tools_env_without_pip_is_rebuilt(tools: ToolsProject) -> None:
    """pip-sync needs pip inside the env: without it, only a rebuild repairs it."""
    env_diff = tools.module("env_diff")
    venv = fake_venv(tools)
    tools.write("pyproject.toml", "")
    lock = tools.write("requirements.txt", "")
    write_stamp(tools, venv, [lock])
    assert env_diff.diff(venv, [lock], "3.11").rebuild == (
        "pip, which syncs it, was removed from it"
    )
