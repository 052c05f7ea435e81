"""pylock-agrees: pylock.toml lists requirements.txt's pins, from files with its hashes.

pylock.toml (PEP 751) is requirements.txt converted by uv without resolving again, for pip
26.1+ and uv (experimentally: make env, nox, CI and the images install requirements.txt).
A bot that rewrites requirements.txt alone leaves pylock.toml behind.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from . import lockfile
from .project import LOCK_TOOL, LOCKS, ROOT, UV_VERSION, ToolError, toml_module, wanted_python
from .results import Problem, Result, at, checked
from .steps import StepFailed, bootstrapped, run_step

PYLOCK = ROOT / "pylock.toml"
SOURCE = ROOT / LOCKS[0][0]  # requirements.txt
FIX = "run `invoke lock`, which writes pylock.toml from requirements.txt, then commit both"
_FIELD_LINE = re.compile(r'^(name|version)\s*=\s*"([^"]+)"')
Pins = dict[tuple[str, str], set[str]]  # (name, version) -> sha256 hashes


def convert_command(uv: Path) -> list[str]:
    """uv writes, for every platform, each wheel of the pins the project's Python can use."""
    from .lock import torch_index_args  # lock imports this module

    command = [str(uv), "pip", "compile", SOURCE.name, "--no-deps", "--universal"]
    command += ["--output-file", PYLOCK.name, "--python-version", wanted_python(), "--quiet"]
    return command + torch_index_args(SOURCE.name)


def write() -> None:
    from . import lock

    print(f"lock: {SOURCE.name} -> {PYLOCK.name} (uv, no new resolution)", flush=True)
    # The lock tool of a uv project, else the same pinned uv in the cache.
    uv = lock.tool_executable() if LOCK_TOOL == "uv" else bootstrapped("uv", UV_VERSION, "uv")
    env = {**os.environ, "UV_CUSTOM_COMPILE_COMMAND": "invoke lock"}
    try:
        run_step("lock", convert_command(uv), "writing pylock.toml", cwd=ROOT, env=env)
    except StepFailed as error:
        raise ToolError(f"{error}; run `invoke lock` again once that is fixed") from None


def lock_pins() -> Pins:
    pins: Pins = {}
    for entry in lockfile.read_lock(SOURCE):
        hashes = {value.removeprefix("sha256:") for value in entry.hashes}
        pins.setdefault((entry.name, entry.pinned_version or "?"), set()).update(hashes)
    return pins


def pylock_pins(document: dict) -> Pins:
    pins: Pins = {}
    for package in document.get("packages", []):
        files = [*package.get("wheels", []), *([package["sdist"]] if "sdist" in package else [])]
        hashes = {file.get("hashes", {}).get("sha256", "") for file in files}
        key = (lockfile.canonical(package.get("name", "")), str(package.get("version", "?")))
        pins.setdefault(key, set()).update(hashes)
    return pins


def line_of_package(text: str, name: str, version: str) -> int:
    """The line of the `name = "..."` of this package and version (any PEP 503 spelling)."""
    name_line, current = 1, ""
    for number, line in enumerate(text.splitlines(), start=1):
        field = _FIELD_LINE.match(line)
        if field and field.group(1) == "name":
            name_line, current = number, lockfile.canonical(field.group(2))
        elif field and current == name and field.group(2) == version:
            return name_line
    return 1


def problems() -> Iterator[Problem]:
    if not SOURCE.exists():
        return  # lock-fresh reports the missing lock itself
    if not PYLOCK.exists():
        yield at(SOURCE, 1, f"{PYLOCK.name} is missing", FIX)
        return
    text = PYLOCK.read_text(encoding="utf-8")
    toml = toml_module()
    if toml is None:  # a bare 3.10 hook env: the tomli pip carries
        from pip._vendor import tomli as toml
    try:
        found = pylock_pins(toml.loads(text))
    except ValueError as error:  # tomllib's TOMLDecodeError
        yield at(PYLOCK, 1, f"is not valid TOML ({error})", FIX)
        return
    except (AttributeError, TypeError):  # valid TOML, but not tables where PEP 751 has them
        yield at(PYLOCK, 1, "is not a PEP 751 lock (`[[packages]]` tables)", FIX)
        return
    wanted = lock_pins()
    for name, version in sorted(wanted.keys() - found.keys()):
        yield at(PYLOCK, 1, f"lacks {name}=={version}, which {SOURCE.name} pins", FIX)
    for (name, version), listed in sorted(found.items()):
        # uv leaves out the wheels the Python range cannot use: fewer files agree, none does not.
        allowed = wanted.get((name, version))
        if allowed is None:
            what = f"has {name}=={version}, which {SOURCE.name} does not pin"
        elif listed - allowed:
            what = f"{name}=={version} lists file hashes that {SOURCE.name} does not"
        elif allowed and not listed:
            what = f"{name}=={version} lists no file to install"
        else:
            continue
        yield at(PYLOCK, line_of_package(text, name, version), what, FIX)


def result() -> Result:
    from .lock_fresh import untracked_locks

    found = [*problems(), *untracked_locks([PYLOCK])]
    return checked("pylock-agrees", found, f"{PYLOCK.name} lists the pins of {SOURCE.name}")
