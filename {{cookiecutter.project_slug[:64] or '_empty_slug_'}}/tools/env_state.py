"""What check-env and report read of the running env: installed dists, pins, packaging's
answers, the CUDA it carries and the GPUs this machine shows. Stdlib only: `packaging` (or pip's
vendored copy) is used where importable; the framework is never imported (torch takes seconds).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from . import dist_files, lockfile
from .project import DEV_LOCK, DISTRIBUTION, ENV_MANAGER, GPU, LOCKS, ROOT, env_locks, variant_of
from .results import Problem, Result

TYPE_CHECKING = False  # what `typing` says at run time, without its import time
if TYPE_CHECKING:
    from .conda_meta import CondaState

REBUILD = (
    "run `make env` (it repairs drift; `make env FORCE=1` or `invoke env --force` rebuilds;"
    " in nox: `nox -s check_env`)"
)
FORCE_REBUILD = "rebuild the env: `make env FORCE=1` (`invoke env --force`)"
# Installers seed these into new envs; they only count when a lock names them.
SEEDS = {"pip", "setuptools", "wheel"}


def default_locks(in_conda: bool) -> list[Path]:
    """$REPRO_LOCKS (an image names the locks it installed), else the env's usual locks."""
    declared = os.environ.get("REPRO_LOCKS", "").split()
    if declared:
        return [ROOT / name for name in declared]
    if in_conda:  # its runtime comes from conda-lock.yml, only the dev tools from a pip lock
        return [DEV_LOCK]
    if GPU:  # the GPU locks when `make env GPU=1` built this env (its stamp names them)
        from .env_swap import stamped_locks

        if variant_of(stamped_locks(Path(sys.prefix))) == "gpu":
            return [ROOT / name for name in env_locks("gpu")]
    return [ROOT / lock for lock, _ in LOCKS]


def in_conda_env(prefix: Path) -> bool:
    """conda_meta.is_conda_prefix, without its import (a venv project ships no conda_meta)."""
    return ENV_MANAGER == "conda" and (prefix / "conda-meta").is_dir()


def belongs_to_project(prefix: Path) -> bool:
    """Inside the project folder (.venv, .nox/<session>), or the env an image declares."""
    declared = os.environ.get("REPRO_PROJECT_ENV")
    resolved = prefix.resolve()
    if declared and resolved == Path(declared).resolve():
        return True
    return resolved.is_relative_to(ROOT.resolve())


def foreign_env(prefix: Path) -> Result:
    """Another project's env: its packages may still match, but it is not this project's."""
    expected = "this project's env (.venv, .conda-env, .nox/*, or $REPRO_PROJECT_ENV in an image)"
    fix = "deactivate it and run `invoke check-env` in this project"
    problem = Problem(str(prefix), expected, "another project's environment", fix)
    return Result("isolated", "warn", problems=[problem])


def installed_versions(dists: Iterable[dist_files.Dist]) -> dict[str, str]:
    """canonical name -> version of the first copy on sys.path (the one imported)."""
    return {name: dist.version for name, dist in dist_files.by_name(dists).items() if name}


@dataclass
class Context:
    locks: list[Path]
    strict: bool
    conda: CondaState | None = None  # set when running in a conda env
    expect_gpu: bool = False
    # Read once: scanning site-packages is most of check-env's own time.
    dists: list[dist_files.Dist] = field(init=False)
    installed: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.dists = dist_files.installed()
        self.installed = installed_versions(self.dists)

    @property
    def variant(self) -> str:
        return variant_of([lock.name for lock in self.locks])

    @cached_property
    def locked_dists(self) -> list[dist_files.Dist]:
        """The installed copy (the first on sys.path) of each locked distribution."""
        own = lockfile.canonical(DISTRIBUTION)
        found = dist_files.by_name(self.dists).items()
        return [dist for name, dist in found if name in self.pins and name != own]

    @cached_property
    def pins(self) -> dict[str, tuple[str, str]]:
        """canonical name -> (version, lock file) for every entry that applies here."""
        conda_names = self.conda.python_names if self.conda else set()  # checked there
        pins: dict[str, tuple[str, str]] = {}
        for lock in self.locks:
            for entry in lockfile.read_lock(lock):
                if entry.pinned_version and entry.name not in conda_names:
                    if marker_applies(entry.marker):
                        pins.setdefault(entry.name, (entry.pinned_version, lock.name))
        for package in self.conda.locked if self.conda else []:
            if package.manager == "pip":
                name = lockfile.canonical(package.name)
                pins.setdefault(name, (package.version, self.conda.lock.name))
        return pins


@cache
def packaging_module():  # -> the `packaging` module, pip's vendored copy, or None
    for module in ("packaging", "pip._vendor.packaging"):
        try:
            importlib.import_module(f"{module}.requirements")
            return importlib.import_module(module)
        except ImportError:
            continue
    return None


class PackagingMemo:
    """packaging's answers for this interpreter (the key), kept in the env between runs:
    importing it takes longer than the rest of check-env. A read-only env asks each time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.identity = f"{sys.version}|{sys.platform}|{platform.machine()}"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        if not isinstance(data, dict) or data.get("identity") != self.identity:
            data = {}
        self.markers: dict[str, bool] = data.get("markers", {})
        self.requirements: dict[str, list] = data.get("requirements", {})
        self.satisfied: dict[str, bool] = data.get("satisfied", {})
        self.changed = False
        self.unavailable = False  # a text was new and no `packaging` could read it

    def _answer(self, table: dict, key: str, ask):
        """table[key], from `ask(packaging)` the first time; None without `packaging`."""
        if key not in table:
            packaging = packaging_module()
            if packaging is None:
                self.unavailable = True
                return None
            table[key], self.changed = ask(packaging), True
        return table[key]

    def marker(self, marker: str, extra: str) -> bool | None:
        def ask(packaging) -> bool:
            return packaging.markers.Marker(marker).evaluate({"extra": extra})

        return self._answer(self.markers, f"{marker}\0{extra}", ask)

    def requirement(self, text: str) -> list | None:
        """[canonical name, normalised text, applies here] of a requirement."""

        def ask(packaging) -> list:
            requirement = packaging.requirements.Requirement(text)
            applies = not requirement.marker or requirement.marker.evaluate({"extra": ""})
            return [lockfile.canonical(requirement.name), str(requirement), applies]

        return self._answer(self.requirements, text, ask)

    def contains(self, text: str, version: str) -> bool | None:
        def ask(packaging) -> bool:
            specifier = packaging.requirements.Requirement(text).specifier
            return specifier.contains(version, prereleases=True)

        return self._answer(self.satisfied, f"{text}\0{version}", ask)

    def save(self) -> None:
        if not self.changed:
            return
        data = {"identity": self.identity, "markers": self.markers,
                "requirements": self.requirements, "satisfied": self.satisfied}  # fmt: skip
        partial = self.path.with_name(self.path.name + ".partial")
        try:
            partial.write_text(json.dumps(data), encoding="utf-8")
            os.replace(partial, self.path)
        except OSError:
            pass  # a read-only env: the next run asks packaging again


@cache
def memo() -> PackagingMemo:
    return PackagingMemo(Path(sys.prefix) / ".repro-check-cache.json")


def marker_applies(marker: str, extra: str = "") -> bool:
    applies = memo().marker(marker, extra) if marker else True
    return True if applies is None else applies  # without an evaluator, assume it applies


def requirement_met(text: str, installed: dict[str, str]) -> tuple[str, str | None, bool] | None:
    """(requirement, installed version, satisfied) for a requirement that applies here,
    None for one whose marker excludes it (or when no `packaging` can read it)."""
    parsed = memo().requirement(text)
    if parsed is None or not parsed[2]:
        return None
    name, normalised, _ = parsed
    found = installed.get(name)
    return normalised, found, found is not None and memo().contains(text, found)


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
        if not assigned:
            return FoundCuda("", f"{version_py} names no cuda")
        value = ast.literal_eval(assigned.group(1).strip())
    except (OSError, SyntaxError, ValueError):
        return FoundCuda("", f"{version_py} is unreadable")
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
