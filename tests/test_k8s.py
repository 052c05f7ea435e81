"""Fast tier: the Kubernetes Job of a baked cpu and gpu project, validated against the
Kubernetes API's own schemas (kubernetes-validate, offline) for the versions we state."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from kubernetes_validate import validate

from conftest import answers, bake_into, run, stamp_locks, tool

# The range the manual states: batch/v1 Jobs with ttlSecondsAfterFinished and
# seccompProfile, as every release from 1.29 on serves them.
KUBERNETES_VERSIONS = ("1.29.0", "1.33.0", "1.37.0")


@pytest.fixture(scope="module", params=["cpu", "gpu"])
def job(request: pytest.FixtureRequest, module_tmp: Callable[[str], Path]) -> tuple:
    """(project, target, the Job `k8s-job --target TARGET` printed), locks stood in for."""
    gpu = {"gpu": "13.0", "framework": "jax"} if request.param == "gpu" else {}
    project = bake_into(module_tmp("k8s"), cluster="all", **gpu)
    pairs = [
        ("requirements.txt", "requirements.in"),
        ("requirements-dev.txt", "requirements-dev.in"),
    ]
    if gpu:
        pairs.append(("requirements-gpu.txt", "requirements-gpu.in"))
    stamp_locks(project, *pairs)
    package = answers(project)["package_name"]
    code, output = tool(
        project, "k8s-job", "--target", request.param, "--", "python", "-m", package
    )
    assert code == 0, output
    return project, request.param, yaml.safe_load(output)


def pod(manifest: dict) -> dict:
    return manifest["spec"]["template"]["spec"]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_the_job_validates(job: tuple, version: str) -> None:
    """Strict: a field the API does not know fails too."""
    _, _, manifest = job
    validate(manifest, version, strict=True)


def test_the_image_is_the_lock_hash_tag(job: tuple) -> None:
    """The tag docker-build gives the image of these locks: never `latest`."""
    project, target, manifest = job
    image = pod(manifest)["containers"][0]["image"]
    python = [
        "python",
        "-c",
        f"from tools import container; print(container.lock_sha256('{target}'))",
    ]
    lock_sha = run(python, cwd=project).stdout.strip()
    assert image == f"{answers(project)['project_slug']}:{target}-{lock_sha[:12]}"


def test_non_root_read_only_and_gpus_only_for_gpu(job: tuple) -> None:
    """The image's numeric user, a read-only root with /out and /tmp writable, and an
    nvidia.com/gpu limit in the gpu Job only."""
    _, target, manifest = job
    spec = pod(manifest)
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == 10001
    container = spec["containers"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert sorted(mount["mountPath"] for mount in container["volumeMounts"]) == ["/out", "/tmp"]
    assert ("nvidia.com/gpu" in container["resources"]["limits"]) is (target == "gpu")


def test_check_env_runs_before_the_command(job: tuple) -> None:
    project, _, manifest = job
    command = pod(manifest)["containers"][0]["command"]
    script = command[2]
    assert script.index("check-env --strict") < script.index("report") < script.index('exec "$@"')
    assert command[4:] == ["python", "-m", answers(project)["package_name"]]


def test_a_stale_lock_is_refused(tmp_path: Path) -> None:
    """The Job would name an image of other locks than the files say: one line, exit 1."""
    project = bake_into(tmp_path, cluster="kubernetes")
    stamp_locks(project, ("requirements.txt", "requirements.in"))
    (project / "requirements.in").write_text("numpy>=1.26\nsix\n", encoding="utf-8")
    code, output = tool(project, "k8s-job", "--", "true")
    assert code == 1
    assert output.startswith("ERROR: requirements.txt is stale: does not pin six"), output
