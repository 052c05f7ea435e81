"""tools/env_swap.py in-process: stamps, the swap of an env, recovery, the env lock.

The envs are plain folders under the project root: the swap only renames them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ToolsProject


def make_env(root: Path, name: str, marker: str) -> Path:
    """A folder standing in for an env, with a file saying which one it is."""
    env = root / name
    env.mkdir(parents=True, exist_ok=True)
    (env / "which").write_text(marker, encoding="utf-8")
    return env


def which(env: Path) -> str:
    return (env / "which").read_text(encoding="utf-8")


def test_a_written_stamp_is_read_back(tools: ToolsProject) -> None:
    """Only the exact text counts, and no partial file is left behind."""
    env_swap = tools.module("env_swap")
    env = make_env(tools.root, ".venv", "new")
    assert not env_swap.has_stamp(env, "abc")
    env_swap.write_stamp(env, "abc")
    assert env_swap.has_stamp(env, "abc")
    assert not env_swap.has_stamp(env, "abd")
    env_swap.write_stamp(env, "xyz")
    assert env_swap.has_stamp(env, "xyz") and not env_swap.has_stamp(env, "abc")
    assert sorted(path.name for path in env.iterdir()) == [".repro-stamp", "which"]


def test_read_stamp_is_empty_for_a_missing_or_unreadable_record(tools: ToolsProject) -> None:
    env_swap = tools.module("env_swap")
    env = make_env(tools.root, ".venv", "new")
    assert env_swap.read_stamp(env) == {} and env_swap.stamped_locks(env) == []
    (env / ".repro-stamp").write_text("{not json", encoding="utf-8")
    assert env_swap.read_stamp(env) == {}
    (env / ".repro-stamp").write_text("[1, 2]", encoding="utf-8")
    assert env_swap.read_stamp(env) == {}
    (env / ".repro-stamp").write_text('{"lock_files": ["requirements.txt", 3]}', encoding="utf-8")
    assert env_swap.stamped_locks(env) == ["requirements.txt"]


def test_inputs_stamp_follows_content_and_salt_not_line_endings(tools: ToolsProject) -> None:
    env_swap = tools.module("env_swap")
    lock = tools.write("requirements.txt", "a==1\nb==2\n")
    first = env_swap.inputs_stamp(lock, salt="uv")
    lock.write_bytes(b"a==1\r\nb==2\r\n")
    assert env_swap.inputs_stamp(lock, salt="uv") == first
    assert env_swap.inputs_stamp(lock, salt="pip-tools") != first
    lock.write_text("a==1\nb==3\n", encoding="utf-8")
    assert env_swap.inputs_stamp(lock, salt="uv") != first


def test_recovery_without_a_previous_env_changes_nothing(tools: ToolsProject) -> None:
    env = make_env(tools.root, ".venv", "current")
    tools.module("env_swap").recover_interrupted_build(env)
    assert which(env) == "current" and not (tools.root / ".venv.previous").exists()


def test_recovery_keeps_a_complete_new_env(tools: ToolsProject) -> None:
    """A stamped env was finished: the previous one left beside it is removed."""
    env_swap = tools.module("env_swap")
    env = make_env(tools.root, ".venv", "new")
    env_swap.write_stamp(env, "done")
    make_env(tools.root, ".venv.previous", "old")
    env_swap.recover_interrupted_build(env)
    assert which(env) == "new" and not (tools.root / ".venv.previous").exists()


def test_recovery_puts_back_the_previous_env_over_a_half_built_one(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    env = make_env(tools.root, ".venv", "half")
    make_env(tools.root, ".venv.previous", "old")
    tools.module("env_swap").recover_interrupted_build(env)
    assert which(env) == "old" and not (tools.root / ".venv.previous").exists()
    assert capsys.readouterr().out == (
        "env: restoring the previous .venv left by an interrupted build\n"
    )


def test_recovery_when_the_build_had_not_made_the_env_yet(tools: ToolsProject) -> None:
    make_env(tools.root, ".venv.previous", "old")
    env = tools.root / ".venv"
    tools.module("env_swap").recover_interrupted_build(env)
    assert which(env) == "old"


def test_a_successful_swap_stamps_the_new_env_and_drops_the_old(tools: ToolsProject) -> None:
    """The stamp function runs after the build, so it can read the built env."""
    env_swap = tools.module("env_swap")
    env = make_env(tools.root, ".venv", "old")
    with env_swap.swapped_in(env, lambda: f"built from {which(env)}"):
        assert which(tools.root / ".venv.previous") == "old" and not env.exists()
        make_env(tools.root, ".venv", "new")
    assert env_swap.has_stamp(env, "built from new")
    assert not (tools.root / ".venv.previous").exists()


def test_a_failed_swap_puts_the_old_env_back(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    env_swap = tools.module("env_swap")
    env = make_env(tools.root, ".venv", "old")
    with pytest.raises(RuntimeError, match="install failed"):
        with env_swap.swapped_in(env, "stamp"):
            make_env(tools.root, ".venv", "half")
            raise RuntimeError("install failed")
    assert which(env) == "old" and not (env / ".repro-stamp").exists()
    assert not (tools.root / ".venv.previous").exists()
    assert capsys.readouterr().out == "env: build failed; the previous .venv is back in place\n"


def test_an_interrupted_first_build_leaves_no_env(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C (not an Exception) during a first build: the half env goes, nothing comes back."""
    env_swap = tools.module("env_swap")
    env = tools.root / ".venv"
    with pytest.raises(KeyboardInterrupt):
        with env_swap.swapped_in(env, "stamp"):
            make_env(tools.root, ".venv", "half")
            raise KeyboardInterrupt
    assert not env.exists()
    assert capsys.readouterr().out == ""


def test_the_env_lock_is_held_inside_and_released_after(tools: ToolsProject) -> None:
    """While one build holds .cache/env.lock, another handle cannot take it."""
    env_swap = tools.module("env_swap")
    with env_swap.env_lock("env"):
        assert env_swap.LOCK_FILE == tools.root.resolve() / ".cache" / "env.lock"
        with env_swap.LOCK_FILE.open("a+b") as other:
            assert env_swap._try_lock(other) is False
    with env_swap.LOCK_FILE.open("a+b") as other:
        assert env_swap._try_lock(other) is True
