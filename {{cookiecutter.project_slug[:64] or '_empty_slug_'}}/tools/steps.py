"""Run one installer or resolver step so that a person can follow it and trust its error.

The tool's output is passed through as it comes; a quiet tool gets a `still <doing> (Ns)`
line; a failure's output is read for its cause (network, hash, disk, Python, resolution),
which the error names rather than guessing.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from .project import ToolError

HEARTBEAT_SECONDS = 10.0
TAIL_LINES = 200
# How long a step gets to end after it was asked to stop (Ctrl-C, SIGTERM).
STOP_SECONDS = 10.0

# Installers' own words for each cause, first match wins (network before
# resolution: pip reports an unreachable index as "no matching version" too).
CAUSES = {
    "disk": r"No space left on device|\[Errno 28\]|Disk quota exceeded",
    "network": (
        "Failed to establish a new connection|Max retries exceeded|Connection refused"
        "|Network is unreachable|Name or service not known|Temporary failure in name resolution"
        "|nodename nor servname|getaddrinfo failed|Read timed out|ConnectTimeoutError"
        "|Could not fetch URL|dns error|error sending request|Failed to fetch|tcp connect error"
        "|operation timed out"
    ),
    "hash": "DO NOT MATCH THE HASHES|[Hh]ash mismatch",
    "resolution": (
        "ResolutionImpossible|No solution found|Could not find a version that satisfies"
        "|No matching distribution found|not found in the package registry"
    ),
    # After resolution: pip lists versions it skipped for their Python even when
    # the real failure is a pin that does not exist.
    "python": "requires a different Python|the current Python version",
    "build": "metadata-generation-failed|Failed to build|invalid metadata",
}
# What stopped the step, and what to check, for each cause.
SENTENCES = {
    "network": "cannot reach {}; check the network or your index settings",
    "disk": "the disk is full ({}); free some space",
    "hash": (
        "a download does not match its locked hash ({}); re-lock with `invoke lock` "
        "if the package was re-published, else check your index"
    ),
    "python": "a package does not support this Python ({})",
    "resolution": "no versions satisfy the requirements ({})",
    "build": "a package could not be built or read ({})",
}
# Installers retry an unreachable index for minutes by default (pip: 5 retries
# of up to a 15 s timeout each, more where PIP_DEFAULT_TIMEOUT is raised). A
# person's own settings win; these only bound the defaults.
BOUNDED_NETWORK = {
    "PIP_RETRIES": "1",
    "PIP_TIMEOUT": "20",
    "UV_HTTP_RETRIES": "1",
    "UV_HTTP_TIMEOUT": "20",
}
_HOST = re.compile(r"host='([^']+)'|https?://([^/\s:'\"]+)")


class StepFailed(ToolError):
    """A step exited non-zero; `cause` is one of CAUSES' names or "other"."""

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(message)
        self.cause = cause


def cause_of(output: str, env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(cause, detail) read from a failed step's output: detail is the host for
    network failures, the most telling line otherwise."""
    lines = output.splitlines()
    for cause, markers in CAUSES.items():
        hits = [line.strip() for line in lines if re.search(markers, line)]
        if not hits:
            continue
        if cause != "network":
            return cause, hits[-1]
        # pip's retry warnings name only the path; its "Looking in indexes:"
        # line (not printed with --quiet) names the index.
        named = [line for line in lines if line.startswith("Looking in indexes:")]
        for match in filter(None, map(_HOST.search, hits + named)):
            return cause, match.group(1) or match.group(2)
        env = os.environ if env is None else env
        for name in ("PIP_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX_URL"):
            if host := urlsplit(env.get(name, "")).hostname:
                return cause, host  # the index host the environment sets
        return cause, "the package index (pypi.org, or the one your pip/uv settings name)"
    errors = [line.strip() for line in lines if re.match(r"\s*(error|ERROR|×)", line)]
    return "other", (errors[-1] if errors else (lines[-1].strip() if lines else ""))


def explain(cause: str, detail: str, doing: str) -> str:
    """One sentence: what stopped `doing`, and what to check."""
    sentence = SENTENCES[cause].format(detail) if cause in SENTENCES else detail
    return f"{doing} failed: {sentence or 'see the output above'}"


def network_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) with bounded network retries."""
    env = {**BOUNDED_NETWORK, **(os.environ if base is None else base)}
    if "PIP_DEFAULT_TIMEOUT" in env and "PIP_TIMEOUT" not in (base or os.environ):
        del env["PIP_TIMEOUT"]  # the person's own timeout, under its other name
    return env


def shown(command: Sequence[str]) -> str:
    """The command with paths shortened to their last part (no machine paths in logs)."""
    return " ".join(Path(part).name if os.sep in part else part for part in command)


def _pump(stream, tail: collections.deque, seen: list[float]) -> None:
    for line in stream:
        sys.stdout.write(line)
        sys.stdout.flush()
        tail.append(line)
        seen[0] = time.monotonic()


def run_step(
    label: str,
    command: Sequence[str],
    doing: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run `command`, echoing it as `<label>: $ ...`; return its output.

    Raises StepFailed with the cause when it exits non-zero. `doing` names
    the step in messages ("installing the locks").
    """
    print(f"{label}: $ {shown(command)}", flush=True)
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    started = time.monotonic()
    seen = [started]
    try:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=network_env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as error:  # no such program, or not executable
        raise ToolError(f"{doing} failed: cannot run {command[0]} ({error.strerror})") from None
    reader = threading.Thread(target=_pump, args=(process.stdout, tail, seen), daemon=True)
    reader.start()
    try:
        while reader.is_alive():
            reader.join(1.0)
            if time.monotonic() - seen[0] >= HEARTBEAT_SECONDS:
                print(f"{label}: still {doing} ({time.monotonic() - started:.0f}s)", flush=True)
                seen[0] = time.monotonic()
        code = process.wait()
    finally:
        if process.poll() is None:  # stopped early (Ctrl-C, SIGTERM): make sure it ends
            process.terminate()
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout.close()
    if code != 0:
        cause, detail = cause_of("".join(tail), network_env(env))
        raise StepFailed(explain(cause, detail, doing), cause)
    return "".join(tail)
