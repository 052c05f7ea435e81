"""Read a Dockerfile's build args, base images (FROM lines, ARGs resolved) and stage ENVs.

Stdlib only. Base images are usually build args with defaults
(`ARG BASE_IMAGE=python:3.11-slim` then `FROM ${BASE_IMAGE} AS builder`), so
a FROM is resolved through the ARG defaults declared before it.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from .project import ROOT

PATTERNS = ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "docker/**/Dockerfile*")
_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+]([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Arg:
    name: str
    default: str | None
    line: int


@dataclass(frozen=True)
class BaseImage:
    line: int  # the FROM line
    written: str  # the image as written, e.g. ${BASE_IMAGE}
    image: str | None  # resolved through ARG defaults; None when an ARG has no default
    source_line: int  # where the resolved value is written (the ARG line, or the FROM line)
    unresolved: str = ""  # the ARG that has no default


def dockerfiles(root: Path = ROOT) -> list[Path]:
    return sorted({path for pattern in PATTERNS for path in root.glob(pattern) if path.is_file()})


def instructions(path: Path) -> list[tuple[int, str, str]]:
    """(line, INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    result: list[tuple[int, str, str]] = []
    logical, start = "", 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or not (logical or stripped):
            continue
        start = start if logical else number
        logical += " " + stripped.removesuffix("\\")
        if stripped.endswith("\\"):
            continue
        keyword, _, rest = logical.strip().partition(" ")
        result.append((start, keyword.upper(), rest.strip()))
        logical = ""
    return result


def _parse_arg(rest: str, line: int) -> Arg:
    name, eq, default = rest.partition("=")
    value = default.strip().strip("'\"") if eq else None
    return Arg(name.strip(), value, line)


def args(path: Path) -> list[Arg]:
    return [_parse_arg(rest, line) for line, key, rest in instructions(path) if key == "ARG"]


def _from(rest: str) -> tuple[str, str | None]:
    """`FROM [--platform=...] image [AS name]` -> (image, the stage's name lowercased)."""
    words = [word for word in rest.split() if not word.startswith("--")]
    named = len(words) >= 3 and words[1].lower() == "as"
    return (words[0] if words else ""), (words[2].lower() if named else None)


def base_images(path: Path) -> list[BaseImage]:
    """Every FROM that names an image (not an earlier stage or scratch)."""
    known: dict[str, Arg] = {}
    stages: set[str | None] = set()
    images: list[BaseImage] = []
    for line, keyword, rest in instructions(path):
        if keyword == "ARG":
            arg = _parse_arg(rest, line)
            if arg.default is None and arg.name in known:
                continue  # re-declared inside a stage: the global default still applies
            if arg.default is not None and "$" in arg.default:
                # A default may name earlier args: ARG BASE=python:${PYTHON_VERSION}-slim
                resolved = _resolve(line, arg.default, known)
                arg = Arg(arg.name, resolved.image, line)
            known[arg.name] = arg
            continue
        if keyword != "FROM":
            continue
        written, stage = _from(rest)
        stages.add(stage)
        if written and written.lower() not in stages and written != "scratch":
            images.append(_resolve(line, written, known))
    return images


def _resolve(line: int, written: str, known: dict[str, Arg]) -> BaseImage:
    source_line, missing = line, ""

    def substitute(match: re.Match[str]) -> str:
        nonlocal source_line, missing
        name = match.group(1) or match.group(3)
        arg = known.get(name)
        if arg is not None and arg.default is not None:
            source_line = arg.line
            return arg.default
        if match.group(2) is not None:
            return match.group(2)
        missing = name
        return ""

    image = _VAR_RE.sub(substitute, written)
    if missing:
        return BaseImage(line, written, None, line, missing)
    return BaseImage(line, written, image, source_line)


def _parse_env(rest: str) -> dict[str, str]:
    """`ENV A=1 B="x y"` -> {A: 1, B: x y}; the legacy `ENV A x y` sets one variable."""
    words = shlex.split(rest)
    if words and "=" not in words[0]:
        name, _, value = rest.strip().partition(" ")
        return {name: value.strip()}
    return dict(word.partition("=")[::2] for word in words)


def stage_env(path: Path) -> dict[str, dict[str, str]]:
    """Each named stage's ENV values as written (`$VAR` unexpanded), with those of an
    earlier stage it is built FROM."""
    stages: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for _, keyword, rest in instructions(path):
        if keyword == "FROM":
            base, stage = _from(rest)
            current = dict(stages.get(base.lower(), {}))
            if stage:
                stages[stage] = current
        elif keyword == "ENV":
            current.update(_parse_env(rest))
    return stages


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """'python:3.11-slim@sha256:ab' -> ('python', '3.11-slim', 'sha256:ab')."""
    name, _, digest = image.partition("@")
    repository, tag = name, None
    if ":" in name.rsplit("/", 1)[-1]:
        repository, _, tag = name.rpartition(":")
    return repository, tag or None, digest or None
