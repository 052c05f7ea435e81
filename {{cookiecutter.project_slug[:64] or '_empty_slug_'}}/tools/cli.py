"""`python -m tools <verb>`: the one command line behind make, invoke, nox, pre-commit and CI.

A verb is a module's `add_arguments(parser)` and `run(args)`. Exit codes: 0 ok, 1 an
expected failure (one ERROR line with the fix), 2 usage, 3 unexpected (traceback logged
under .cache/errors/), 130 interrupted; `--json` adds one JSON object on stdout. Stdlib
only: `python -m tools env` runs before anything is installed.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import subprocess
import sys
from argparse import REMAINDER, ArgumentParser, Namespace
from collections.abc import Sequence
from dataclasses import dataclass

from . import project
from .project import ROOT, ToolError, UsageError, trailing_words
from .results import error_json


@dataclass(frozen=True)
class Verb:
    name: str
    module: str
    help: str
    fails: str  # when it exits 1: shown by --help and in the manual's table
    in_env: bool = False  # the doors start it with the env's Python (it inspects the env)
    arguments: str = "add_arguments"
    run: str = "run"

    @property
    def epilog(self) -> str:
        return f"Exits 1 when {self.fails}."


def verbs() -> list[Verb]:
    """The verbs of this project, as its answers chose them."""
    conda, cluster = project.ENV_MANAGER == "conda", project.CLUSTER
    env_dir = ".conda-env" if conda else ".venv"
    # fmt: off
    chosen = [
        Verb("env", "make_env", f"make {env_dir} exactly the locks (built, or synced in place)",
             "no micromamba, mamba or conda is on PATH, a lock is stale, or an install fails"
             if conda else "the Python of .python-version is missing, a lock is stale (or missing "
             "in CI), or an install fails (the env is left as it was, or as the next run repairs)"),
        Verb("lock", "lock", "write requirements.in from environment.yml, then the hashed locks "
             "and conda-lock.yml" if conda else "write the hashed locks from the .in files, and "
             "environment.yml from requirements.in",
             "a resolver fails" + (", or no conda solver is on PATH" if conda else "")),
        Verb("check-env", "check_env", "check the env against the locks (exit 1 with the fix when "
             "it drifted)", "a check fails; each problem names the package or file and its fix",
             in_env=True),
        Verb("test", "cli", f"run the project's tests in {env_dir}",
             "a test fails (pytest's own exit code)", True, "add_test_arguments", "run_tests"),
        Verb("report", "report", "write the env's report (Python, platform, packages, lock "
             "hashes) or compare one", "--compare finds a difference that matters", in_env=True),
        Verb("sbom", "sbom", "write a CycloneDX SBOM of the locks: components, purls, hashes, "
             "dependencies", "a lock it describes is missing"),
        Verb("archive", "archive", "write a folder that rebuilds the env offline: every locked "
             "wheel, the locks, the report, the SBOM, the image, REBUILD.md and checksums; or "
             "--verify one", "a download fails, the env is missing, or --verify finds a file "
             "changed"),
        Verb("lint", "lint", "run every pre-commit hook on every file (ruff, file hygiene, the "
             "pin checks), then mypy", "a hook, a pin check or mypy fails", in_env=True),
    ]
    if project.DOCKER:
        chosen += [
            Verb("docker-build", "container", "build the image from the locks, tagged with the "
                 "target and the lock's hash", "no engine answers, the image's lock is missing or "
                 "stale, or the build fails", arguments="add_build_arguments", run="build"),
            Verb("docker-run", "container", "run the built image: its default command, or the "
                 "one given", "the image is not built (else: the command's own exit code)",
                 arguments="add_run_arguments", run="run"),
            Verb("docker-check", "container", "run check-env --strict --imports inside the image",
                 "the image is not built, or the env inside it differs from its locks",
                 arguments="add_check_arguments", run="check"),
        ]
    if cluster in ("slurm", "all"):
        chosen.append(Verb("slurm-submit", "slurm", "submit a command as a Slurm job that checks "
            "the env first, then writes the env's report and the command's output to "
            "runs/slurm-<job>/", "sbatch is missing or refuses the job (a drifted env fails the "
            "job itself)"))
    if cluster in ("kubernetes", "all"):
        chosen.append(Verb("k8s-job", "k8s", "write a Kubernetes Job that runs a command in the "
            "image tagged with the lock's hash, after check-env, as a non-root user on a "
            "read-only filesystem", "a lock of the image is missing or stale", in_env=True))
    if project.EXERCISES:
        chosen.append(Verb("exercises", "check_exercises", "self-check the exercises of "
            "EXERCISES.md", "an exercise is not done yet (TODO, with its next step)"))
    # fmt: on
    return chosen


class Parser(ArgumentParser):
    """argparse, raising instead of exiting, so the one boundary below reports it."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.format_usage().strip()}\n{self.prog}: error: {message}")


def verb_parser(verb: Verb, parser: ArgumentParser | None = None) -> ArgumentParser:
    """The parser of one verb (its options, defaults and help), for the CLI and the doors."""
    module = importlib.import_module(f".{verb.module}", __package__)
    parser = parser or Parser(prog=f"python -m tools {verb.name}")
    parser.description, parser.epilog = verb.help, verb.epilog
    getattr(module, verb.arguments)(parser)
    parser.set_defaults(run=getattr(module, verb.run))
    return parser


def parse(argv: list[str]) -> Namespace:
    """Only the named verb's module is imported: `env` and `check-env` start fast."""
    by_name = {verb.name: verb for verb in verbs()}
    if argv and argv[0] in by_name:
        return verb_parser(by_name[argv[0]]).parse_args(argv[1:])
    # No verb, --help, or an unknown verb: the full list.
    about = "The project's environment tools: make, invoke, nox, pre-commit and CI run these verbs."
    top = Parser(prog="python -m tools", description=about)
    subparsers = top.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb in by_name.values():
        verb_parser(verb, subparsers.add_parser(verb.name, help=verb.help))
    return top.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one verb; every outcome becomes one of the documented exit codes."""
    argv = list(sys.argv[1:] if argv is None else argv)
    project.handle_termination()
    try:
        args = parse(argv)
        code = args.run(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the try
        return code
    except BrokenPipeError:  # a reader closed the pipe (`| head`): the rest goes nowhere
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return project.EXIT_FAILED
    except UsageError as error:
        code, message = project.EXIT_USAGE, str(error)
    except ToolError as error:
        code, message = project.EXIT_FAILED, f"ERROR: {error}"
    except KeyboardInterrupt:
        code, message = project.EXIT_INTERRUPTED, "interrupted"
    except Exception as error:  # noqa: BLE001 - the last line of defence
        code, log = project.EXIT_UNEXPECTED, project.write_crash_log()
        what = f"ERROR: unexpected {type(error).__name__}: {error}; the traceback is in {log}"
        message = f"{what}: please report it with the command you ran"
    print(message, file=sys.stderr)
    if "--json" in argv:  # a machine reading stdout never gets a bare traceback or nothing
        print(error_json(message.removeprefix("ERROR: "), code))
    return code


def add_test_arguments(parser: ArgumentParser) -> None:
    words = "arguments for pytest, e.g. -k summary (after `--`)"
    parser.add_argument("args", nargs=REMAINDER, metavar="ARGS", help=words)


def run_tests(args: Namespace) -> int:
    """`python -m tools test`: pytest in the project env, its exit code the verb's."""
    command = [sys.executable, "-m", "pytest", *trailing_words(args.args)]
    return subprocess.run(command, cwd=ROOT, check=False).returncode
