"""`invoke lock` of framework projects, for real, up to what this machine can reach.

JAX comes from the package index: its CPU lock and GPU lock are resolved.
PyTorch's CPU build lives on PyTorch's own wheel index, which this machine
cannot reach: the lock stops there with one line (a test of that boundary),
and the GPU intent, whose CUDA 13 build is on the package index, is resolved
by the project's lock tool directly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import bake_into, project_module, run, tool

pytestmark = pytest.mark.slow

CUDA = "13.0"
GUARD_SECONDS = 600  # a guard against a hang, not a speed requirement


def pins(lock: Path) -> dict[str, str]:
    """name -> version, read by the project's own lock reader (the first line, where
    markers split one package into several)."""
    found: dict[str, str] = {}
    for entry in project_module(lock.parent, "lockfile").read_lock(lock):
        found.setdefault(entry.name, entry.pinned_version)
    return found


def test_jax_locks_a_cpu_build_and_a_cuda_build_from_one_intent(tmp_path: Path) -> None:
    project = bake_into(tmp_path, framework="jax", gpu=CUDA, lock_tool="uv")
    code, output = tool(project, "lock")
    assert code == 0, output
    cpu, gpu = pins(project / "requirements.txt"), pins(project / "requirements-gpu.txt")
    assert {"jax", "jaxlib"} <= set(cpu)
    assert [name for name in cpu if name.startswith(("nvidia-", "triton"))] == []
    # The GPU lock adds the CUDA plugin and libraries, and keeps the CPU lock's jax.
    assert gpu["jax"] == cpu["jax"] and gpu["jaxlib"] == cpu["jaxlib"]
    assert "jax-cuda13-plugin" in gpu
    assert gpu["nvidia-cuda-runtime"].startswith(CUDA + ".")


def test_pytorch_cpu_lock_stops_at_pytorchs_unreachable_index(tmp_path: Path) -> None:
    """The exact index the CPU lock asks for torch, named in one line, before any resolve."""
    project = bake_into(tmp_path, framework="pytorch", lock_tool="uv")
    code, output = tool(project, "lock")
    errors = [line for line in output.splitlines() if line.startswith("ERROR: ")]
    if code == 0:
        pytest.skip("PyTorch's wheel index answered here: the boundary test needs it unreachable")
    assert code == 1 and len(errors) == 1, output
    assert errors[0].startswith("ERROR: cannot reach https://download.pytorch.org/whl/cpu/torch/")
    assert errors[0].endswith("check the network or proxy, then run `invoke lock` again")
    assert not (project / "requirements.txt").exists()


def test_pytorch_gpu_intent_resolves_to_the_cuda_build_it_names(tmp_path: Path) -> None:
    """requirements-gpu.in's cuda-toolkit pin selects torch's CUDA 13.0 build on the index."""
    project = bake_into(tmp_path, framework="pytorch", gpu=CUDA, lock_tool="uv")
    command = ["uv", "pip", "compile", "requirements-gpu.in", "--output-file", "gpu.txt"]
    command += ["--python-version", "3.11", "--python-platform", "linux", "--quiet"]
    run(command, cwd=project, timeout=GUARD_SECONDS)
    gpu = pins(project / "gpu.txt")
    assert "torch" in gpu and gpu["cuda-toolkit"].startswith(CUDA + ".")
    assert gpu["nvidia-cuda-runtime"].startswith(CUDA + ".")
