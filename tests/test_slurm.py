"""A baked project's Slurm job on a real one-node Slurm cluster (slow tier).

The project is locked and its env built once; each test submits
`slurm/job.sbatch` through `python -m tools slurm-submit`, as `invoke
slurm-submit` does, and reads what the job left in `runs/`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import SlurmCluster, bake_into, run, venv_python

pytestmark = pytest.mark.slow

PACKAGE = "my_ml_project"


@pytest.fixture(scope="module")
def slurm_project(module_tmp: Callable[[str], Path]) -> Path:
    """A Slurm project (uv, for speed) with its locks committed and its env built."""
    project = bake_into(module_tmp("slurm"), cluster="slurm", lock_tool="uv")
    run(["invoke", "lock"], cwd=project)
    run(["git", "add", "--all"], cwd=project)
    run(["make", "env"], cwd=project)
    return project


# The one-node cluster is this machine: less than the script's defaults (2 CPUs, 4G),
# given as the options that override them.
SMALL = ("--cpus", "1", "--mem", "500M", "--time", "0:10:00")


def submit(project: Path, cluster: SlurmCluster, *argv: str, **env: str) -> str:
    """`slurm-submit ARGV` from the project's root, sized for this machine; the job id."""
    python = str(venv_python(project))
    command = [python, "-m", "tools", "slurm-submit", *SMALL, *argv]
    done = run(command, cwd=project, env={**cluster.env, **env})
    found = re.search(r"^slurm: submitted job (\d+);", done.stdout, re.M)
    assert found, done.stdout + done.stderr
    return found.group(1)


def job_log(project: Path, job: str) -> str:
    """What Slurm wrote of the job's own output (runs/slurm-<job>.out)."""
    log = project / "runs" / f"slurm-{job}.out"
    return log.read_text(encoding="utf-8") if log.exists() else f"(no {log.name})"


def test_a_job_checks_the_env_then_writes_its_report_and_output(
    slurm_project: Path, slurm_cluster: SlurmCluster
) -> None:
    """The job ends COMPLETED; its folder holds the env's report, which compares equal to
    the env here, and the command's output."""
    job = submit(slurm_project, slurm_cluster, "--", "python", "-m", PACKAGE)
    assert slurm_cluster.wait(job) == "COMPLETED", job_log(slurm_project, job)
    folder = slurm_project / "runs" / f"slurm-{job}"
    report = json.loads((folder / "env-report.json").read_text(encoding="utf-8"))
    assert "numpy" in json.dumps(report)
    assert "numpy" in (folder / "output.log").read_text(encoding="utf-8")
    log = job_log(slurm_project, job)
    assert "check-env" in log and "result: ok" in log, log
    compare = ["-m", "tools", "report", "--compare", str(folder / "env-report.json")]
    compared = run([str(venv_python(slurm_project)), *compare], cwd=slurm_project, check=False)
    assert compared.returncode == 0, compared.stdout + compared.stderr


def test_a_drifted_env_stops_the_job_before_the_command(
    slurm_project: Path, slurm_cluster: SlurmCluster
) -> None:
    """A package installed by hand fails check-env on the node: the job ends FAILED with
    check-env's message, and the command never ran."""
    python = str(venv_python(slurm_project))
    run(["uv", "pip", "install", "--quiet", "--python", python, "six==1.16.0"], cwd=slurm_project)
    try:
        job = submit(slurm_project, slurm_cluster, "--", "python", "-m", PACKAGE)
        assert slurm_cluster.wait(job) == "FAILED"
    finally:
        run(["make", "env"], cwd=slurm_project)
    log = job_log(slurm_project, job)
    assert re.search(r"six", log) and "the command did not run" in log, log
    assert not (slurm_project / "runs" / f"slurm-{job}" / "output.log").exists()


def test_an_array_job_writes_a_report_per_task(
    slurm_project: Path, slurm_cluster: SlurmCluster
) -> None:
    job = submit(slurm_project, slurm_cluster, "--array", "2", "--", "python", "-c", "print(1)")
    assert slurm_cluster.wait(job) == "COMPLETED"
    for task in ("0", "1"):
        folder = slurm_project / "runs" / f"slurm-{job}_{task}"
        assert (folder / "env-report.json").is_file(), sorted((slurm_project / "runs").iterdir())
        assert (folder / "output.log").read_text(encoding="utf-8") == "1\n"


def test_with_repro_sif_every_step_runs_through_apptainer(
    slurm_project: Path, slurm_cluster: SlurmCluster, tmp_path: Path
) -> None:
    """Apptainer cannot be installed here (Debian 12 packages neither it nor Singularity), so
    a stand-in `apptainer` first on PATH logs each call and runs the command on the host:
    this checks the script's wiring (check-env, the report and the command each go through
    `apptainer exec --cleanenv $REPRO_SIF`), not Apptainer itself."""
    calls = tmp_path / "calls.log"
    stand_in = tmp_path / "bin" / "apptainer"
    stand_in.parent.mkdir()
    python = venv_python(slurm_project)
    stand_in.write_text(
        f'#!/bin/sh\necho "$@" >> {calls}\nshift 3\n'
        f'[ "$1" = python ] && {{ shift; exec {python} "$@"; }}\nexec "$@"\n',
        encoding="utf-8",
    )
    stand_in.chmod(0o755)
    path = f"{stand_in.parent}:{slurm_cluster.env['PATH']}"
    sif = {"PATH": path, "REPRO_SIF": "/images/project.sif"}
    job = submit(slurm_project, slurm_cluster, "--", "python", "-c", "print(2)", **sif)
    assert slurm_cluster.wait(job) == "COMPLETED", job_log(slurm_project, job)
    logged = calls.read_text(encoding="utf-8").splitlines()
    assert logged == [
        "exec --cleanenv /images/project.sif python -m tools check-env --strict",
        "exec --cleanenv /images/project.sif python -m tools report --output "
        f"runs/slurm-{job}/env-report.json",
        "exec --cleanenv /images/project.sif python -c print(2)",
    ]
