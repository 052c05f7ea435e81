"""tools/env_state.py in-process: what check-env's checks share, on small inputs.

The CUDA an env carries is read without importing a framework. This machine has no GPU and no
NVIDIA driver: `visible_devices` is tested against a stand-in `nvidia-smi` script on PATH that
prints what the real one prints with one GPU.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import ToolsProject


def test_problem_reads_as_one_line_with_its_fix(tools: ToolsProject) -> None:
    """`<subject>: expected <x>, found <y>; fix: <how>`."""
    problem = tools.module("results").Problem(
        "numpy", "1.26.4 (requirements.txt)", "1.25.0", "run it"
    )
    assert str(problem) == "numpy: expected 1.26.4 (requirements.txt), found 1.25.0; fix: run it"


def test_installed_versions_are_canonical_and_the_first_copy_wins(
    tools: ToolsProject, tmp_path: Path
) -> None:
    """Names are PEP 503 normalised; of two copies the first on the path counts."""
    env_state, dist_files = tools.module("env_state"), tools.module("dist_files")
    dists = [
        dist_files.Dist(tmp_path / "a", "Foo_Bar", "2.0"),
        dist_files.Dist(tmp_path / "b", "foo.bar", "1.0"),
        dist_files.Dist(tmp_path / "c", "Rich", "13.7.1"),
        dist_files.Dist(tmp_path / "d", "", "9"),
    ]
    assert env_state.installed_versions(dists) == {"foo-bar": "2.0", "rich": "13.7.1"}


def test_belongs_to_project_inside_root_or_declared(
    tools: ToolsProject, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An env inside the project belongs to it; another one only when $REPRO_PROJECT_ENV
    names it."""
    env_state = tools.module("env_state")
    outside = tmp_path_factory.mktemp("elsewhere") / "env"
    outside.mkdir()
    monkeypatch.delenv("REPRO_PROJECT_ENV", raising=False)
    assert env_state.belongs_to_project(tools.root / ".venv")
    assert not env_state.belongs_to_project(outside)
    monkeypatch.setenv("REPRO_PROJECT_ENV", str(outside))
    assert env_state.belongs_to_project(outside)


def test_foreign_env_is_a_warning_naming_the_prefix(tools: ToolsProject, tmp_path: Path) -> None:
    env_state = tools.module("env_state")
    result = env_state.foreign_env(tmp_path)
    assert (result.name, result.status) == ("isolated", "warn")
    (problem,) = result.problems
    assert problem.subject == str(tmp_path)
    assert problem.found == "another project's environment"


def test_marker_applies_evaluates_markers_and_extras(tools: ToolsProject) -> None:
    """No marker applies; a marker is evaluated for this interpreter, with `extra`."""
    env_state = tools.module("env_state")
    assert env_state.marker_applies("") is True
    assert env_state.marker_applies('python_version >= "3"') is True
    assert env_state.marker_applies('python_version < "3"') is False
    assert env_state.marker_applies('extra == "ui"', extra="ui") is True
    assert env_state.marker_applies('extra == "ui"') is False


def test_requirement_met_compares_with_the_installed_version(tools: ToolsProject) -> None:
    """(normalised requirement, installed version, satisfied); None when its marker
    excludes it here."""
    env_state = tools.module("env_state")
    installed = {"numpy": "1.25.0", "rich": "13.7.1"}
    assert env_state.requirement_met("numpy >= 1.26", installed) == ("numpy>=1.26", "1.25.0", False)
    assert env_state.requirement_met("Rich>=13", installed) == ("Rich>=13", "13.7.1", True)
    assert env_state.requirement_met("absent-pkg", installed) == ("absent-pkg", None, False)
    assert env_state.requirement_met('numpy ; python_version < "3"', installed) is None


def test_packaging_memo_keeps_answers_for_the_same_interpreter(
    tools: ToolsProject, tmp_path: Path
) -> None:
    """Saved answers are read back by a new memo; a file of another interpreter is ignored."""
    env_state = tools.module("env_state")
    path = tmp_path / "cache.json"
    memo = env_state.PackagingMemo(path)
    assert memo.marker('python_version < "3"', "") is False
    assert memo.requirement("Numpy_X>=1") == ["numpy-x", "Numpy_X>=1", True]
    memo.save()
    again = env_state.PackagingMemo(path)
    assert again.markers == {'python_version < "3"\0': False}
    assert again.requirements == {"Numpy_X>=1": ["numpy-x", "Numpy_X>=1", True]}
    assert not again.changed
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "identity": "another python"}), encoding="utf-8")
    assert env_state.PackagingMemo(path).markers == {}


def test_packaging_memo_save_without_changes_writes_nothing(
    tools: ToolsProject, tmp_path: Path
) -> None:
    env_state = tools.module("env_state")
    path = tmp_path / "cache.json"
    env_state.PackagingMemo(path).save()
    assert not path.exists()


def test_context_pins_follow_markers_and_the_first_lock(
    tools: ToolsProject, tmp_path: Path
) -> None:
    """Only exact pins whose marker holds here; a name pinned in two locks keeps the first."""
    env_state = tools.module("env_state")
    runtime = tools.write(
        "requirements.txt",
        "numpy==1.26.4 \\\n    --hash=sha256:aaa\n"
        'old-only==1.0 ; python_version < "3"\n'
        "unpinned>=2\n",
    )
    dev = tools.write("requirements-dev.txt", "NumPy==2.0.0\npytest==8.3.3  # via -r x\n")
    ctx = env_state.Context([runtime, dev], strict=False)
    assert ctx.pins == {
        "numpy": ("1.26.4", "requirements.txt"),
        "pytest": ("8.3.3", "requirements-dev.txt"),
    }


def test_default_locks_are_the_pip_locks_or_the_dev_lock_in_conda(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without $REPRO_LOCKS: both pip locks in a venv, only the dev lock in a conda env."""
    env_state = tools.module("env_state")
    monkeypatch.delenv("REPRO_LOCKS", raising=False)
    root = tools.root
    assert env_state.default_locks(False) == [
        root / "requirements.txt",
        root / "requirements-dev.txt",
    ]
    assert env_state.default_locks(True) == [root / "requirements-dev.txt"]


def test_default_locks_follow_repro_locks(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An image's $REPRO_LOCKS (space-separated) wins, in a venv and in conda alike."""
    env_state = tools.module("env_state")
    monkeypatch.setenv("REPRO_LOCKS", " requirements.txt  requirements-gpu.txt ")
    expected = [tools.root / "requirements.txt", tools.root / "requirements-gpu.txt"]
    assert env_state.default_locks(False) == expected
    assert env_state.default_locks(True) == expected
    monkeypatch.setenv("REPRO_LOCKS", "   ")
    assert len(env_state.default_locks(False)) == 2


def test_default_locks_of_an_env_built_as_the_gpu_env(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make env GPU=1` left its locks in the env's stamp: check-env checks against those."""
    tools.answer(gpu="13.0", __cuda_version="13.0")
    env_state = tools.module("env_state")
    monkeypatch.delenv("REPRO_LOCKS", raising=False)
    prefix = tools.root / ".venv"
    prefix.mkdir()
    names = ["requirements.txt", "requirements-gpu.txt", "requirements-dev.txt"]
    (prefix / tools.module("env_swap").STAMP).write_text(json.dumps({"lock_files": names}))
    monkeypatch.setattr(env_state.sys, "prefix", str(prefix))
    assert env_state.default_locks(False) == [tools.root / name for name in names]


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
    env_state = tools.module("env_state")
    found = env_state.cuda_wheels({**JAX_GPU_ENV, "cuda-toolkit": "13.0.2", "torch": "2.15.0"})
    assert found == [
        "cuda-toolkit", "jax-cuda13-pjrt", "jax-cuda13-plugin", "nvidia-cuda-runtime",
        "nvidia-cudnn-cu13",
    ]  # fmt: skip
    assert env_state.cuda_wheels({"jax": "0.10.2", "numpy": "2.3.5", "nvidiafoo": "1"}) == []


def test_jax_cuda_is_the_plugins_runtime(tools: ToolsProject) -> None:
    env_state = tools.module("env_state")
    found = env_state.framework_cuda("jax", JAX_GPU_ENV)
    assert found.version == "13.0"
    assert found.source == "jax-cuda13-plugin, nvidia-cuda-runtime 13.0.96"
    no_plugin = {"jax": "0.10.2", "nvidia-cuda-runtime": "13.0.96"}
    assert env_state.framework_cuda("jax", no_plugin).version == ""


def test_a_cuda_12_runtime_under_jaxs_cuda_13_plugin_is_reported_as_found(
    tools: ToolsProject,
) -> None:
    """The runtime's X.Y is what is compared: 12.8 is not the locked 13.0."""
    env_state = tools.module("env_state")
    env = {"jax-cuda13-plugin": "0.10.2", "nvidia-cuda-runtime-cu12": "12.8.90"}
    found = env_state.framework_cuda("jax", env)
    assert (found.version, found.source) == (
        "12.8", "jax-cuda13-plugin with nvidia-cuda-runtime-cu12 12.8.90",
    )  # fmt: skip


def test_without_a_framework_the_runtime_wheel_is_the_cuda(tools: ToolsProject) -> None:
    env_state = tools.module("env_state")
    assert env_state.framework_cuda("none", {"nvidia-cuda-runtime-cu12": "12.4.127"}).version == (
        "12.4"
    )
    assert env_state.framework_cuda("none", {"numpy": "2.3.5"}).version == ""


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
    found = tools.module("env_state").framework_cuda("pytorch", {})
    assert found.version == expected
    assert "torch" not in sys.modules or not str(sys.modules["torch"].__file__).startswith(
        str(site)
    )


def test_torch_cuda_without_torch(tools: ToolsProject, monkeypatch: pytest.MonkeyPatch) -> None:
    env_state = tools.module("env_state")
    monkeypatch.setattr(env_state.importlib.util, "find_spec", lambda name: None)
    assert env_state.torch_cuda() == env_state.FoundCuda("", "torch is not installed")


def test_cudnn_version_is_its_wheels(tools: ToolsProject) -> None:
    env_state = tools.module("env_state")
    assert env_state.cudnn_version(JAX_GPU_ENV) == "9.28.1.4"
    assert env_state.cudnn_version({"numpy": "2.3.5"}) == ""


def fake_nvidia_smi(folder: Path, output: str, code: int = 0) -> None:
    script = folder / "nvidia-smi"
    script.write_text(f"#!/bin/sh\nprintf '{output}'\nexit {code}\n", encoding="utf-8")
    script.chmod(0o755)


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in nvidia-smi is a sh script")
def test_visible_devices_are_nvidia_smis_gpus(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_state = tools.module("env_state")
    bin_dir = tools.root / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert env_state.visible_devices() == []  # no driver: no nvidia-smi
    fake_nvidia_smi(bin_dir, "GPU 0: NVIDIA A100 (UUID: GPU-1)\\n")
    assert env_state.visible_devices() == ["GPU 0: NVIDIA A100 (UUID: GPU-1)"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert env_state.visible_devices() == []
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    fake_nvidia_smi(bin_dir, "NVIDIA-SMI has failed\\n", code=9)  # a driver without a GPU
    assert env_state.visible_devices() == []
