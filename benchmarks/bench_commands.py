#!/usr/bin/env python3
"""Time a baked project's commands against the raw tools they wrap, in one run.

    .venv/bin/python benchmarks/bench_commands.py [--lock-tool uv] [--repeat 5]

Prints seconds (best of N) and the ratio to the raw tool measured here:
  - `check-env` vs `pip check` (what the `consistent` check replaces);
  - a no-op `make env` vs a no-op `pip install --require-hashes -r <locks>`;
  - `invoke lock` vs the raw lock tool on the same inputs and existing pins
    (one run each). The raw row uses the tool's defaults: ours adds invoke's
    start-up, the input-hash stamp and, with uv, a universal (all-platform) resolve.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def best_of(command: Sequence[str], cwd: Path, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True)
        timings.append(time.perf_counter() - started)
    return min(timings)


def row(label: str, ours: float, raw: float, raw_label: str) -> None:
    print(f"{label:<28} {ours:7.3f}s   {raw_label:<34} {raw:7.3f}s   ratio {ours / raw:5.2f}")


def raw_compile(lock_tool: str, in_file: str, output: Path) -> list[str]:
    """The bare lock tool on one input, writing `output` (a copy of the current lock, so
    both sides start from the same existing pins, as a re-lock does)."""
    if lock_tool == "uv":
        return [str(BIN / "uv"), "pip", "compile", in_file, "--quiet", "--generate-hashes",
                "-o", str(output)]  # fmt: skip
    return [str(BIN / "pip-compile"), in_file, "--quiet", "--generate-hashes", "--allow-unsafe",
            "-o", str(output)]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock-tool", choices=["pip-tools", "uv"], default="pip-tools")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    # No machine pip configuration, and the template's tools first on PATH.
    os.environ["PIP_CONFIG_FILE"] = os.devnull
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(
            cookiecutter(
                str(TEMPLATE),
                no_input=True,
                output_dir=scratch,
                extra_context={"lock_tool": args.lock_tool},
            )
        )
        print(
            f"baked {project.name} (lock_tool={args.lock_tool}); building its env ...", flush=True
        )
        subprocess.run(["make", "env"], cwd=project, check=True, capture_output=True)
        python = str(project / ".venv" / "bin" / "python")
        locks = ["-r", "requirements.txt", "-r", "requirements-dev.txt"]
        raw_pip = (
            [python, "-m", "pip"]
            if (project / ".venv/bin/pip").exists()
            else [str(BIN / "uv"), "pip"]
        )
        target = [] if raw_pip[0] == python else ["--python", python]
        raw_name = "pip" if raw_pip[0] == python else "uv pip"
        print(f"{'command':<28} {'ours':>8}   {'raw tool':<34} {'raw':>8}")
        row(
            "check-env (all checks)",
            best_of([python, "tools/check_env.py"], project, args.repeat),
            best_of([*raw_pip, "check", *target], project, args.repeat),
            f"{raw_name} check",
        )
        row(
            "make env (no-op)",
            best_of(["make", "env"], project, args.repeat),
            best_of(
                [*raw_pip, "install", *target, "--require-hashes", *locks], project, args.repeat
            ),
            f"{raw_name} install -r locks (no-op)",
        )
        raw_lock = 0.0
        for in_file, lock in (("requirements.in", "requirements.txt"),
                              ("requirements-dev.in", "requirements-dev.txt")):  # fmt: skip
            copy = Path(scratch) / lock
            shutil.copy(project / lock, copy)
            raw_lock += best_of(raw_compile(args.lock_tool, in_file, copy), project, 1)
        ours_lock = best_of([str(BIN / "invoke"), "lock"], project, 1)
        row("invoke lock (both locks)", ours_lock, raw_lock, f"raw {args.lock_tool} (both .in)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
