"""Real image builds of baked projects, through the project's own invoke tasks.

Run when a container engine answers (`.ci/run` starts one); otherwise
skipped with the reason, or failed when REPRO_REQUIRE_CONTAINER is set
(`.ci/run` sets it: there the engine must answer). Extra engine arguments reach the engine through
CONTAINER_BUILD_ARGS / CONTAINER_RUN_ARGS, as they would for a user
(`--network host` by default: the engines of these CI machines have no bridge).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from conftest import CHECK_ENV, append, bake_into, run

pytestmark = [pytest.mark.slow, pytest.mark.container]

STAND_IN_BASE = "python:3.11-slim"  # made locally by shared/ci/container-engine-up.sh
# Files the default .dockerignore keeps out, planted before the build.
IGNORED = (
    ".env",
    "src/{package}/.env",
    "src/{package}/__pycache__/planted.pyc",
    "key.pem",
    ".venv.previous/bin/python",
    ".conda-env/bin/python",
    ".conda-env.previous/bin/python",
    "archives/image-probe-0/wheels/planted.whl",
    "runs/slurm-1/output.log",
)


def _engine() -> str:
    for name in filter(None, (os.environ.get("CONTAINER_ENGINE"), "docker", "podman")):
        path = shutil.which(name)
        if path:
            probe = subprocess.run([path, "info"], capture_output=True, timeout=60, check=False)
            if probe.returncode == 0:
                return path
    reason = (
        "no container engine answers (docker/podman `info` failed or none on PATH); "
        'start one, e.g. `eval "$(../shared/ci/container-engine-up.sh)"`'
    )
    if os.environ.get("REPRO_REQUIRE_CONTAINER"):
        pytest.fail(f"REPRO_REQUIRE_CONTAINER is set but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def engine() -> str:
    return _engine()


def engine_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "CONTAINER_BUILD_ARGS": os.environ.get("CONTAINER_BUILD_ARGS", "--network host"),
        "CONTAINER_RUN_ARGS": os.environ.get("CONTAINER_RUN_ARGS", "--network host"),
        **extra,
    }


def engine_run(
    engine: str, image: str, *command: str, args: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """`<engine> run --rm` of the image, as a user would type it (exit code not checked)."""
    run_args = shlex.split(engine_env()["CONTAINER_RUN_ARGS"])
    return run(
        [engine, "run", "--rm", *run_args, *args, image, *command], cwd=Path.cwd(), check=False
    )


def invoke(project: Path, *args: str, check: bool = True, **env: str):
    return run(["invoke", *args], cwd=project, check=check, env=engine_env(**env))


def lock(project: Path) -> None:
    """Lock with the project's own command (it writes the GPU lock too when there is one)."""
    run(["make", "lock"], cwd=project)
    if (project / "requirements-gpu.in").exists():
        assert (project / "requirements-gpu.txt").exists()


def lock_content_sha256(project: Path, *locks: str) -> str:
    """The baked project's own hash of its locks' content (what tags and labels use)."""
    code = (
        "import sys; from pathlib import Path; from tools import lockfile; "
        "print(lockfile.content_sha256(*map(Path, sys.argv[1:])))"
    )
    return run([sys.executable, "-c", code, *locks], cwd=project).stdout.strip()


def image_label(engine: str, project: Path, image: str, label: str) -> str:
    fmt = '{{index .Config.Labels "' + label + '"}}'
    return run([engine, "image", "inspect", "--format", fmt, image], cwd=project).stdout.strip()


def git(project: Path, *args: str) -> str:
    # The commit identity comes from conftest's GIT_AUTHOR_* / GIT_COMMITTER_* variables.
    return run(["git", *args], cwd=project).stdout.strip()


def remove_images(engine: str, slug: str) -> None:
    listed = run([engine, "images", "--format", "{{.Repository}}:{{.Tag}}", slug], cwd=Path.cwd())
    tags = listed.stdout.split()
    if tags:
        run([engine, "rmi", "--force", *tags], cwd=Path.cwd(), check=False)


@pytest.fixture(scope="module")
def cpu_project(engine: str, module_tmp: Callable[[str], Path]) -> Iterator[Path]:
    """A default bake (own slug, so parallel runs do not share tags), locked, cpu image built."""
    project = bake_into(
        module_tmp("image"),
        project_name="Image Probe",
        lock_tool="uv",
        cluster="kubernetes",
    )
    lock(project)
    for name in IGNORED:
        planted = project / name.format(package="image_probe")
        planted.parent.mkdir(parents=True, exist_ok=True)
        planted.write_text("must not reach the image\n", encoding="utf-8")
    invoke(project, "docker-build", "--target", "cpu")
    yield project
    remove_images(engine, "image-probe")


def test_cpu_image_has_both_tags_and_labels(engine: str, cpu_project: Path) -> None:
    """The build tags <slug>:cpu and <slug>:cpu-<lock content hash 12> and labels that hash.

    The content hash of requirements.txt, not the input hash its header records:
    a re-lock that changes pins with an unchanged requirements.in must change the tag.
    """
    recorded = (cpu_project / "requirements.txt").read_text(encoding="utf-8").split()[2]
    content = lock_content_sha256(cpu_project, "requirements.txt")
    assert content != recorded
    for tag in ("image-probe:cpu", f"image-probe:cpu-{content[:12]}"):
        run([engine, "image", "inspect", tag], cwd=cpu_project)
    labels = run(
        [engine, "image", "inspect", "--format", "{{json .Config.Labels}}", "image-probe:cpu"],
        cwd=cpu_project,
    ).stdout
    assert f'"io.repro.lock-sha256":"{content}"' in labels
    assert re.search(r'"org.opencontainers.image.revision":"[0-9a-f]{40}', labels), labels
    assert re.search(r'"org.opencontainers.image.created":"\d{4}-\d\d-\d\dT', labels), labels


def test_docker_check_passes_in_the_built_image(cpu_project: Path) -> None:
    """docker-check runs the full check-env (--strict --imports) in the image, and it passes."""
    result = invoke(cpu_project, "docker-check")
    assert "image-probe:cpu python -m tools check-env --strict --imports\n" in result.stdout
    assert "result: ok" in result.stdout
    assert "isolated    ok" in result.stdout, "the image declares /opt/venv as the project env"
    assert re.search(r"^imports +ok +\d+ modules import", result.stdout, re.M), result.stdout


def assert_compiled(engine: str, image: str) -> None:
    """As many .pyc as .py files in the image's venv, /app/src and /app/tools."""
    count = (
        "for root in /opt/venv /app/src /app/tools; do "
        "echo $root $(find $root -name '*.py' | wc -l) $(find $root -name '*.pyc' | wc -l); done"
    )
    counted = engine_run(engine, image, "sh", "-c", count)
    lines = counted.stdout.splitlines()
    assert len(lines) == 3, counted.stdout + counted.stderr
    for line in lines:
        _, sources, compiled = line.split()
        assert int(sources) > 0 and compiled == sources, counted.stdout


def test_plain_check_env_passes_in_the_image(engine: str, cpu_project: Path) -> None:
    """`python -m tools check-env --strict`, with no lock named, checks the image's own lock."""
    result = engine_run(engine, "image-probe:cpu", "python", *CHECK_ENV, "--strict")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^locked +ok +\d+ pins from requirements.txt$", result.stdout, re.M)
    assert "result: ok" in result.stdout


def test_image_carries_its_sbom_and_only_locked_packages(engine: str, cpu_project: Path) -> None:
    """/app/sbom.cdx.json (named by a label) is byte for byte the host's `python -m tools sbom`
    of the same lock; the venv holds the lock's packages and no pip of its own."""
    inside = engine_run(engine, "image-probe:cpu", "cat", "/app/sbom.cdx.json")
    assert inside.returncode == 0, inside.stderr
    host = run([sys.executable, "-m", "tools", "sbom", "--output", "-"], cwd=cpu_project)
    assert inside.stdout == host.stdout
    label = image_label(engine, cpu_project, "image-probe:cpu", "io.repro.sbom")
    assert label == "/app/sbom.cdx.json"
    listed = (
        "import json, re, importlib.metadata as m; print(json.dumps(sorted("
        "re.sub(r'[-_.]+', '-', d.name).lower() for d in m.distributions())))"
    )
    installed = engine_run(engine, "image-probe:cpu", "python", "-c", listed)
    assert installed.returncode == 0, installed.stderr
    pins = re.findall(r"^([a-z0-9-]+)==", (cpu_project / "requirements.txt").read_text(), re.M)
    assert json.loads(installed.stdout) == sorted(set(pins)), "no pip, nothing unlocked"
    components = {c["name"] for c in json.loads(inside.stdout)["components"]}
    assert components == set(pins)


def test_image_carries_the_bytecode_it_runs(engine: str, cpu_project: Path) -> None:
    """Every .py in the venv and under /app has bytecode, which imports use on a read-only
    root; with it removed, the same probe sees modules compiled from source."""
    assert_compiled(engine, "image-probe:cpu")
    # `python -v` says "<pyc> matches <py>" for bytecode it loads, and "code object
    # from <py>" for a module it had to compile from source.
    probe = "python -v -c 'import numpy, rich.console, image_probe' 2>&1"
    loaded = engine_run(engine, "image-probe:cpu", "sh", "-c", probe, args=("--read-only",))
    matches = re.findall(r"^# (\S+\.pyc) matches (/\S+\.py)$", loaded.stdout, re.M)
    assert len(matches) > 100, loaded.stdout[-2000:]
    assert "/app/src/image_probe/__pycache__/__init__.cpython-311.pyc" in dict(matches)
    assert not re.findall(r"^# code object from /\S+\.py$", loaded.stdout, re.M)
    removed = f"find /app/src -name __pycache__ -prune -exec rm -r {{}} + && {probe}"
    recompiled = engine_run(engine, "image-probe:cpu", "sh", "-c", removed, args=("--user", "root"))
    assert re.findall(
        r"^# code object from /app/src/image_probe/__init__\.py$", recompiled.stdout, re.M
    ), recompiled.stdout[-2000:]


def test_container_runs_as_non_root(cpu_project: Path) -> None:
    """The image's user is the numeric, non-root UID 10001."""
    result = invoke(cpu_project, "docker-run", "--command", "id -u")
    assert result.stdout.strip().splitlines()[-1] == "10001"


def test_package_runs_in_the_image(cpu_project: Path) -> None:
    """`python -m <package>` (the image's default command) runs in the image's venv."""
    result = invoke(cpu_project, "docker-run")
    assert "image_probe: Python 3.11" in result.stdout and "venv /opt/venv" in result.stdout
    assert "seeded numpy example (seed 0, cpu):" in result.stdout
    explicit = invoke(cpu_project, "docker-run", "--command", "python -m image_probe")
    assert "seeded numpy example" in explicit.stdout


def test_report_inside_the_image_names_it(cpu_project: Path) -> None:
    """`python -m tools report` in the image records the image and the hash of its lock."""
    content = lock_content_sha256(cpu_project, "requirements.txt")
    command = "python -m tools report --output /tmp/env-report.json && cat /tmp/env-report.json"
    result = invoke(cpu_project, "docker-run", "--command", f"sh -c '{command}'")
    assert f'"image": "image-probe:cpu lock-sha256={content}"' in result.stdout


def test_the_k8s_job_runs_as_its_manifest_says(
    engine: str, cpu_project: Path, tmp_path: Path
) -> None:
    """No cluster here: the engine runs the Job's container with the manifest's own image,
    command, user, read-only root and volumes. check-env passes, the report lands in /out,
    then the command runs."""
    job = tmp_path / "job.yaml"
    invoke(cpu_project, "k8s-job", f"--output={job}", "--command", "python -m image_probe")
    container = yaml.safe_load(job.read_text(encoding="utf-8"))["spec"]["template"]["spec"]
    (container,) = container["containers"]
    out = tmp_path / "out"
    out.mkdir(mode=0o777)
    out.chmod(0o777)  # the Job's user (10001) writes there, as into an emptyDir
    args = ("--read-only", "--user", "10001:10001", "--cap-drop", "ALL", "--tmpfs", "/tmp")
    args += ("--security-opt", "no-new-privileges", "--volume", f"{out}:/out")
    args += ("--workdir", container["workingDir"], "--env", "REPRO_RUN_DIR=/out")
    result = engine_run(engine, container["image"], *container["command"], args=args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "result: ok" in result.stdout and "seeded numpy example" in result.stdout
    report = json.loads((out / "env-report.json").read_text(encoding="utf-8"))
    assert report["image"].startswith("image-probe:cpu lock-sha256=")


def test_the_archive_carries_the_image_and_it_loads(engine: str, cpu_project: Path) -> None:
    """`invoke archive` saves the image of its locks; `docker load` brings it back, tag and
    all, and docker-check passes in it."""
    run(["make", "env"], cwd=cpu_project)
    tag = f"image-probe:cpu-{lock_content_sha256(cpu_project, 'requirements.txt')[:12]}"
    folder = cpu_project / "archives" / "with-image"
    done = invoke(cpu_project, "archive", "--output", str(folder))
    assert f"saved image {tag} as image-cpu.tar" in done.stdout
    assert "docker load --input image-cpu.tar" in (folder / "REBUILD.md").read_text("utf-8")
    run([engine, "rmi", tag], cwd=cpu_project)
    run([engine, "load", "--input", str(folder / "image-cpu.tar")], cwd=cpu_project)
    checked = invoke(cpu_project, "docker-check", "--image", tag)
    assert "result: ok" in checked.stdout
    shutil.rmtree(folder)


def test_the_manuals_sif_recipe_passes_check_env(cpu_project: Path, tmp_path: Path) -> None:
    """The Apptainer recipe of docs/environment.md: the image as a SIF, check-env inside it."""
    apptainer = shutil.which("apptainer") or shutil.which("singularity")
    if apptainer is None:
        pytest.skip(
            "Apptainer/Singularity is not installed, and Debian 12 packages neither: the SIF "
            "recipe is tested where one is (the Slurm tests check the job script's REPRO_SIF path)"
        )
    sif = tmp_path / "image-probe.sif"
    run([apptainer, "build", str(sif), "docker-daemon://image-probe:cpu"], cwd=cpu_project)
    command = [apptainer, "exec", str(sif), "python", "-m", "tools", "check-env", "--strict"]
    assert "result: ok" in run(command, cwd=cpu_project).stdout


def test_dockerignored_files_are_absent(engine: str, cpu_project: Path, tmp_path: Path) -> None:
    """Planted secrets, caches and environments stay out of the image and the build context."""
    listing = invoke(cpu_project, "docker-run", "--command", "find /app").stdout.splitlines()
    assert "/app/src/image_probe/__main__.py" in listing
    for name in IGNORED:
        assert f"/app/{name.format(package='image_probe')}" not in listing, name
    assert not [path for path in listing if path.endswith(".env")]
    # Bytecode under /app is only the image's own, compiled from a source it holds.
    compiled = [path for path in listing if path.endswith(".pyc")]
    assert compiled
    for path in compiled:
        folder, name = path.split("/__pycache__/")
        assert f"{folder}/{name.split('.')[0]}.py" in listing, path
    # The image copies named folders only; what the engine receives is the whole
    # context minus .dockerignore: copy all of it into a probe image and list it.
    probe = tmp_path / "context.Dockerfile"
    probe.write_text(f"FROM {STAND_IN_BASE}\nCOPY . /context/\n", encoding="utf-8")
    tag = "image-probe:context"
    build = [engine, "build", "--network", "host", "--file", str(probe), "--tag", tag]
    run([*build, str(cpu_project)], cwd=cpu_project)
    context = run(
        [engine, "run", "--rm", "--network", "host", tag, "find", "/context"], cwd=cpu_project
    ).stdout.splitlines()
    assert "/context/src/image_probe/__main__.py" in context
    for name in IGNORED:
        assert f"/context/{name.format(package='image_probe')}" not in context, name
    for folder in (".git", ".venv.previous", ".conda-env", ".conda-env.previous"):
        assert f"/context/{folder}" not in context, folder


def test_revision_label_marks_uncommitted_image_files(engine: str, cpu_project: Path) -> None:
    """The revision label is HEAD when the image's files are committed, HEAD-dirty when a
    file that goes into the image is untracked or modified; ignored files do not count."""
    revision = "org.opencontainers.image.revision"
    git(cpu_project, "add", "--all")
    git(cpu_project, "commit", "--quiet", "--no-verify", "-m", "lock")
    head = git(cpu_project, "rev-parse", "HEAD")
    # Untracked, but not in the image: outside the copied folders, or .dockerignored.
    outside = [cpu_project / "notes.txt", cpu_project / "src" / "image_probe" / "local.key"]
    for path in outside:
        path.write_text("scratch\n", encoding="utf-8")
    invoke(cpu_project, "docker-build", "--target", "cpu")
    assert image_label(engine, cpu_project, "image-probe:cpu", revision) == head
    new = cpu_project / "src" / "image_probe" / "untracked.py"
    new.write_text("UNTRACKED = True\n", encoding="utf-8")
    try:
        invoke(cpu_project, "docker-build", "--target", "cpu")
        assert image_label(engine, cpu_project, "image-probe:cpu", revision) == f"{head}-dirty"
    finally:
        new.unlink()
    append(cpu_project / "pyproject.toml", "# edited\n")  # tracked, copied into the image
    try:
        invoke(cpu_project, "docker-build", "--target", "cpu")
        assert image_label(engine, cpu_project, "image-probe:cpu", revision) == f"{head}-dirty"
    finally:
        git(cpu_project, "checkout", "--", "pyproject.toml")
        for path in outside:
            path.unlink()


def test_source_change_reuses_dependency_layers(cpu_project: Path) -> None:
    """After a change to a source file only, the install step is CACHED and src is copied anew."""
    # A token new to every run: the engine's build cache outlives test runs, and
    # a source tree it has seen before would come back CACHED.
    token = uuid.uuid4().hex
    append(cpu_project / "src" / "image_probe" / "__init__.py", f"CHANGED = {token!r}\n")
    result = invoke(cpu_project, "docker-build", "--target", "cpu")
    output = result.stdout + result.stderr
    steps = dict(re.findall(r"^(#\d+) \[([^\]]+)\]", output, flags=re.MULTILINE))
    step_lines = re.findall(r"^(#\d+) \[[^\]]+\] (.*)$", output, re.M)
    install = [
        step
        for step, line in step_lines
        if "install --require-hashes" in line or "--python /opt/venv/bin/python install" in line
    ]
    copy_src = [step for step, line in step_lines if line.startswith("COPY src/")]
    assert install and copy_src, output
    assert f"{install[0]} CACHED" in output, f"the install step ({steps}) was redone:\n{output}"
    assert f"{copy_src[0]} CACHED" not in output
    check = invoke(
        cpu_project,
        "docker-run",
        "--command",
        "python -c 'import image_probe as p; print(p.CHANGED)'",
    )
    assert check.stdout.strip().endswith(token)


@pytest.fixture(scope="module")
def drifted(engine: str, cpu_project: Path, module_tmp: Callable[[str], Path]) -> tuple[str, str]:
    """A derived image with another mdurl than the lock's: (the tag, 'expected ..., found ...')."""
    pins = dict(
        re.findall(r"^([a-z0-9-]+)==(\S+)", (cpu_project / "requirements.txt").read_text(), re.M)
    )
    version = "0.1.1" if pins["mdurl"] != "0.1.1" else "0.1.2"
    context = module_tmp("drifted")
    (context / "Dockerfile").write_text(
        "FROM image-probe:cpu\nUSER root\n"
        # The venv has no pip: the base image's installs into it, as the Dockerfile says.
        "RUN PATH=/usr/local/bin:/usr/bin:/bin python3 -m pip --python /opt/venv/bin/python "
        f"install --no-cache-dir --no-deps mdurl=={version}\nUSER 10001\n",
        encoding="utf-8",
    )
    tag = "image-probe:drifted"
    run([engine, "build", "--network", "host", "--tag", tag, str(context)], cwd=context)
    return tag, f"mdurl: expected {pins['mdurl']} (requirements.txt), found {version}"


def test_drifted_image_fails_docker_check(cpu_project: Path, drifted: tuple[str, str]) -> None:
    """A derived image with another version of a locked package fails docker-check with exit 1."""
    image, finding = drifted
    result = invoke(cpu_project, "docker-check", "--image", image, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert finding in result.stdout
    assert f"image {image} does not match its locks" in result.stderr


def test_plain_check_env_fails_on_a_changed_package(engine: str, drifted: tuple[str, str]) -> None:
    """The plain `python -m tools check-env --strict` in that image exits 1 naming the package."""
    image, finding = drifted
    result = engine_run(engine, image, "python", *CHECK_ENV, "--strict")
    assert result.returncode == 1, result.stdout + result.stderr
    assert finding in result.stdout
    assert "result: 1 check(s) failed (locked)" in result.stdout


def test_missing_image_is_one_line(cpu_project: Path) -> None:
    """With the engine answering, checking an image that was never built says how to build it."""
    result = invoke(cpu_project, "docker-check", "--image", "image-probe:never-built", check=False)
    assert result.returncode == 1
    assert "image image-probe:never-built not found; build it" in result.stderr


@pytest.fixture(scope="module")
def gpu_project(engine: str, module_tmp: Callable[[str], Path]) -> Iterator[Path]:
    project = bake_into(
        module_tmp("gpu-image"),
        project_name="Gpu Probe",
        lock_tool="uv",
        gpu="12.4",
    )
    lock(project)
    yield project
    remove_images(engine, "gpu-probe")


def test_gpu_stage_builds_on_a_stand_in_base(engine: str, gpu_project: Path) -> None:
    """With GPU_BASE_IMAGE overridden, the gpu stage assembles and passes docker-check, the
    plain check-env in it checks both of its locks, and its code is compiled."""
    build_args = f"--network host --build-arg GPU_BASE_IMAGE={STAND_IN_BASE}"
    invoke(gpu_project, "docker-build", "--target", "gpu", CONTAINER_BUILD_ARGS=build_args)
    content = lock_content_sha256(gpu_project, "requirements.txt", "requirements-gpu.txt")
    run([engine, "image", "inspect", f"gpu-probe:gpu-{content[:12]}"], cwd=gpu_project)
    label = image_label(engine, gpu_project, "gpu-probe:gpu", "io.repro.lock-sha256")
    assert label == content
    check = invoke(gpu_project, "docker-check", "--target", "gpu")
    assert "gpu-probe:gpu python -m tools check-env --strict --imports\n" in check.stdout
    assert "result: ok" in check.stdout
    plain = engine_run(engine, "gpu-probe:gpu", "python", *CHECK_ENV, "--strict")
    assert plain.returncode == 0, plain.stdout + plain.stderr
    pins = r"^locked +ok +\d+ pins from requirements.txt, requirements-gpu.txt$"
    assert re.search(pins, plain.stdout, re.M), plain.stdout
    assert_compiled(engine, "gpu-probe:gpu")
    env = invoke(gpu_project, "docker-run", "--target", "gpu", "--command", "env").stdout
    assert (
        "NVIDIA_VISIBLE_DEVICES=all" in env and "NVIDIA_DRIVER_CAPABILITIES=compute,utility" in env
    )
    assert "NVIDIA_REQUIRE_CUDA=cuda>=12.4" in env


def test_gpu_base_with_another_python_is_refused(gpu_project: Path) -> None:
    """A base whose Python is not the project's stops the build with the reason."""
    build_args = (
        f"--network host --build-arg GPU_BASE_IMAGE={STAND_IN_BASE} --build-arg PYTHON_VERSION=3.12"
    )
    result = invoke(
        gpu_project, "docker-build", "--target", "gpu", check=False, CONTAINER_BUILD_ARGS=build_args
    )
    assert result.returncode == 1
    assert (
        "the project needs 3.12: choose a matching GPU_BASE_IMAGE" in result.stdout + result.stderr
    )
    assert "ERROR: the gpu image did not build" in result.stderr


def image_size(engine: str, image: str) -> int:
    """The image's size in bytes, as the engine reports it."""
    size = run([engine, "image", "inspect", "--format", "{{.Size}}", image], cwd=Path.cwd())
    return int(size.stdout.strip())


@pytest.fixture(scope="module")
def jax_images(engine: str, module_tmp: Callable[[str], Path]) -> Iterator[Path]:
    """A jax project with a CUDA 13.0 variant, its cpu and gpu images built (the gpu one on
    the stand-in base: NVIDIA's images cannot be pulled here, and the CUDA comes as wheels)."""
    project = bake_into(
        module_tmp("jax-image"), project_name="Jax Probe", lock_tool="uv",
        framework="jax", gpu="13.0",
    )  # fmt: skip
    lock(project)
    invoke(project, "docker-build", "--target", "cpu")
    build_args = f"--network host --build-arg GPU_BASE_IMAGE={STAND_IN_BASE}"
    invoke(project, "docker-build", "--target", "gpu", CONTAINER_BUILD_ARGS=build_args)
    yield project
    remove_images(engine, "jax-probe")


def test_jax_images_pass_docker_check_and_the_gpu_one_says_it_saw_no_gpu(
    jax_images: Path,
) -> None:
    cpu = invoke(jax_images, "docker-check", "--target", "cpu")
    assert re.search(r"^gpu +ok +CPU env: no CUDA wheels$", cpu.stdout, re.M), cpu.stdout
    gpu = invoke(jax_images, "docker-check", "--target", "gpu")
    assert "result: ok" in gpu.stdout
    row = r"^gpu +ok +GPU env: CUDA 13\.0 \(jax-cuda13-plugin, nvidia-cuda-runtime 13\.0\.\d+\)"
    assert re.search(row + "; no GPU visible$", gpu.stdout, re.M), gpu.stdout


def test_jax_cpu_image_is_at_most_a_quarter_of_the_gpu_image(engine: str, jax_images: Path) -> None:
    cpu, gpu = image_size(engine, "jax-probe:cpu"), image_size(engine, "jax-probe:gpu")
    print(f"jax images: cpu {cpu / 1e6:.0f} MB, gpu {gpu / 1e6:.0f} MB ({gpu / cpu:.1f}x)")
    assert cpu * 4 <= gpu, f"cpu image {cpu / 1e6:.0f} MB, gpu image {gpu / 1e6:.0f} MB"
