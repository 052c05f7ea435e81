"""`invoke report [--compare OTHER.json]`: write or compare what produced a result (Python,
platform, packages, the locks' hashes, the variant with its CUDA and cuDNN, GPUs and driver).
`--compare` exits 1 when a difference matters (all but INFORMATIONAL).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from . import dist_files, env_state, lockfile
from .project import ALL_LOCKS, EXIT_FAILED, EXIT_OK, FRAMEWORK, ROOT, ToolError, variant_of

# Recorded, but no difference: the machine's GPUs and driver, and where the env lives
# (an image's name follows from its locks, which are compared already).
INFORMATIONAL = {"created", "prefix", "cuda_driver", "devices", "image"}


def collect() -> dict:
    packages = env_state.installed_versions(dist_files.installed())
    found = [name for name, _ in ALL_LOCKS if (ROOT / name).exists()]
    in_conda = env_state.in_conda_env(Path(sys.prefix))
    locks = env_state.default_locks(in_conda)  # the variant check-env sees
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": f"{platform.system()}-{platform.machine()}",
        "prefix": sys.prefix,
        "image": os.environ.get("REPRO_IMAGE", ""),
        "variant": variant_of([lock.name for lock in locks]),
        "cuda": env_state.framework_cuda(FRAMEWORK, packages).version or None,
        "cudnn": env_state.cudnn_version(packages) or None,
        "cuda_driver": env_state.driver_version(),
        "devices": env_state.visible_devices(),
        "locks": {name: lockfile.content_sha256(ROOT / name) for name in found},
        "packages": dict(sorted(packages.items())),
    }


def differences(mine: dict, other: dict) -> Iterator[str]:
    """One line per difference that matters, `<what>: <other> -> <mine>`."""
    for key in sorted((set(mine) | set(other)) - INFORMATIONAL - {"packages", "locks"}):
        if mine.get(key) != other.get(key):
            yield f"{key}: {other.get(key)} -> {mine.get(key)}"
    for section in ("locks", "packages"):
        ours, theirs = mine.get(section, {}), other.get(section, {})
        for name in sorted(set(ours) | set(theirs)):
            if ours.get(name) != theirs.get(name):
                before, after = theirs.get(name, "absent"), ours.get(name, "absent")
                yield f"{section[:-1]} {name}: {before} -> {after}"


def load(path: Path) -> dict:
    """A report written by `invoke report`; a ToolError naming why it is not one."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(report, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as error:  # ValueError: not JSON, or not UTF-8
        fix = "give a file written by `invoke report`"
        raise ToolError(f"cannot read report {path} ({error}); {fix}") from None
    return report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    output_help = "where to write the report (default: env-report.json)"
    parser.add_argument("--output", type=Path, default=Path("env-report.json"), help=output_help)
    compare_help = "a report written elsewhere: list what differs, exit 1 if anything matters"
    parser.add_argument("--compare", type=Path, metavar="OTHER", help=compare_help)


def run(args: argparse.Namespace) -> int:
    report = collect()
    if args.compare:
        found = list(differences(report, load(args.compare)))
        summary = f"{len(found)} difference(s) from" if found else "same environment as"
        print(*found, f"report: {summary} {args.compare}", sep="\n")
        return EXIT_FAILED if found else EXIT_OK
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    summary = f"{len(report['packages'])} packages, Python {report['python']}"
    print(f"report: wrote {args.output} ({summary}, {report['variant'].upper()} env)")
    return EXIT_OK
