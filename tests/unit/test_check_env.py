"""tools/check_env.py in-process: the table, the default locks, the checks and options."""

from __future__ import annotations

import argparse
import platform
import sys
from types import SimpleNamespace

import pytest

from conftest import ToolsProject


def parser_for(tools: ToolsProject) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="check-env")
    tools.module("check_env").add_arguments(parser)
    return parser


def test_render_table_lists_results_problems_and_the_failed_checks(tools: ToolsProject) -> None:
    """One row per check, a `  - ` line per problem, and the failed checks named last."""
    check_env = tools.module("check_env")
    problem = tools.module("results").Problem(
        "numpy", "1.26.4 (requirements.txt)", "1.25.0", "run `make env`"
    )
    results = [
        tools.module("results").Result("python", detail="3.11.7 matches .python-version (3.11)"),
        tools.module("results").Result("locked", "FAIL", "2 pins from requirements.txt", [problem]),
        tools.module("results").Result("extras", "warn"),
        tools.module("results").Result("fresh", "FAIL"),
    ]
    lines = check_env.render_table(results).splitlines()
    assert lines == [
        f"check-env: {sys.prefix} (Python {platform.python_version()})",
        "CHECK       RESULT DETAIL",
        "python      ok     3.11.7 matches .python-version (3.11)",
        "locked      FAIL   2 pins from requirements.txt",
        "  - numpy: expected 1.26.4 (requirements.txt), found 1.25.0; fix: run `make env`",
        "extras      warn",
        "fresh       FAIL",
        "result: 2 check(s) failed (locked, fresh)",
    ]


def test_render_table_all_ok(tools: ToolsProject) -> None:
    check_env = tools.module("check_env")
    table = check_env.render_table(
        [tools.module("results").Result("python"), tools.module("results").Result("extras", "warn")]
    )
    assert table.splitlines()[-1] == "result: ok"


def test_checks_table_order_and_opt_in_checks(tools: ToolsProject) -> None:
    """The checks in the order they run; `imports` and `files` need their flags."""
    check_env = tools.module("check_env")
    assert list(check_env.CHECKS) == [
        "isolated", "python", "locked", "extras", "consistent", "fresh", "gpu", "imports", "files",
    ]  # fmt: skip
    assert check_env.CHECKS["files"] is check_env.check_files
    assert check_env.OPT_IN == {"imports": "imports", "files": "deep"}


def test_add_arguments_defaults_and_selection(tools: ToolsProject) -> None:
    """Defaults select the seven default checks; --deep adds `files`; --only narrows."""
    check_env = tools.module("check_env")
    parser = parser_for(tools)
    args = parser.parse_args([])
    assert (args.json, args.strict, args.imports, args.deep, args.only, args.lock) == (
        False, False, False, False, None, None,
    )  # fmt: skip
    assert args.expect_gpu is False
    assert check_env.selected(args) == [
        "isolated", "python", "locked", "extras", "consistent", "fresh", "gpu",
    ]  # fmt: skip
    assert check_env.selected(parser.parse_args(["--deep"]))[-1] == "files"
    narrowed = parser.parse_args(["--only", "fresh", "--only", "python", "--imports"])
    assert check_env.selected(narrowed) == ["python", "fresh", "imports"]
    locks = parser.parse_args(["--lock", "a.txt", "--lock", "b.txt"]).lock
    assert [str(lock) for lock in locks] == ["a.txt", "b.txt"]


def test_only_refuses_an_unknown_check(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        parser_for(tools).parse_args(["--only", "nope"])
    assert exit_.value.code == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err


def test_check_python_against_python_version(tools: ToolsProject) -> None:
    """The running Python matches its own X.Y; another X.Y fails with the rebuild fix."""
    check_env = tools.module("check_env")
    running = platform.python_version()
    minor = ".".join(running.split(".")[:2])
    tools.write(".python-version", f"{minor}\n")
    result = check_env.check_python(None)
    assert (result.status, result.detail) == ("ok", f"{running} matches .python-version ({minor})")
    tools.write(".python-version", "3.9\n")
    failed = check_env.check_python(None)
    assert failed.status == "FAIL"
    assert str(failed.problems[0]) == (
        f"Python: expected 3.9 (.python-version), found {running}; fix: rebuild the env with "
        "Python 3.9: `make env FORCE=1` (`invoke env --force`)"
    )


def test_stale_lock_names_what_changed(tools: ToolsProject) -> None:
    """A pin outside the input's range is a problem naming both; within it, the lock is fresh."""
    check_env = tools.module("check_env")
    in_file = tools.write("requirements.in", "numpy>=1.26\n")
    lock = tools.write("requirements.txt", "numpy==1.25.0\n")
    problem = check_env.stale_lock(lock, in_file, "run `invoke lock`")
    assert problem.subject == "requirements.txt"
    assert problem.found == "pins numpy==1.25.0, outside requirements.in:1's `numpy>=1.26`"
    lock.write_text("numpy==1.26.4\n", encoding="utf-8")
    assert check_env.stale_lock(lock, in_file, "run `invoke lock`") is None


def test_missing_lock_file_is_a_tool_error(tools: ToolsProject) -> None:
    """A --lock that does not exist is one error naming it, before any check runs."""
    check_env, project = tools.module("check_env"), tools.module("project")
    args = parser_for(tools).parse_args(["--lock", str(tools.root / "absent.txt")])
    with pytest.raises(project.ToolError) as error:
        check_env.make_context(args, tools.root / ".venv", False)
    assert str(error.value) == (
        f"lock file {tools.root / 'absent.txt'} not found; run `invoke lock`"
    )


def gpu_context(
    installed: dict[str, str], variant: str, expect_gpu: bool = False
) -> SimpleNamespace:
    """What check_gpu reads of a Context: the installed versions, the variant, the flag."""
    return SimpleNamespace(conda=None, installed=installed, variant=variant, expect_gpu=expect_gpu)


def test_a_cpu_env_with_a_cuda_wheel_fails_gpu(tools: ToolsProject) -> None:
    tools.answer(gpu="13.0", __cuda_version="13.0", framework="jax")
    check_env = tools.module("check_env")
    clean = check_env.check_gpu(gpu_context({"jax": "0.10.2"}, "cpu"))
    assert (clean.status, clean.detail) == ("ok", "CPU env: no CUDA wheels")
    drifted = check_env.check_gpu(gpu_context({"nvidia-cuda-runtime": "13.0.96"}, "cpu"))
    assert drifted.status == "FAIL"
    assert [str(problem) for problem in drifted.problems] == [
        "nvidia-cuda-runtime: expected no CUDA wheel in the CPU env, found nvidia-cuda-runtime "
        "13.0.96; fix: run `make env` (it removes what no lock names); for the GPU env, "
        "`make env GPU=1`"
    ]


def test_expect_gpu_in_the_cpu_env_says_how_to_build_the_gpu_env(tools: ToolsProject) -> None:
    tools.answer(gpu="13.0", __cuda_version="13.0")
    result = tools.module("check_env").check_gpu(gpu_context({}, "cpu", expect_gpu=True))
    assert result.status == "FAIL"
    assert str(result.problems[0]) == (
        "GPU: expected a GPU env, found the CPU env (requirements.txt); "
        "fix: build the GPU env: `make env GPU=1`"
    )


def test_a_gpu_env_compares_its_frameworks_cuda_with_the_locked_one(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools.answer(gpu="13.0", __cuda_version="13.0", framework="jax")
    check_env = tools.module("check_env")
    monkeypatch.setattr(check_env.env_state, "visible_devices", lambda: [])
    env = {"jax-cuda13-plugin": "0.10.2", "nvidia-cuda-runtime": "13.0.96"}
    ok = check_env.check_gpu(gpu_context(env, "gpu"))
    assert (ok.status, ok.detail) == (
        "ok",
        "GPU env: CUDA 13.0 (jax-cuda13-plugin, nvidia-cuda-runtime 13.0.96); no GPU visible",
    )
    other = {"jax-cuda13-plugin": "0.10.2", "nvidia-cuda-runtime": "13.2.51"}
    wrong = check_env.check_gpu(gpu_context(other, "gpu"))
    assert wrong.status == "FAIL"
    assert str(wrong.problems[0]).startswith(
        "CUDA: expected 13.0 (the gpu answer), found 13.2; fix: run `make env`"
    )


def test_expect_gpu_fails_with_one_line_when_no_gpu_is_visible(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools.answer(gpu="13.0", __cuda_version="13.0")
    check_env = tools.module("check_env")
    env = {"nvidia-cuda-runtime": "13.0.96"}
    monkeypatch.setattr(check_env.env_state, "visible_devices", lambda: [])
    missing = check_env.check_gpu(gpu_context(env, "gpu", expect_gpu=True))
    assert [str(problem) for problem in missing.problems] == [
        "no GPU visible; fix: check the driver (`nvidia-smi`), `docker run --gpus all`, "
        "and CUDA_VISIBLE_DEVICES"
    ]
    monkeypatch.setattr(check_env.env_state, "visible_devices", lambda: ["GPU 0: NVIDIA L4"])
    seen = check_env.check_gpu(gpu_context(env, "gpu", expect_gpu=True))
    assert seen.status == "ok" and seen.detail.endswith("; 1 GPU(s): GPU 0: NVIDIA L4")
