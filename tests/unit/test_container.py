"""tools/container.py in-process: targets, tags and engine commands (no engine is run)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from conftest import ToolsProject

DOCKERFILE = """\
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1
COPY requirements.txt /tmp/
FROM ${BASE_IMAGE} AS cpu
ENV PATH=/opt/venv/bin:$PATH \\
    REPRO_LOCKS="requirements.txt"
COPY --from=builder /opt/venv /opt/venv
COPY src/ tools ./
FROM cpu AS cpu-debug
RUN echo inherits the cpu stage's ENV
FROM ${BASE_IMAGE} AS dev
ENV REPRO_LOCKS="requirements.txt requirements-dev.txt"
"""


def project_with_locks(tools: ToolsProject) -> None:
    """The Dockerfile above and both locks, stamped from their inputs (fresh)."""
    lockfile = tools.module("lockfile")
    tools.write("Dockerfile", DOCKERFILE)
    for lock, in_file, pins in [
        ("requirements.txt", "requirements.in", "numpy==1.26.4\n"),
        ("requirements-dev.txt", "requirements-dev.in", "pytest==8.3.3\n"),
    ]:
        tools.write(in_file, pins.replace("==", ">="))
        lockfile.stamp(tools.write(lock, pins), tools.root / in_file)


def executable(folder: Path, name: str) -> Path:
    """A stand-in executable named like an engine; it is found on PATH, never run."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\nexit 99\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def test_targets_are_the_stages_that_set_repro_locks(tools: ToolsProject) -> None:
    """A stage built FROM such a stage inherits its locks; the builder stage is no target."""
    container = tools.module("container")
    tools.write("Dockerfile", DOCKERFILE)
    assert container.targets() == {
        "cpu": ("requirements.txt",),
        "cpu-debug": ("requirements.txt",),
        "dev": ("requirements.txt", "requirements-dev.txt"),
    }
    assert container.target_locks("dev") == ("requirements.txt", "requirements-dev.txt")


def test_unknown_target_lists_the_known_ones(tools: ToolsProject) -> None:
    container, project = tools.module("container"), tools.module("project")
    tools.write("Dockerfile", DOCKERFILE)
    with pytest.raises(project.ToolError) as error:
        container.target_locks("nope")
    assert str(error.value) == (
        "unknown target 'nope'; choose one of: cpu, cpu-debug, dev "
        "(the Dockerfile stages that set REPRO_LOCKS)"
    )


def test_unknown_gpu_target_says_how_to_get_one(tools: ToolsProject) -> None:
    """A CPU-only project asked for `gpu` is told to bake with a CUDA version."""
    container, project = tools.module("container"), tools.module("project")
    tools.write("Dockerfile", DOCKERFILE)
    with pytest.raises(project.ToolError) as error:
        container.target_locks("gpu")
    assert str(error.value) == (
        "unknown target 'gpu' (this project has no gpu stage: bake it with gpu=yes or a CUDA "
        "version); choose one of: cpu, cpu-debug, dev "
        "(the Dockerfile stages that set REPRO_LOCKS)"
    )


def test_missing_dockerfile_is_a_tool_error(tools: ToolsProject) -> None:
    container, project = tools.module("container"), tools.module("project")
    with pytest.raises(project.ToolError, match=r"^Dockerfile not found; restore it"):
        container.targets()


def test_build_command_tags_the_image_with_its_lock_hash(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`<slug>:<target>` and `<slug>:<target>-<hash12>`, the hash as a label build arg,
    then $CONTAINER_BUILD_ARGS, then --args, then the context."""
    container, lockfile = tools.module("container"), tools.module("lockfile")
    project_with_locks(tools)
    monkeypatch.setenv("CONTAINER_BUILD_ARGS", "--network host")
    command = container.build_command("docker", "dev", "--build-arg 'NOTE=a b'")
    sha = lockfile.content_sha256(
        tools.root / "requirements.txt", tools.root / "requirements-dev.txt"
    )
    assert command[:8] == [
        "docker", "build", "--target", "dev",
        "--tag", "my-ml-project:dev", "--tag", f"my-ml-project:dev-{sha[:12]}",
    ]  # fmt: skip
    assert f"LOCK_SHA256={sha}" in command
    labels = [
        command[i + 1].partition("=")[0] for i, word in enumerate(command) if word == "--build-arg"
    ]
    assert labels == ["SOURCE", "REVISION", "CREATED", "LOCK_SHA256", "NOTE"]
    assert command[-5:] == ["--network", "host", "--build-arg", "NOTE=a b", str(tools.root)]


def test_a_changed_pin_changes_the_tag(tools: ToolsProject) -> None:
    """The tag hashes the locks' content: an upgrade with the same .in file retags."""
    container, lockfile = tools.module("container"), tools.module("lockfile")
    project_with_locks(tools)
    before = container.image_tags("cpu", container.lock_sha256("cpu"))
    lock = tools.root / "requirements.txt"
    lock.write_text("numpy==2.0.0\n", encoding="utf-8")
    lockfile.stamp(lock, tools.root / "requirements.in")
    after = container.image_tags("cpu", container.lock_sha256("cpu"))
    assert before[0] == after[0] == "my-ml-project:cpu"
    assert before[1] != after[1] and after[1].startswith("my-ml-project:cpu-")


def test_build_refuses_a_stale_lock(tools: ToolsProject) -> None:
    """An input changed since locking: the image would not be what the lock says."""
    container, project = tools.module("container"), tools.module("project")
    project_with_locks(tools)
    (tools.root / "requirements.in").write_text("numpy>=2\n", encoding="utf-8")
    with pytest.raises(project.ToolError) as stale:
        container.build_command("docker", "cpu")
    assert str(stale.value).startswith(
        "requirements.txt is stale: pins numpy==1.26.4, outside requirements.in:1's `numpy>=2`"
    )
    assert str(stale.value).endswith("; run `invoke lock`, then build again")


def test_build_refuses_a_missing_lock(tools: ToolsProject) -> None:
    container, project = tools.module("container"), tools.module("project")
    project_with_locks(tools)
    (tools.root / "requirements-dev.txt").unlink()
    with pytest.raises(project.ToolError) as missing:
        container.build_command("docker", "dev")
    assert str(missing.value) == "requirements-dev.txt not found; run `invoke lock` before building"


def test_run_command_passes_run_args_before_the_image(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = tools.module("container")
    monkeypatch.setenv("CONTAINER_RUN_ARGS", "-e MODE=1")
    command = container.run_command("podman", "my-ml-project:cpu", ["python", "-V"], "--gpus all")
    assert command == [
        "podman", "run", "--rm", "-e", "MODE=1", "--gpus", "all",
        "my-ml-project:cpu", "python", "-V",
    ]  # fmt: skip


def test_check_command_runs_the_strict_check_env_in_the_image(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = tools.module("container")
    monkeypatch.delenv("CONTAINER_RUN_ARGS", raising=False)
    assert container.check_command("/usr/bin/docker", "img:cpu") == [
        "/usr/bin/docker", "run", "--rm", "img:cpu",
        "python", "-m", "tools", "check-env", "--strict", "--imports",
    ]  # fmt: skip


def test_find_engine_prefers_container_engine_then_docker_then_podman(
    tools: ToolsProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, project = tools.module("container"), tools.module("project")
    bin_dir = tmp_path / "bin"
    podman = executable(bin_dir, "podman")
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("CONTAINER_ENGINE", raising=False)
    assert container.find_engine() == str(podman)
    docker = executable(bin_dir, "docker")
    assert container.find_engine() == str(docker)
    monkeypatch.setenv("CONTAINER_ENGINE", "podman")
    assert container.find_engine() == str(podman)
    monkeypatch.setenv("CONTAINER_ENGINE", "nerdctl")
    with pytest.raises(project.ToolError, match=r"^CONTAINER_ENGINE=nerdctl is not on PATH"):
        container.find_engine()


def test_no_engine_on_path_is_a_tool_error(
    tools: ToolsProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    container, project = tools.module("container"), tools.module("project")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CONTAINER_ENGINE", raising=False)
    with pytest.raises(project.ToolError) as error:
        container.find_engine()
    assert str(error.value) == (
        "no container engine on PATH (docker or podman); install one, "
        "or set CONTAINER_ENGINE to its executable"
    )


def test_dry_run_build_prints_the_command_and_runs_nothing(
    tools: ToolsProject,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--dry-run neither probes the engine nor builds: the stand-in engine would exit 99."""
    container = tools.module("container")
    project_with_locks(tools)
    docker = executable(tmp_path / "bin", "docker")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("CONTAINER_ENGINE", raising=False)
    monkeypatch.delenv("CONTAINER_BUILD_ARGS", raising=False)
    args = argparse.Namespace(target="cpu", args="", dry_run=True)
    assert container.build(args) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"+ {docker} build --target cpu --tag my-ml-project:cpu ")


def test_image_inputs_are_copy_sources_minus_dockerignore(tools: ToolsProject) -> None:
    """COPY sources from the context (not --from stages), the Dockerfile, .dockerignore,
    and each ignore pattern as a git exclude."""
    container = tools.module("container")
    tools.write("Dockerfile", DOCKERFILE)
    tools.write(".dockerignore", "# caches\n.venv/\n**/__pycache__\n")
    assert container.image_inputs() == [
        ".dockerignore", "Dockerfile", "requirements.txt", "src", "tools",
        ":(exclude,glob).venv", ":(exclude,glob)**/__pycache__",
    ]  # fmt: skip
