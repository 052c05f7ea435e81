"""Framework projects for real, up to what this machine can reach.

JAX comes from the package index: its CPU and GPU locks are resolved, and
both envs are built with `make env` / `make env GPU=1` and checked (the GPU
env is about 4.5 GB of CUDA wheels: one project, built once, with the uv
cache kept between runs). This machine has no GPU: what needs one is the
`--expect-gpu` failure, tested as the promised line. PyTorch's CPU build
lives on PyTorch's own wheel index, which this machine cannot reach: the
lock stops there with one line (a test of that boundary), and the GPU
intent, whose CUDA 13 build is on the package index, is resolved by the
project's lock tool directly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import bake_into, check_env, install_into, project_module, run, tool, venv_python

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


@pytest.fixture(scope="module")
def jax_project(module_tmp: Callable[[str], Path]) -> Iterator[Path]:
    """A jax project with a CUDA 13.0 GPU variant, locked by its own command."""
    project = bake_into(module_tmp("jax"), framework="jax", gpu=CUDA, lock_tool="uv", docker="no")
    code, output = tool(project, "lock")
    assert code == 0, output
    yield project


def make(project: Path, *args: str) -> str:
    return run(["make", *args], cwd=project, timeout=GUARD_SECONDS).stdout


def gpu_row(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("gpu "))


def test_jax_locks_a_cpu_build_and_a_cuda_build_from_one_intent(jax_project: Path) -> None:
    project = jax_project
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


def test_jax_cpu_env_passes_check_env_and_a_cuda_wheel_fails_it(jax_project: Path) -> None:
    """The CPU env is exactly the CPU lock; a CUDA runtime installed by hand fails `gpu`,
    and `make env` takes it out again."""
    make(jax_project, "env", "CPU=1")
    clean = check_env(jax_project, "--imports")
    assert clean.returncode == 0, clean.stdout
    assert re.fullmatch(r"gpu +ok +CPU env: no CUDA wheels", gpu_row(clean.stdout))
    summary = run([str(venv_python(jax_project)), "-m", "my_ml_project"], cwd=jax_project).stdout
    assert re.search(r"\| jax \d[\d.]+ \| CUDA available: False\n", summary), summary
    assert "seeded jax example (seed 0, cpu): " in summary
    install_into(jax_project, "install", f"nvidia-cuda-runtime=={CUDA}.*")
    drifted = check_env(jax_project)
    assert drifted.returncode == 1
    assert gpu_row(drifted.stdout) == "gpu         FAIL"
    assert "  - nvidia-cuda-runtime: expected no CUDA wheel in the CPU env, found " in (
        drifted.stdout
    )
    assert "env: removed nvidia-cuda-runtime " in make(jax_project, "env")
    assert check_env(jax_project).returncode == 0


def test_jax_gpu_env_is_the_gpu_lock_and_stays_chosen(jax_project: Path) -> None:
    """`make env GPU=1` adds the GPU lock's CUDA wheels in place; check-env compares jax's
    CUDA plugin with 13.0, says no GPU is visible, and fails with `--expect-gpu`."""
    built = make(jax_project, "env", "GPU=1")
    assert "env: installed jax-cuda13-plugin " in built
    assert "env: .venv (GPU env) ready in " in built
    checked = check_env(jax_project, "--strict")
    assert checked.returncode == 0, checked.stdout
    assert re.search(r"^locked +ok +\d+ pins from requirements.txt, requirements-gpu.txt, "
                     r"requirements-dev.txt$", checked.stdout, re.M)  # fmt: skip
    assert gpu_row(checked.stdout).startswith(
        f"gpu         ok     GPU env: CUDA {CUDA} (jax-cuda13-plugin, nvidia-cuda-runtime {CUDA}."
    )
    assert gpu_row(checked.stdout).endswith("; no GPU visible")
    expected = check_env(jax_project, "--expect-gpu")
    assert expected.returncode == 1
    problems = [line for line in expected.stdout.splitlines() if line.startswith("  - ")]
    assert problems == [
        "  - no GPU visible; fix: check the driver (`nvidia-smi`), `docker run --gpus all`, "
        "and CUDA_VISIBLE_DEVICES"
    ]
    # The choice is remembered: a plain `make env` keeps the GPU env.
    assert "env: .venv (GPU env) is exactly the locks; nothing to do" in make(jax_project, "env")
    report_file = jax_project / "gpu-report.json"
    run([str(venv_python(jax_project)), "-m", "tools", "report", "--output", str(report_file)],
        cwd=jax_project)  # fmt: skip
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert (report["variant"], report["cuda"], report["devices"]) == ("gpu", CUDA, [])
    assert report["cudnn"] == pins(jax_project / "requirements-gpu.txt")["nvidia-cudnn-cu13"]
    back = make(jax_project, "env", "CPU=1")
    assert "env: removed jax-cuda13-plugin " in back and "env: .venv (CPU env) ready" in back
