"""Installer steps a person can follow and trust, and what they need before any env exists.

A step's output passes through, a quiet tool gets a `still <doing> (Ns)` line, and a failure
names its cause (network, hash, disk...). find_python asks each candidate its version (a pyenv
shim may start another); lock tools are installed once per version under `.cache/lock-tools/`.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from .project import ROOT, ToolError, python_minor, venv_python, version_matches, wanted_python

HEARTBEAT_SECONDS = 10.0
TAIL_LINES = 200
STOP_SECONDS = 10.0  # how long a step gets to end once asked to stop (Ctrl-C, SIGTERM)
TOOL_CACHE = ROOT / ".cache" / "lock-tools"
# A venv's interpreter answers with the base interpreter behind it: a venv
# about to be rebuilt must not be the base of its own replacement.
_ASK = (
    "import sys; print('.'.join(map(str, sys.version_info[:3])));"
    "print(getattr(sys, '_base_executable', sys.executable))"
)

# Each cause: the installers' own words for it (first match wins; network before resolution,
# as pip reports an unreachable index as "no matching version" too), and what to check.
# fmt: off
CAUSES = {
    "disk": (r"No space left on device|\[Errno 28\]|Disk quota exceeded",
             "the disk is full ({}); free some space"),
    "network": ("Failed to establish a new connection|Max retries exceeded|Connection refused"
                "|Network is unreachable|Name or service not known"
                "|Temporary failure in name resolution|nodename nor servname|getaddrinfo failed"
                "|Read timed out|ConnectTimeoutError|Could not fetch URL|dns error"
                "|error sending request|Failed to fetch|tcp connect error|operation timed out",
                "cannot reach {}; check the network or your index settings"),
    "hash": ("DO NOT MATCH THE HASHES|[Hh]ash mismatch",
             "a download does not match its locked hash ({}); re-lock with `invoke lock` "
             "if the package was re-published, else check your index"),
    "resolution": ("ResolutionImpossible|No solution found|Could not find a version that "
                   "satisfies|No matching distribution found|not found in the package registry",
                   "no versions satisfy the requirements ({})"),
    # After resolution: pip lists versions it skipped for their Python even when the
    # real failure is a pin that does not exist.
    "python": ("requires a different Python|the current Python version",
               "a package does not support this Python ({})"),
    "build": ("metadata-generation-failed|Failed to build|invalid metadata",
              "a package could not be built or read ({})"),
}
# fmt: on
# Installers retry an unreachable index for minutes by default (pip: 5 retries of up to
# 15 s each). A person's own settings win; these only bound the defaults.
BOUNDED_NETWORK = dict(PIP_RETRIES="1", PIP_TIMEOUT="20", UV_HTTP_RETRIES="1", UV_HTTP_TIMEOUT="20")
_HOST = re.compile(r"host='([^']+)'|https?://([^/\s:'\"]+)")


class StepFailed(ToolError):
    """A step exited non-zero; `cause` is one of CAUSES' names or "other"."""

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(message)
        self.cause = cause


def cause_of(output: str, env: Mapping[str, str]) -> tuple[str, str]:
    """(cause, detail) of a failed step's output: the host for network failures, else a line."""
    lines = output.splitlines()
    for cause, (markers, _) in CAUSES.items():
        hits = [line.strip() for line in lines if re.search(markers, line)]
        if hits and cause != "network":
            return cause, hits[-1]
        if hits:
            # pip's retry warnings name only the path; its "Looking in indexes:"
            # line (not printed with --quiet) names the index.
            named = [line for line in lines if line.startswith("Looking in indexes:")]
            for match in filter(None, map(_HOST.search, hits + named)):
                return cause, match.group(1) or match.group(2)
            for name in ("PIP_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX_URL"):
                if host := urlsplit(env.get(name, "")).hostname:
                    return cause, host  # the index host the environment sets
            return cause, "the package index (pypi.org, or the one your pip/uv settings name)"
    errors = [line.strip() for line in lines if re.match(r"\s*(error|ERROR|×)", line)]
    return "other", (errors or lines or [""])[-1].strip()


def explain(cause: str, detail: str, doing: str) -> str:
    """One sentence: what stopped `doing`, and what to check."""
    sentence = CAUSES[cause][1].format(detail) if cause in CAUSES else detail
    return f"{doing} failed: {sentence or 'see the output above'}"


def network_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) with bounded network retries."""
    own = os.environ if base is None else base
    env = {**BOUNDED_NETWORK, **own}
    if "PIP_DEFAULT_TIMEOUT" in env and "PIP_TIMEOUT" not in own:
        del env["PIP_TIMEOUT"]  # the person's own timeout, under its other name
    return env


def shown(command: Sequence[str]) -> str:
    """The command with paths shortened to their last part (no machine paths in logs)."""
    return " ".join(Path(part).name if os.sep in part else part for part in command)


def run_step(
    label: str,
    command: Sequence[str],
    doing: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run `command`, echoing it as `<label>: $ ...`; return its output's last lines. A failure
    raises StepFailed, naming its cause and `doing` (e.g. "installing the locks")."""
    print(f"{label}: $ {shown(command)}", flush=True)
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    started = seen = time.monotonic()
    try:
        # Its own session: a terminal's Ctrl-C reaches this process alone, which stops the step
        # below (SIGTERM ends it quietly; Ctrl-C would have printed its traceback).
        process = subprocess.Popen(
            list(command), cwd=cwd, env=network_env(env), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
            errors="replace", start_new_session=True,
        )  # fmt: skip
    except OSError as error:  # no such program, or not executable
        raise ToolError(f"{doing} failed: cannot run {command[0]} ({error.strerror})") from None

    def pump() -> None:
        nonlocal seen
        for line in process.stdout:
            print(line, end="", flush=True)
            tail.append(line)
            seen = time.monotonic()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    with process:  # on leaving: its output closed, and waited for
        try:
            while reader.is_alive():
                reader.join(1.0)
                if time.monotonic() - seen >= HEARTBEAT_SECONDS:
                    print(f"{label}: still {doing} ({time.monotonic() - started:.0f}s)", flush=True)
                    seen = time.monotonic()
            code = process.wait()
        finally:
            if process.poll() is None:  # stopped early (Ctrl-C, SIGTERM): make sure it ends
                process.terminate()
                try:
                    process.wait(STOP_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()  # Popen's exit waits only briefly after Ctrl-C: reap it here
    if code != 0:
        cause, detail = cause_of("".join(tail), network_env(env))
        raise StepFailed(explain(cause, detail, doing), cause)
    return "".join(tail)


def interpreter_version(python: str | Path) -> tuple[str, str] | None:
    """(X.Y.Z, base interpreter path) of a candidate, or None when it does not start."""
    try:  # -I -S: no site, no .pth files to run; the answer needs neither.
        probe = subprocess.run(
            [str(python), "-I", "-S", "-c", _ASK], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = probe.stdout.splitlines()
    return (lines[0], lines[1]) if probe.returncode == 0 and len(lines) == 2 else None


def candidates(version: str) -> Iterator[str | Path]:
    """This interpreter, PATH's, pyenv's, then what the py launcher or uv finds."""
    minor = python_minor(version)
    yield sys.executable
    yield from filter(None, map(shutil.which, (f"python{version}", f"python{minor}", "python3")))
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for folder in sorted((pyenv / "versions").glob(f"{version}*"), reverse=True):
        yield folder / ("python.exe" if os.name == "nt" else "bin/python")
    finders = [["uv", "python", "find", "--no-project", version]]
    if os.name == "nt":
        finders.insert(0, ["py", f"-{minor}", "-c", "import sys; print(sys.executable)"])
    for finder in filter(lambda command: shutil.which(command[0]), finders):
        probe = subprocess.run(finder, capture_output=True, text=True, check=False)
        if probe.returncode == 0:
            yield probe.stdout.strip()


def find_python(version: str | None = None) -> str:
    """Path of an interpreter of the wanted version, or a ToolError saying how to get one."""
    version = version or wanted_python()
    tried: set[str] = set()
    for candidate in map(str, candidates(version)):
        if candidate not in tried and Path(candidate).exists():
            tried.add(candidate)
            found = interpreter_version(candidate)
            if found and version_matches(found[0], version):
                return found[1]
    raise ToolError(
        f"Python {version} (named by .python-version) is not installed; install it "
        f"(`pyenv install {version}`, `uv python install {version}` or python.org), "
        "or write an installed version into .python-version"
    )


def cached_tool(
    package: str, version: str, command: str, python_tag: str, python: Callable[[], str]
) -> Path:
    """Path of `command` from `package==version`; `python()` makes the venv when missing."""
    tool_venv = TOOL_CACHE / f"{package}-{version}-py{python_tag}"
    tool_python = venv_python(tool_venv)
    executable = tool_python.with_name(command + tool_python.suffix)  # ".exe" on Windows
    if executable.exists():
        return executable
    doing = f"installing {package}=={version}"
    print(f"tools: {doing} into {tool_venv.relative_to(ROOT)} (once per version)", flush=True)
    try:
        run_step("tools", [python(), "-m", "venv", str(tool_venv)], doing, cwd=ROOT)
        # Not --quiet: pip's progress, and the index it names, are worth seeing once.
        install = [str(tool_python), "-m", "pip", "install", f"{package}=={version}"]
        run_step("tools", install, doing, cwd=ROOT)
    except StepFailed as error:
        raise ToolError(f"{error}; run the command again once that is fixed") from None
    finally:
        # Half-made (or interrupted): a later run must not find a venv without the tool.
        if not executable.exists():
            shutil.rmtree(tool_venv, ignore_errors=True)
    return executable


def bootstrapped(package: str, version: str, command: str) -> Path:
    """`command` of `package==version` in a cache venv of the project's Python."""
    wanted = wanted_python()
    return cached_tool(package, version, command, wanted, lambda: find_python(wanted))
