"""tools/lock.py in-process: --upgrade-package checks, each lock tool's command, the options."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from conftest import ToolsProject

TOOL = Path("/cache/bin/tool")


def parse(tools: ToolsProject, *argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    tools.module("lock").add_arguments(parser)
    return parser.parse_args(argv)


def write_inputs(tools: ToolsProject) -> None:
    tools.write(
        "requirements.in",
        "# the runtime\nnumpy>=1.26\nScikit_Learn  # comment\n-c constraints.txt\n-e .\n",
    )
    tools.write("requirements-dev.in", "-c requirements.txt\npytest==8.*\n")


def test_upgrades_of_names_the_in_files_list_pass(tools: ToolsProject) -> None:
    """Names compare in PEP 503 form, and a version in the argument does not matter."""
    write_inputs(tools)
    lock = tools.module("lock")
    assert lock.unknown_upgrades(["numpy", "scikit-learn", "SCIKIT.learn", "pytest==8.3"], []) == []
    lock.check_upgrades(["numpy", "pytest"])


def test_upgrades_of_other_names_are_listed_in_order(tools: ToolsProject) -> None:
    """Option lines (-c, -e) name no package; an empty argument is unknown too."""
    write_inputs(tools)
    unknown = tools.module("lock").unknown_upgrades(["scipy", "numpy", "constraints", "", "-e"], [])
    assert unknown == ["scipy", "constraints", "", "-e"]


def test_names_a_lock_pins_or_conda_gives_count_as_known(tools: ToolsProject) -> None:
    """A transitive pin of requirements.txt and an extra (conda) name may be upgraded."""
    write_inputs(tools)
    tools.write("requirements.txt", "threadpoolctl==3.5.0 \\\n    --hash=sha256:abc\n")
    lock = tools.module("lock")
    assert lock.unknown_upgrades(["threadpoolctl", "libblas", "nope"], ["LibBLAS"]) == ["nope"]


def test_an_unknown_upgrade_is_refused_with_the_fix(tools: ToolsProject) -> None:
    write_inputs(tools)
    lock = tools.module("lock")
    with pytest.raises(lock.ToolError) as error:
        lock.check_upgrades(["scipy", "numpy", "nope"])
    assert str(error.value) == (
        "--upgrade-package scipy, nope: not in requirements.txt or requirements-dev.txt; "
        "add it to requirements.in (or requirements-dev.in), then run `invoke lock`"
    )


def test_the_refusal_lists_the_image_lock_too(tools: ToolsProject) -> None:
    tools.answer(docker=True, gpu="12.4", __cuda_version="12.4")
    lock = tools.module("lock")
    with pytest.raises(lock.ToolError, match=r"not in requirements\.txt, requirements-dev\.txt "):
        lock.check_upgrades(["scipy"])
    tools.write("requirements-gpu.in", "nvidia-cudnn-cu12\n")
    lock.check_upgrades(["nvidia-cudnn-cu12"])


def test_no_in_files_makes_every_upgrade_unknown(tools: ToolsProject) -> None:
    assert tools.module("lock").unknown_upgrades(["numpy"], []) == ["numpy"]


def test_pip_compile_command(tools: ToolsProject) -> None:
    """Hashes, no index or find-links lines of this machine, quiet; upgrades at the end."""
    command = tools.module("lock").compile_command(
        TOOL, "requirements.in", "requirements.txt", True, ["numpy", "scipy"]
    )
    assert command == [
        str(TOOL), "requirements.in", "--output-file", "requirements.txt", "--generate-hashes",
        "--allow-unsafe", "--strip-extras", "--no-emit-index-url", "--no-emit-find-links",
        "--no-emit-trusted-host", "--quiet",
        "--upgrade", "--upgrade-package", "numpy", "--upgrade-package", "scipy",
    ]  # fmt: skip


def test_uv_command_is_universal_for_the_wanted_python(tools: ToolsProject) -> None:
    tools.answer(lock_tool="uv")
    tools.write(".python-version", "3.12.4\n")
    command = tools.module("lock").compile_command(
        TOOL, "requirements-dev.in", "requirements-dev.txt", False, []
    )
    assert command == [
        str(TOOL), "pip", "compile", "requirements-dev.in", "--output-file",
        "requirements-dev.txt", "--generate-hashes", "--python-version", "3.12.4",
        "--universal", "--quiet",
    ]  # fmt: skip


def test_uv_locks_an_image_lock_for_linux(tools: ToolsProject) -> None:
    tools.answer(lock_tool="uv", docker=True, gpu="12.4", __cuda_version="12.4")
    command = tools.module("lock").compile_command(
        TOOL, "requirements-gpu.in", "requirements-gpu.txt", False, ["torch"]
    )
    assert command[-5:] == ["--python-platform", "linux", "--quiet", "--upgrade-package", "torch"]
    assert "--universal" not in command


def test_a_pytorch_cpu_lock_takes_torch_from_the_cpu_index(tools: ToolsProject) -> None:
    """uv asks PyTorch's CPU index for the torch family only, and its lock says which index
    each pin came from (pip-tools, which cannot, is refused with pytorch at bake time)."""
    tools.answer(lock_tool="uv", framework="pytorch")
    command = tools.module("lock").compile_command(
        TOOL, "requirements.in", "requirements.txt", False, []
    )
    assert command[-3:] == ["--torch-backend", "cpu", "--emit-index-annotation"]
    assert "--extra-index-url" not in command


@pytest.mark.parametrize(("cuda", "backend"), [("12.8", "cu128"), ("13.0", None)])
def test_a_pytorch_gpu_lock_uses_pytorchs_index_only_for_cuda_12(
    tools: ToolsProject, cuda: str, backend: str | None
) -> None:
    """torch's CUDA 13 builds are on the package index (requirements-gpu.in pins
    cuda-toolkit); its CUDA 12 builds only on PyTorch's cu12X index."""
    tools.answer(lock_tool="uv", framework="pytorch", docker=True, gpu=cuda, __cuda_version=cuda)
    command = tools.module("lock").compile_command(
        TOOL, "requirements-gpu.in", "requirements-gpu.txt", False, []
    )
    assert ("--torch-backend" in command) == bool(backend)
    assert backend is None or command[command.index("--torch-backend") + 1] == backend


def test_other_frameworks_lock_from_the_package_index_alone(tools: ToolsProject) -> None:
    tools.answer(lock_tool="uv", framework="jax")
    command = tools.module("lock").compile_command(
        TOOL, "requirements.in", "requirements.txt", False, []
    )
    assert "--torch-backend" not in command and "--extra-index-url" not in command
    assert "--emit-index-annotation" not in command


def test_an_unreachable_pytorch_index_is_one_line_before_resolving(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing listens on the discard port: the refusal is real and immediate."""
    tools.answer(framework="pytorch")
    lock = tools.module("lock")
    monkeypatch.setattr(lock, "PYTORCH_INDEX", "http://127.0.0.1:9/whl/")
    with pytest.raises(lock.ToolError) as refused:
        lock.refuse_unreachable_torch_index("requirements.txt")
    assert str(refused.value).startswith("cannot reach http://127.0.0.1:9/whl/cpu/torch/ (")
    assert "requirements.txt takes torch's cpu build from PyTorch's wheel index" in str(
        refused.value
    )
    assert refused.value.fix == "check the network or proxy, then run `invoke lock` again"
    lock.refuse_unreachable_torch_index("requirements-dev.txt")  # no torch index: no probe


def test_the_pinned_tool_version_comes_from_the_dev_lock(tools: ToolsProject) -> None:
    """Without requirements-dev.txt (or without the tool in it) the template's version."""
    tools.answer(lock_tool="uv", __uv_version="0.1.0")
    tools.write("requirements-dev.txt", "pytest==8.3.3\n")
    lock = tools.module("lock")
    assert lock.pinned_tool_version() == "0.1.0"
    tools.write("requirements-dev.txt", "pytest==8.3.3\nuv==0.5.2 \\\n    --hash=sha256:00\n")
    assert lock.pinned_tool_version() == "0.5.2"


def test_options_default_to_no_upgrade(tools: ToolsProject) -> None:
    args = parse(tools)
    assert args.upgrade is False and args.upgrade_package == []
    assert not hasattr(args, "conda")  # a venv project has no conda lock


def test_pylock_only_writes_pylock_and_locks_nothing(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--pylock-only` (the pylock-sync job's command) converts requirements.txt and never
    re-resolves: the slow tier runs it for real on a bot's bump."""
    lock = tools.module("lock")
    done: list[str] = []
    monkeypatch.setattr(lock, "write_pylock", lambda: done.append("pylock"))
    monkeypatch.setattr(lock, "lock", lambda *args: done.append("lock"))
    assert parse(tools).pylock_only is False
    assert lock.run(parse(tools, "--pylock-only")) == 0
    assert done == ["pylock"]


def test_uv_converts_without_resolving_again(tools: ToolsProject) -> None:
    """Every platform's wheels, from the pins alone (`--no-deps`), for the project's Python."""
    command = tools.module("lock").pylock_command(Path("uv"))
    assert command == [
        "uv", "pip", "compile", "requirements.txt", "--no-deps", "--universal",
        "--output-file", "pylock.toml", "--python-version", "3.11", "--quiet",
    ]  # fmt: skip


def test_pytorch_takes_the_torch_family_from_its_cpu_index(tools: ToolsProject) -> None:
    """Only uv's torch backend, never an extra index for every package."""
    tools.answer(framework="pytorch", lock_tool="uv")
    command = tools.module("lock").pylock_command(Path("uv"))
    assert command[-2:] == ["--torch-backend", "cpu"]
    assert "--extra-index-url" not in command


def test_upgrade_package_repeats(tools: ToolsProject) -> None:
    args = parse(tools, "--upgrade", "--upgrade-package", "a", "--upgrade-package", "b")
    assert args.upgrade is True and args.upgrade_package == ["a", "b"]


def test_a_conda_project_also_locks_conda_unless_told_not_to(tools: ToolsProject) -> None:
    tools.answer(env_manager="conda")
    assert parse(tools).conda is True
    assert parse(tools, "--no-conda").conda is False


def test_a_resolution_failure_says_which_in_file_to_fix(tools: ToolsProject) -> None:
    """Resolver (and Python) failures point at the .in file; others keep their own message."""
    lock = tools.module("lock")
    steps = tools.module("steps")
    resolution = steps.StepFailed("locking requirements.in failed: no versions", "resolution")
    assert str(lock.failure(resolution, "requirements.in")) == (
        "locking requirements.in failed: no versions; read the resolver message above, "
        "fix requirements.in, then run `invoke lock` again"
    )
    network = steps.StepFailed("locking requirements.in failed: cannot reach x", "network")
    assert lock.failure(network, "requirements.in") is network


def test_install_args_are_hash_checked_wheels_from_torchs_index(tools: ToolsProject) -> None:
    """One command line for make env, nox and the in-place sync: the sync's own file of the
    pins that differ replaces the locks, the torch index stays the first lock's."""
    tools.answer(framework="pytorch", lock_tool="uv")
    lock = tools.module("lock")
    locks = ("requirements.txt", "requirements-dev.txt")
    assert lock.install_args(locks) == [
        "--require-hashes", "--only-binary", ":all:", "--torch-backend", "cpu",
        "-r", "requirements.txt", "-r", "requirements-dev.txt",
    ]  # fmt: skip
    assert lock.install_args(locks, ["/tmp/sync.txt"])[-2:] == ["-r", "/tmp/sync.txt"]
    assert lock.install_args(["requirements-dev.txt"]) == [
        "--require-hashes", "--only-binary", ":all:", "-r", "requirements-dev.txt",
    ]  # fmt: skip
