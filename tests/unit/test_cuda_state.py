"""tools/cuda_state.py in-process: the CUDA an env carries, read without importing a framework.

This machine has no GPU and no NVIDIA driver: `visible_devices` is tested
against a stand-in `nvidia-smi` script on PATH that prints what the real one
prints with one GPU.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import ToolsProject

JAX_GPU_ENV = {
    "jax": "0.10.2",
    "jax-cuda13-plugin": "0.10.2",
    "jax-cuda13-pjrt": "0.10.2",
    "nvidia-cuda-runtime": "13.0.96",
    "nvidia-cudnn-cu13": "9.28.1.4",
    "numpy": "2.3.5",
}


def test_cuda_wheels_are_nvidias_libraries_the_toolkit_and_jaxs_plugins(
    tools: ToolsProject,
) -> None:
    cuda_state = tools.module("cuda_state")
    found = cuda_state.cuda_wheels({**JAX_GPU_ENV, "cuda-toolkit": "13.0.2", "torch": "2.15.0"})
    assert found == [
        "cuda-toolkit", "jax-cuda13-pjrt", "jax-cuda13-plugin", "nvidia-cuda-runtime",
        "nvidia-cudnn-cu13",
    ]  # fmt: skip
    assert cuda_state.cuda_wheels({"jax": "0.10.2", "numpy": "2.3.5", "nvidiafoo": "1"}) == []


def test_jax_cuda_is_the_plugins_runtime(tools: ToolsProject) -> None:
    cuda_state = tools.module("cuda_state")
    found = cuda_state.framework_cuda("jax", JAX_GPU_ENV)
    assert found.version == "13.0"
    assert found.source == "jax-cuda13-plugin, nvidia-cuda-runtime 13.0.96"
    no_plugin = {"jax": "0.10.2", "nvidia-cuda-runtime": "13.0.96"}
    assert cuda_state.framework_cuda("jax", no_plugin).version == ""


def test_a_cuda_12_runtime_under_jaxs_cuda_13_plugin_is_reported_as_found(
    tools: ToolsProject,
) -> None:
    """The runtime's X.Y is what is compared: 12.8 is not the locked 13.0."""
    cuda_state = tools.module("cuda_state")
    env = {"jax-cuda13-plugin": "0.10.2", "nvidia-cuda-runtime-cu12": "12.8.90"}
    found = cuda_state.framework_cuda("jax", env)
    assert (found.version, found.source) == (
        "12.8", "jax-cuda13-plugin with nvidia-cuda-runtime-cu12 12.8.90",
    )  # fmt: skip


def test_without_a_framework_the_runtime_wheel_is_the_cuda(tools: ToolsProject) -> None:
    cuda_state = tools.module("cuda_state")
    assert cuda_state.framework_cuda("none", {"nvidia-cuda-runtime-cu12": "12.4.127"}).version == (
        "12.4"
    )
    assert cuda_state.framework_cuda("none", {"numpy": "2.3.5"}).version == ""


@pytest.mark.parametrize(
    ("version_py", "expected"),
    [
        ("cuda: Optional[str] = '12.8'\n", "12.8"),
        ("__version__ = '2.15.0+cpu'\ncuda = None\n", ""),
    ],
)
def test_torch_cuda_reads_torchs_version_py_without_importing_it(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch, version_py: str, expected: str
) -> None:
    """torch/__init__.py raises here: reading the version must not run it."""
    site = tools.root / "site"
    tools.write("site/torch/__init__.py", "raise RuntimeError('imported')\n")
    tools.write("site/torch/version.py", f"from typing import Optional\n{version_py}")
    monkeypatch.syspath_prepend(str(site))
    found = tools.module("cuda_state").framework_cuda("pytorch", {})
    assert found.version == expected
    assert "torch" not in sys.modules or not str(sys.modules["torch"].__file__).startswith(
        str(site)
    )


def test_torch_cuda_without_torch(tools: ToolsProject, monkeypatch: pytest.MonkeyPatch) -> None:
    cuda_state = tools.module("cuda_state")
    monkeypatch.setattr(cuda_state.importlib.util, "find_spec", lambda name: None)
    assert cuda_state.torch_cuda() == cuda_state.FoundCuda("", "torch is not installed")


def test_cudnn_version_is_its_wheels(tools: ToolsProject) -> None:
    cuda_state = tools.module("cuda_state")
    assert cuda_state.cudnn_version(JAX_GPU_ENV) == "9.28.1.4"
    assert cuda_state.cudnn_version({"numpy": "2.3.5"}) == ""


def fake_nvidia_smi(folder: Path, output: str, code: int = 0) -> None:
    script = folder / "nvidia-smi"
    script.write_text(f"#!/bin/sh\nprintf '{output}'\nexit {code}\n", encoding="utf-8")
    script.chmod(0o755)


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in nvidia-smi is a sh script")
def test_visible_devices_are_nvidia_smis_gpus(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    cuda_state = tools.module("cuda_state")
    bin_dir = tools.root / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert cuda_state.visible_devices() == []  # no driver: no nvidia-smi
    fake_nvidia_smi(bin_dir, "GPU 0: NVIDIA A100 (UUID: GPU-1)\\n")
    assert cuda_state.visible_devices() == ["GPU 0: NVIDIA A100 (UUID: GPU-1)"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert cuda_state.visible_devices() == []
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    fake_nvidia_smi(bin_dir, "NVIDIA-SMI has failed\\n", code=9)  # a driver without a GPU
    assert cuda_state.visible_devices() == []
