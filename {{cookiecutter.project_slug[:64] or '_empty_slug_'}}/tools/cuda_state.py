"""The CUDA an env carries and the GPUs this machine shows, for check-env and report.

Stdlib only; the framework is never imported (torch takes seconds): CUDA is read from
torch's version.py, or from the CUDA runtime wheel jax's plugin and the GPU lock pin.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Distributions that bring CUDA: NVIDIA's libraries as wheels (and NVML's
# bindings), the toolkit metapackage torch's CUDA 13 builds pin, jax's plugins.
CUDA_WHEEL = re.compile(r"nvidia-.+|cuda-toolkit|jax-cuda\d+-(plugin|pjrt)")
RUNTIME_WHEELS = ("nvidia-cuda-runtime", "nvidia-cuda-runtime-cu12")
CUDNN_WHEELS = ("nvidia-cudnn-cu13", "nvidia-cudnn-cu12")
JAX_PLUGIN = re.compile(r"jax-cuda(\d+)-plugin")


@dataclass(frozen=True)
class FoundCuda:
    version: str  # X.Y, or "" when the env carries no CUDA
    source: str  # where it was read, for the message


def cuda_wheels(installed: dict[str, str]) -> list[str]:
    return sorted(name for name in installed if CUDA_WHEEL.fullmatch(name))


def torch_cuda() -> FoundCuda:
    """torch.version.cuda, read from torch/version.py without importing torch."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.origin:
        return FoundCuda("", "torch is not installed")
    version_py = Path(spec.origin).parent / "version.py"
    try:  # `cuda = None`, or `cuda: Optional[str] = '12.8'`
        text = version_py.read_text(encoding="utf-8")
        assigned = re.search(r"^cuda\s*(?::[^=\n]*)?=(.*)$", text, re.MULTILINE)
        value = ast.literal_eval(assigned.group(1).strip()) if assigned else None
    except (OSError, SyntaxError, ValueError):
        return FoundCuda("", f"{version_py} is unreadable")
    if not assigned:
        return FoundCuda("", f"{version_py} names no cuda")
    return FoundCuda(value or "", f"torch.version.cuda = {value!r}")


def framework_cuda(framework: str, installed: dict[str, str]) -> FoundCuda:
    """The CUDA X.Y the env's framework was built for (the runtime wheel's without one)."""
    if framework == "pytorch":
        return torch_cuda()
    name = next((name for name in RUNTIME_WHEELS if name in installed), "")
    version = installed.get(name, "")
    source = f"{name} {version}" if name else "no CUDA runtime wheel"
    runtime = FoundCuda(".".join(version.split(".")[:2]), source)
    if framework != "jax":
        return runtime
    plugins = [name for name in installed if JAX_PLUGIN.fullmatch(name)]
    if not plugins:
        return FoundCuda("", "no jax CUDA plugin (jax-cudaNN-plugin)")
    major = JAX_PLUGIN.fullmatch(plugins[0]).group(1)
    joined = "," if runtime.version.split(".")[0] == major else " with"
    return FoundCuda(runtime.version, f"{plugins[0]}{joined} {runtime.source}")


def cudnn_version(installed: dict[str, str]) -> str:
    return next((installed[name] for name in CUDNN_WHEELS if name in installed), "")


def nvidia_smi(*args: str) -> list[str]:
    """nvidia-smi's output lines, [] where there is no driver (or it fails: no GPU)."""
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        probe = subprocess.run(["nvidia-smi", *args], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return probe.stdout.strip().splitlines() if probe.returncode == 0 else []


def visible_devices() -> list[str]:
    """The GPUs the driver shows (`nvidia-smi -L`), [] where there is no driver or GPU."""
    # CUDA_VISIBLE_DEVICES hides GPUs from CUDA programs, not from nvidia-smi.
    if os.environ.get("CUDA_VISIBLE_DEVICES") in ("", "-1"):
        return []
    return [line.strip() for line in nvidia_smi("-L") if line.startswith("GPU ")]


def driver_version() -> str | None:
    """The NVIDIA driver version when nvidia-smi answers, else None (no GPU here)."""
    lines = nvidia_smi("--query-gpu=driver_version", "--format=csv,noheader")
    return lines[0] if lines else None
