"""`python -m tools slurm-submit`: run a command as a Slurm job in the project's locked env.

The job is `slurm/job.sbatch`: on the compute node it runs check-env --strict (a drifted env
stops it), writes the env's report into `runs/slurm-<job>[_<task>]/`, then runs the command
there. This verb builds the `sbatch` command line: its options override the script's #SBATCH.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess

from .project import EXIT_OK, ROOT, ToolError, UsageError, trailing_words

SCRIPT = ROOT / "slurm" / "job.sbatch"
RUNS = ROOT / "runs"  # the jobs' output folders, and Slurm's own log of each


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .project import GPU

    add = parser.add_argument
    add("--array", type=int, default=0, metavar="N", help="run N tasks (0..N-1), a report each")
    add("--cpus", default="", help="CPUs per task (default: the script's, 2)")
    add("--mem", default="", help="memory per node, e.g. 16G (default: 4G)")
    add("--time", default="", help="time limit, e.g. 04:00:00 (default: 1 h)")
    if GPU:
        add("--gpus", default="", help="GPUs per job (default: the script's, 1)")
    add("--dry-run", action="store_true", help="print the sbatch command and the script only")
    add("command", nargs=argparse.REMAINDER, help="the command the job runs (after `--`)")


def sbatch_command(args: argparse.Namespace) -> list[str]:
    """`sbatch`, the options given, the script, and the job's command."""
    command = trailing_words(args.command)
    if not command:
        raise UsageError("slurm-submit: no command given; e.g. `slurm-submit -- python -m PKG`")
    if args.array < 0:
        raise UsageError(f"slurm-submit: --array {args.array}: give a number of tasks, 1 or more")
    options = ["--parsable"]
    if args.array:
        options += [f"--array=0-{args.array - 1}", "--output=runs/slurm-%A_%a.out"]
    given = {"--cpus-per-task": args.cpus, "--mem": args.mem, "--time": args.time}
    given["--gpus"] = getattr(args, "gpus", "")
    options += [f"{flag}={value}" for flag, value in given.items() if value]
    return ["sbatch", *options, SCRIPT.relative_to(ROOT).as_posix(), *command]


def submit(command: list[str]) -> str:
    """Submit from the project's root; the job id (`12345`, or `12345;cluster`)."""
    if shutil.which("sbatch") is None:
        raise ToolError(
            "sbatch is not on PATH: this machine is not a Slurm login node",
            "run this where `sbatch --version` answers (`--dry-run` prints the command)",
        )
    RUNS.mkdir(exist_ok=True)  # Slurm writes each job's log there, and creates no folder
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:  # sbatch's last line says why (`sbatch: error: ...`)
        said = (done.stderr.strip() or done.stdout.strip() or "no message").splitlines()[-1]
        raise ToolError(
            f"sbatch refused the job: {said}",
            "fix what it names (`sinfo` shows the partitions and limits here)",
        )
    return done.stdout.strip().split(";")[0]


def run(args: argparse.Namespace) -> int:
    command = sbatch_command(args)
    if not SCRIPT.exists():
        raise ToolError(f"{SCRIPT.relative_to(ROOT)} is missing", "restore it from git")
    if args.dry_run:
        print(f"$ {shlex.join(command)}\n")
        print(SCRIPT.read_text(encoding="utf-8"), end="")
        return EXIT_OK
    job = submit(command)
    folders = f"runs/slurm-{job}_<task>/" if args.array else f"runs/slurm-{job}/"
    print(f"slurm: submitted job {job}; report and output in {folders}", flush=True)
    return EXIT_OK
