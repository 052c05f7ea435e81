"""tools/make_env.py in-process: its options, the CI rule, the locks it needs, its commands,
and what it would change in a small fake `.venv`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from conftest import OPTIONS, ToolsProject

MISSING_IN_CI = (
    "requirements.txt, requirements-dev.txt missing, and CI never locks: run `invoke lock` "
    "locally, then commit the locks with the .in files"
)


def parse(tools: ToolsProject, *argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    tools.module("make_env").add_arguments(parser)
    return parser.parse_args(argv)


def cached_uv(tools: ToolsProject) -> Path:
    """The uv a uv project bootstraps, already in its cache venv (so nothing is installed)."""
    name = f".cache/lock-tools/uv-{OPTIONS['__uv_version']}-py3.11/bin/uv"
    return tools.write(name, "").resolve()


def write_locks(tools: ToolsProject, *names: str) -> None:
    """These locks (default: both default ones), each with one hashed pin."""
    for name in names or ("requirements.txt", "requirements-dev.txt"):
        tools.write(name, f"rich==13.7.1 \\\n    --hash=sha256:{'a' * 64}\n")


def test_a_venv_project_has_force_and_no_venv_option(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    assert parse(tools).force is False and parse(tools, "--force").force is True
    with pytest.raises(SystemExit):
        parse(tools, "--venv")
    assert "unrecognized arguments: --venv" in capsys.readouterr().err


def test_a_conda_project_may_build_the_venv_instead(tools: ToolsProject) -> None:
    tools.answer(env_manager="conda")
    assert parse(tools).venv is False
    assert parse(tools, "--venv").venv is True


@pytest.mark.parametrize(
    ("value", "ci"),
    [("", False), ("0", False), ("false", False), (" FALSE ", False), ("No", False),
     ("true", True), ("1", True), ("yes", True)],
)  # fmt: skip
def test_missing_locks_are_refused_where_the_ci_variable_says_ci(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch, value: str, ci: bool
) -> None:
    """(No CI variable at all is not CI: test_missing_locks_outside_ci_or_locks_in_ci_are_fine.)"""
    monkeypatch.setenv("CI", value)
    make_env = tools.module("make_env")
    if ci:
        with pytest.raises(make_env.ToolError, match="CI never locks"):
            make_env.refuse_missing_locks_in_ci()
    else:
        make_env.refuse_missing_locks_in_ci()


def test_missing_locks_lists_the_absent_ones_in_lock_order(tools: ToolsProject) -> None:
    make_env = tools.module("make_env")
    assert make_env.missing_locks() == ["requirements.txt", "requirements-dev.txt"]
    tools.write("requirements.txt", "")
    assert make_env.missing_locks() == ["requirements-dev.txt"]


def test_ci_refuses_to_lock_missing_locks(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    make_env = tools.module("make_env")
    with pytest.raises(make_env.ToolError) as error:
        make_env.refuse_missing_locks_in_ci()
    assert str(error.value) == MISSING_IN_CI


def test_missing_locks_outside_ci_or_locks_in_ci_are_fine(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_env = tools.module("make_env")
    monkeypatch.delenv("CI", raising=False)
    make_env.refuse_missing_locks_in_ci()
    monkeypatch.setenv("CI", "1")
    tools.write("requirements.txt", "")
    tools.write("requirements-dev.txt", "")
    make_env.refuse_missing_locks_in_ci()
    assert make_env.is_exactly_the_locks() is False  # no .venv: not the locks


def test_a_stale_lock_stops_make_env_with_its_reason(tools: ToolsProject) -> None:
    """Locks that are there but were not written by `invoke lock` are stale."""
    for name in ("requirements.in", "requirements-dev.in", "requirements.txt"):
        tools.write(name, "numpy\n")
    tools.write("requirements-dev.txt", "pytest\n")
    make_env = tools.module("make_env")
    with pytest.raises(make_env.ToolError) as error:
        make_env.ensure_locks()
    assert str(error.value) == (
        "requirements-dev.txt is stale: does not pin numpy, which requirements-dev.in:1 asks "
        "for (`numpy`); run `invoke lock`, then `make env` again"
    )


def test_fresh_locks_pass_ensure_locks(tools: ToolsProject) -> None:
    lockfile = tools.module("lockfile")
    for lock_name, in_name in tools.module("project").LOCKS:
        tools.write(in_name, "numpy\n")
        lockfile.stamp(tools.write(lock_name, "numpy==2.0.0\n"), tools.root / in_name)
    tools.module("make_env").ensure_locks()
    assert lockfile.is_fresh(tools.root / "requirements.txt", tools.root / "requirements.in")


def test_pip_installs_without_bytecode_unless_imports_cannot_write_it(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_env = tools.module("make_env")
    python = str(tools.root.resolve() / ".venv" / "bin" / "python")
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check"]
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    assert make_env.pip("install") == [*pip, "--no-compile"]
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    assert make_env.pip("install") == pip
    assert make_env.pip("uninstall") == [
        python, "-m", "pip", "uninstall", "--disable-pip-version-check", "--yes"
    ]  # fmt: skip


def test_uv_installs_with_the_cached_uv_and_compiles_only_when_needed(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools.answer(lock_tool="uv")
    uv = str(cached_uv(tools))
    make_env = tools.module("make_env")
    uv_pip = [uv, "pip", "install", "--python", str(tools.root.resolve() / ".venv/bin/python")]
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    assert make_env.pip("install") == uv_pip
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    assert make_env.pip("install") == [*uv_pip, "--compile-bytecode"]


def test_pip_tools_build_makes_a_venv_then_installs_locks_then_the_project(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    make_env = tools.module("make_env")
    venv = str(tools.root.resolve() / ".venv")
    create, locks, project = make_env.build_commands(
        "/usr/bin/python3.11", make_env.project_locks("cpu")
    )
    assert create == ["/usr/bin/python3.11", "-m", "venv", venv]
    assert locks == [
        *make_env.pip("install"), "--require-hashes", "--only-binary", ":all:",
        "-r", "requirements.txt", "-r", "requirements-dev.txt",
    ]  # fmt: skip
    assert project == [
        *make_env.pip("install"), "--no-deps", "--no-build-isolation", "--no-index",
        "--editable", ".",
    ]  # fmt: skip


def test_uv_build_makes_the_venv_then_installs_locks_and_project_in_one_run(
    tools: ToolsProject,
) -> None:
    """One uv start for locks and project: hashes checked by uv (each pin has one), no deps."""
    tools.answer(lock_tool="uv")
    uv = str(cached_uv(tools))
    make_env = tools.module("make_env")
    write_locks(tools)
    create, install = make_env.build_commands("/usr/bin/python3.11", make_env.project_locks("cpu"))
    assert create == [uv, "venv", "--quiet", "--python", "/usr/bin/python3.11",
                      str(tools.root.resolve() / ".venv")]  # fmt: skip
    assert install == [
        *make_env.pip("install"), "--no-deps", "--no-build-isolation", "--only-binary", ":all:",
        "-r", "requirements.txt", "-r", "requirements-dev.txt", "--editable", ".",
    ]  # fmt: skip


def test_uv_build_refuses_a_pin_without_a_hash(tools: ToolsProject) -> None:
    """Without --require-hashes (it refuses a local project), a hashless pin is refused here."""
    tools.answer(lock_tool="uv")
    cached_uv(tools)
    make_env = tools.module("make_env")
    write_locks(tools)
    (tools.root / "requirements-dev.txt").write_text("pytest==8.0.0\n", encoding="utf-8")
    with pytest.raises(tools.module("project").ToolError) as refused:
        make_env.build_commands("/usr/bin/python3.11", make_env.project_locks("cpu"))
    assert str(refused.value) == (
        "requirements-dev.txt:1: pytest has no --hash; "
        "run `invoke lock`, which writes a hash for every pin"
    )


def test_a_hashless_pin_is_refused_before_the_old_env_moves(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """The refusal comes before the rebuild starts (nothing announced, the previous .venv
    never set aside)."""
    tools.answer(lock_tool="uv")
    cached_uv(tools)
    write_locks(tools)
    tools.write("requirements-dev.txt", "pytest==8.0.0\n")
    kept = tools.write(".venv/kept", "the previous env")
    make_env = tools.module("make_env")
    with pytest.raises(tools.module("project").ToolError, match="pytest has no --hash"):
        make_env.rebuild("--force", make_env.project_locks("cpu"))
    assert kept.read_text() == "the previous env"
    assert "building" not in capsys.readouterr().out
    assert sorted(path.name for path in tools.root.iterdir() if path.name.startswith(".venv")) == [
        ".venv"
    ]


def test_a_pytorch_gpu_build_installs_the_gpu_lock_from_its_cuda_index(
    tools: ToolsProject,
) -> None:
    """torch's CUDA 12.6 build: the GPU lock (a whole runtime lock) from PyTorch's cu126 index."""
    tools.answer(framework="pytorch", lock_tool="uv", gpu="12.6", __cuda_version="12.6")
    cached_uv(tools)
    make_env = tools.module("make_env")
    write_locks(tools, "requirements-gpu.txt", "requirements-dev.txt")
    locks = make_env.build_commands("/usr/bin/python3.11", make_env.project_locks("gpu"))[1]
    assert locks == [
        *make_env.pip("install"), "--no-deps", "--no-build-isolation", "--only-binary", ":all:",
        "--torch-backend", "cu126", "-r", "requirements-gpu.txt", "-r", "requirements-dev.txt",
        "--editable", ".",
    ]  # fmt: skip


def stamp_locks(tools: ToolsProject, *names: str) -> None:
    """A .venv whose build record names these locks, as `make env` leaves it."""
    (tools.root / ".venv").mkdir(exist_ok=True)
    record = {"lock_files": list(names)}
    (tools.root / ".venv" / tools.module("env_swap").STAMP).write_text(json.dumps(record))


def test_the_variant_is_the_flag_else_what_the_env_was_built_as(tools: ToolsProject) -> None:
    """CPU at first; `--gpu` once, and later runs keep the GPU env until `--cpu`."""
    tools.answer(gpu="13.0", __cuda_version="13.0")
    make_env = tools.module("make_env")
    assert make_env.chosen_variant(gpu=False, cpu=False) == "cpu"
    assert make_env.chosen_variant(gpu=True, cpu=False) == "gpu"
    stamp_locks(tools, "requirements.txt", "requirements-gpu.txt", "requirements-dev.txt")
    assert make_env.chosen_variant(gpu=False, cpu=False) == "gpu"
    assert make_env.chosen_variant(gpu=False, cpu=True) == "cpu"
    stamp_locks(tools, "requirements.txt", "requirements-dev.txt")
    assert make_env.chosen_variant(gpu=False, cpu=False) == "cpu"


@pytest.mark.parametrize(
    ("gpu", "platform", "message"),
    [
        ("no", "linux", "this project has no GPU variant (its gpu answer is no); run `make env`"),
        ("13.0", "darwin", "the GPU env's CUDA wheels exist for Linux only, not darwin; "),
    ],
)
def test_a_gpu_env_is_refused_where_it_cannot_be_built(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch, gpu: str, platform: str, message: str
) -> None:
    tools.answer(gpu=gpu, __cuda_version="" if gpu == "no" else gpu)
    make_env = tools.module("make_env")
    monkeypatch.setattr(make_env.sys, "platform", platform)
    with pytest.raises(make_env.ToolError) as error:
        make_env.chosen_variant(gpu=True, cpu=False)
    assert str(error.value).startswith(message)
    with pytest.raises(make_env.UsageError, match="--gpu and --cpu ask for two envs"):
        make_env.chosen_variant(gpu=True, cpu=True)


def fake_venv(tools: ToolsProject, *, version: str = "3.11.7", home: Path | None = None) -> Path:
    """`.venv` with pyvenv.cfg and an empty site-packages (no interpreter)."""
    venv = tools.root / ".venv"
    (venv / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    config = f"home = {home or tools.root}\ninclude-system-site-packages = false\n"
    (venv / "pyvenv.cfg").write_text(config + f"version = {version}\n", encoding="utf-8")
    return venv


def write_stamp(tools: ToolsProject, venv: Path, locks: list[Path]) -> None:
    """The record `make env` leaves after a sync."""
    text = tools.module("make_env").stamp_text(venv, locks)
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
    make_env = tools.module("make_env")
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /x\nversion = 3.11.7\n", "utf-8")
    (tmp_path / "uv").mkdir()
    (tmp_path / "uv" / "pyvenv.cfg").write_text("version_info = 3.12.1\nbroken line\n", "utf-8")
    assert make_env.venv_version(tmp_path / "venv") == "3.11.7"
    assert make_env.venv_config(tmp_path / "uv") == {"version_info": "3.12.1"}
    assert make_env.venv_version(tmp_path / "uv") == "3.12.1"
    assert make_env.venv_version(tmp_path / "none") is None


def test_marker_applies_for_the_env_python(tools: ToolsProject) -> None:
    """A lock marker is evaluated for the env's Python, not the one running the tool."""
    make_env = tools.module("make_env")
    marker = 'python_version < "3.12"'
    assert make_env.marker_applies("", "3.12.0") is True
    assert make_env.marker_applies(marker, "3.11.7") is True
    assert make_env.marker_applies(marker, "3.12.0") is False
    assert make_env.marker_applies('python_full_version >= "3.11.8"', "3.11.7") is False


def test_wanted_pins_keep_markers_and_hashes_and_the_first_lock(tools: ToolsProject) -> None:
    """Excluded and unpinned lines are left out; each pin keeps a line pip can install."""
    make_env = tools.module("make_env")
    runtime = tools.write(
        "requirements.txt",
        'numpy==1.26.4 ; python_version < "3.12" \\\n    --hash=sha256:aaa \\\n'
        "    --hash=sha256:bbb\n"
        'tomli==2.0.1 ; python_version < "3.11"\n'
        "loose>=1\n",
    )
    dev = tools.write("requirements-dev.txt", "numpy==2.0.0\npytest==8.3.3\n")
    pins, unknown = make_env.wanted_pins([runtime, dev], "3.11.7")
    assert unknown == set()
    assert sorted(pins) == ["numpy", "pytest"]
    assert pins["numpy"].version == "1.26.4"
    assert pins["numpy"].line == (
        'numpy==1.26.4 ; python_version < "3.12" --hash=sha256:aaa --hash=sha256:bbb'
    )
    assert pins["pytest"].line == "pytest==8.3.3"
    on_312 = make_env.wanted_pins([runtime, dev], "3.12.1")[0]
    assert {name: pin.version for name, pin in on_312.items()} == {
        "numpy": "2.0.0",
        "pytest": "8.3.3",
    }


def test_differences_install_upgrade_and_remove(tools: ToolsProject, tmp_path: Path) -> None:
    """Missing and other versions are installed; extras removed, but not seeds, the project
    or names whose marker could not be evaluated."""
    make_env, dist_files = tools.module("make_env"), tools.module("dist_files")
    dists = {
        name: dist_files.Dist(tmp_path / name, name, version)
        for name, version in [
            ("numpy", "1.25.0"), ("rich", "13.7.1"), ("stray", "0.1"), ("pip", "24.0"),
            ("my-ml-project", "0.1.0"), ("maybe", "1.0"),
        ]
    }  # fmt: skip
    versions = {"numpy": "1.26.4", "rich": "13.7.1", "pytest": "8.3.3"}
    install, remove, changes = make_env.differences(dists, versions, {"maybe"})
    assert install == ["numpy", "pytest"]
    assert remove == ["stray"]
    assert changes == ["numpy 1.25.0 -> 1.26.4", "installed pytest 8.3.3", "removed stray 0.1"]


def test_rebuild_reasons(tools: ToolsProject) -> None:
    """No env, no pyvenv.cfg, another Python, no stamp, a moved env, another lock tool."""
    make_env = tools.module("make_env")
    venv = tools.root / ".venv"
    assert make_env.rebuild_reason(venv, "3.11") == "there is none yet"
    venv.mkdir()
    assert make_env.rebuild_reason(venv, "3.11") == ".venv/pyvenv.cfg is missing or unreadable"
    (venv / "pyvenv.cfg").write_text(f"home = {tools.root}\nversion = 3.12.1\n", "utf-8")
    assert make_env.rebuild_reason(venv, "3.11") == (
        "it was built by Python 3.12.1, and .python-version says 3.11"
    )
    assert make_env.rebuild_reason(venv, "3.12") == "it has no record of a complete build"
    stamp = {"path": "/somewhere/else/.venv", "lock_tool": "pip-tools"}
    (venv / ".repro-stamp").write_text(json.dumps(stamp), encoding="utf-8")
    assert make_env.rebuild_reason(venv, "3.12") == (
        "it was built at /somewhere/else/.venv (moved or renamed; venvs cannot move)"
    )
    stamp = {"path": str(venv.resolve()), "lock_tool": "uv"}
    (venv / ".repro-stamp").write_text(json.dumps(stamp), encoding="utf-8")
    assert make_env.rebuild_reason(venv, "3.12") == (
        "it was built with uv, and this project uses pip-tools"
    )


def test_rebuild_when_the_base_interpreter_folder_is_gone(tools: ToolsProject) -> None:
    make_env = tools.module("make_env")
    venv = fake_venv(tools, home=tools.root / "gone" / "bin")
    assert make_env.rebuild_reason(venv, "3.11") == (
        f"its base interpreter's folder {tools.root / 'gone' / 'bin'} is gone"
    )


def test_stamp_text_records_the_wanted_versions(tools: ToolsProject) -> None:
    """A stamp written from the locks is read back as their versions; another lock text
    makes it not apply."""
    make_env = tools.module("make_env")
    venv = fake_venv(tools)
    tools.write("pyproject.toml", "[project]\nname = 'my-ml-project'\n")
    lock = tools.write("requirements.txt", 'numpy==1.26.4\nold==1 ; python_version < "3"\n')
    write_stamp(tools, venv, [lock])
    stamp = tools.module("env_swap").read_stamp(venv)
    assert stamp["path"] == str(venv.resolve())
    assert (stamp["python"], stamp["lock_tool"]) == ("3.11.7", "pip-tools")
    assert stamp["versions"] == {"numpy": "1.26.4"}
    assert make_env.recorded_versions(venv, [lock]) == ({"numpy": "1.26.4"}, set())
    lock.write_text("numpy==2.0.0\n", encoding="utf-8")
    assert make_env.recorded_versions(venv, [lock]) is None


def venv_with_pip(tools: ToolsProject, lock_text: str) -> tuple[Path, Path]:
    """`.venv` of this project with pip in it, and its requirements.txt holding `lock_text`."""
    venv = fake_venv(tools)
    tools.write("pyproject.toml", "[project]\nname = 'my-ml-project'\n")
    add_dist(venv, "pip", "24.0")
    return venv, tools.write("requirements.txt", lock_text)


def test_diff_of_a_synced_env_is_empty_and_a_drift_is_named(tools: ToolsProject) -> None:
    """The stamped env with exactly the locks needs nothing; a changed pin is one upgrade."""
    make_env = tools.module("make_env")
    venv, lock = venv_with_pip(tools, "numpy==1.26.4 --hash=sha256:aaa\n")
    add_dist(venv, "numpy", "1.26.4")
    add_dist(venv, "my_ml_project", "0.1.0", direct_url=tools.root.resolve().as_uri())
    write_stamp(tools, venv, [lock])
    assert make_env.diff(venv, [lock], "3.11").empty
    lock.write_text("numpy==2.0.0 --hash=sha256:bbb\n", encoding="utf-8")
    found = make_env.diff(venv, [lock], "3.11")
    assert [pin.line for pin in found.install] == ["numpy==2.0.0 --hash=sha256:bbb"]
    assert (found.remove, found.project, found.changes) == ([], "", ["numpy 1.26.4 -> 2.0.0"])


def test_diff_reinstalls_a_project_installed_from_elsewhere(tools: ToolsProject) -> None:
    make_env = tools.module("make_env")
    venv, lock = venv_with_pip(tools, "")
    add_dist(venv, "my-ml-project", "0.1.0", direct_url="file:///elsewhere")
    write_stamp(tools, venv, [lock])
    found = make_env.diff(venv, [lock], "3.11")
    assert found.project == "my-ml-project (this project) is installed from elsewhere"
    assert found.changes == [
        "reinstalled the project (my-ml-project (this project) is installed from elsewhere)"
    ]


def test_pip_tools_env_without_pip_is_rebuilt(tools: ToolsProject) -> None:
    """pip-sync needs pip inside the env: without it, only a rebuild repairs it."""
    make_env = tools.module("make_env")
    venv = fake_venv(tools)
    tools.write("pyproject.toml", "")
    lock = tools.write("requirements.txt", "")
    write_stamp(tools, venv, [lock])
    assert make_env.diff(venv, [lock], "3.11").rebuild == (
        "pip, which syncs it, was removed from it"
    )
