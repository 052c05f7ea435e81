"""Build, run and check the project's images: `invoke docker-build|docker-run|docker-check`.

A target is a Dockerfile stage whose REPRO_LOCKS names the locks its image carries, checks and
is tagged by. Engine arguments come from $CONTAINER_BUILD_ARGS or $CONTAINER_RUN_ARGS, then --args.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from . import dockerfile, lockfile
from .project import ALL_LOCKS, DISTRIBUTION, EXIT_OK, ROOT, ToolError, trailing_words

DOCKERFILE = ROOT / "Dockerfile"


def targets() -> dict[str, tuple[str, ...]]:
    """Stage -> the locks its image carries: every stage whose ENV sets REPRO_LOCKS."""
    if not DOCKERFILE.exists():
        raise ToolError("Dockerfile not found; restore it (`git checkout -- Dockerfile`)")
    stages = dockerfile.stage_env(DOCKERFILE).items()
    return {stage: tuple(env["REPRO_LOCKS"].split()) for stage, env in stages
            if env.get("REPRO_LOCKS", "").strip()}  # fmt: skip


def target_locks(target: str) -> tuple[str, ...]:
    known = targets()
    if target not in known:
        hint = " (this project has no gpu stage: bake it with gpu=yes or a CUDA version)"
        raise ToolError(
            f"unknown target '{target}'{hint if target == 'gpu' else ''}; choose one of: "
            f"{', '.join(sorted(known))} (the Dockerfile stages that set REPRO_LOCKS)"
        )
    return known[target]


def find_engine() -> str:
    """The engine executable: CONTAINER_ENGINE, else docker, else podman on PATH."""
    wanted = os.environ.get("CONTAINER_ENGINE", "").strip()
    found = shutil.which(wanted) if wanted else shutil.which("docker") or shutil.which("podman")
    if found:
        return found
    if wanted:
        unset = "install it, or unset CONTAINER_ENGINE to use docker or podman"
        raise ToolError(f"CONTAINER_ENGINE={wanted} is not on PATH", unset)
    install = "install one, or set CONTAINER_ENGINE to its executable"
    raise ToolError("no container engine on PATH (docker or podman)", install)


def lock_sha256(target: str) -> str:
    """Hash of the target's locks' content (a re-lock retags); refuses a missing or stale lock."""
    locks = [ROOT / name for name in target_locks(target)]
    for lock in locks:
        if not lock.exists():
            raise ToolError(f"{lock.name} not found; run `invoke lock` before building")
        in_file = ROOT / dict(ALL_LOCKS).get(lock.name, lock.with_suffix(".in").name)
        reason = lockfile.stale_reason(lock, in_file)
        if reason:
            raise ToolError(f"{reason}, then build again")
    return lockfile.content_sha256(*locks)


def image_tags(target: str, lock_sha: str) -> list[str]:
    """`<slug>:<target>` and `<slug>:<target>-<lock hash 12>`: the tag names its env."""
    return [f"{DISTRIBUTION}:{target}", f"{DISTRIBUTION}:{target}-{lock_sha[:12]}"]


def locked_tag(target: str) -> str:
    """The tag of the target's image built from its locks as they are now (a Job, an archive)."""
    return image_tags(target, lock_sha256(target))[-1]


def _git(*args: str) -> str:
    with contextlib.suppress(OSError):
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""
    return ""


def image_inputs() -> list[str]:
    """Git pathspecs of what goes into the image: the Dockerfile, .dockerignore and the COPY
    sources from the build context, minus what .dockerignore keeps out."""
    sources = {"Dockerfile", ".dockerignore"}
    for _, keyword, rest in dockerfile.instructions(DOCKERFILE):  # targets() found it
        words = rest.split()
        if keyword in ("COPY", "ADD") and not any(word.startswith("--from") for word in words):
            sources.update(word for word in words[:-1] if not word.startswith("--"))
    ignore = ROOT / ".dockerignore"
    lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.exists() else []
    patterns = [p.strip() for p in lines if p.strip() and not p.lstrip().startswith("#")]
    # A `!` exception re-includes paths: then exclude nothing rather than too much.
    excluded = [] if any(p.startswith("!") for p in patterns) else patterns
    return [
        *sorted(source.rstrip("/") or "." for source in sources),
        *(f":(exclude,glob){pattern.strip('/')}" for pattern in excluded),
    ]


def passed_through(variable: str, extra: str) -> list[str]:
    return shlex.split(os.environ.get(variable, "")) + shlex.split(extra)


def build_command(engine: str, target: str, extra: str = "") -> list[str]:
    """Tagged with the locks' hash; the OCI labels' values are build args (REVISION is HEAD,
    `-dirty` when a file that goes into the image changed)."""
    lock_sha = lock_sha256(target)
    revision = _git("rev-parse", "HEAD")
    if revision and _git("status", "--porcelain", "--untracked-files=all", "--", *image_inputs()):
        revision += "-dirty"
    labels = {
        "SOURCE": _git("config", "--get", "remote.origin.url"),
        "REVISION": revision,
        "CREATED": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "LOCK_SHA256": lock_sha,
    }
    tags = [arg for tag in image_tags(target, lock_sha) for arg in ("--tag", tag)]
    label_args = [arg for label in labels.items() for arg in ("--build-arg", "=".join(label))]
    more = passed_through("CONTAINER_BUILD_ARGS", extra)
    return [engine, "build", "--target", target, *tags, *label_args, *more, str(ROOT)]


def run_command(engine: str, image: str, command: Sequence[str], extra: str = "") -> list[str]:
    return [engine, "run", "--rm", *passed_through("CONTAINER_RUN_ARGS", extra), image, *command]


def check_command(engine: str, image: str, extra: str = "") -> list[str]:
    """check-env's full check; the image's REPRO_LOCKS names the locks it checks against."""
    check_env = ["python", "-m", "tools", "check-env", "--strict", "--imports"]
    return run_command(engine, image, check_env, extra)


def _add_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """The options of `docker-<verb>`: build, run or check."""
    stage = f"image stage to {verb}: a Dockerfile stage that sets REPRO_LOCKS"
    parser.add_argument("--target", default="cpu", help=stage)
    if verb != "build":
        instead = f"{verb} this image instead of <slug>:<target>"
        parser.add_argument("--image", default="", help=instead)
    variable = "CONTAINER_BUILD_ARGS" if verb == "build" else "CONTAINER_RUN_ARGS"
    more = "; '--gpus all' for the gpu image" if verb == "run" else ""
    extra = f"extra engine arguments, added after ${variable} (e.g. '--network host'){more}"
    parser.add_argument("--args", default="", help=extra)
    parser.add_argument("--dry-run", action="store_true", help="print the engine command only")
    if verb == "run":
        command = "command to run in the image; default: python -m <package> (after `--`)"
        parser.add_argument("command", nargs=argparse.REMAINDER, help=command)


add_build_arguments = partial(_add_arguments, verb="build")
add_run_arguments = partial(_add_arguments, verb="run")
add_check_arguments = partial(_add_arguments, verb="check")


def _engine(args: argparse.Namespace) -> str:
    """The engine, for a known target; refused when it does not answer (a dry run does not ask)."""
    target_locks(args.target)
    engine = find_engine()
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        probe = [engine, "info"]
        if args.dry_run or subprocess.run(probe, capture_output=True, timeout=30).returncode == 0:
            return engine
    name = Path(engine).name
    raise ToolError(
        f"{name} is installed but its engine does not answer (`{name} info` failed); "
        f"start it (e.g. `sudo systemctl start {name}`, or Docker Desktop), "
        "check DOCKER_HOST/CONTAINER_HOST, or set CONTAINER_ENGINE to another engine"
    )


def _built_image(args: argparse.Namespace) -> tuple[str, str]:
    """The engine, and the image to run or check: refused when it is not built."""
    engine, image = _engine(args), args.image or f"{DISTRIBUTION}:{args.target}"
    inspect = [engine, "image", "inspect", image]
    if not args.dry_run and subprocess.run(inspect, capture_output=True).returncode:
        build = f"`invoke docker-build --target {args.target}`"
        raise ToolError(f"image {image} not found; build it: {build}")
    return engine, image


def _execute(command: list[str], dry_run: bool) -> int:
    print("+ " + shlex.join(command), flush=True)
    if dry_run:
        return EXIT_OK
    # Docker before 23 builds with BuildKit (needed for the cache mount) only when asked.
    return subprocess.run(command, env={"DOCKER_BUILDKIT": "1", **os.environ}).returncode


def build(args: argparse.Namespace) -> int:
    if _execute(build_command(_engine(args), args.target, args.args), args.dry_run):
        raise ToolError(f"the {args.target} image did not build (see the engine's output above)")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    engine, image = _built_image(args)
    command = run_command(engine, image, trailing_words(args.command), args.args)
    return _execute(command, args.dry_run)


def check(args: argparse.Namespace) -> int:
    engine, image = _built_image(args)
    if _execute(check_command(engine, image, args.args), args.dry_run):
        raise ToolError(
            f"image {image} does not match its locks (see the table above); rebuild it: "
            f"`invoke docker-build --target {args.target}`"
        )
    return EXIT_OK
