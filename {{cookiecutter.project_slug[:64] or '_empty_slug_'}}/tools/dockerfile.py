"""Read a Dockerfile's build args, base images (FROM lines, ARGs resolved) and stage ENVs.

Stdlib only. A base image is usually a build arg with a default (`ARG BASE_IMAGE=python:3.11-slim`
then `FROM ${BASE_IMAGE} AS builder`): a FROM is resolved through the ARG defaults before it.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import NamedTuple

from .project import ROOT

PATTERNS = ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "docker/**/Dockerfile*")
_VAR_RE = re.compile(r"\$\{([A-Za-z_]\w*)(?::?([-+])([^}]*))?\}|\$([A-Za-z_]\w*)")


class Arg(NamedTuple):
    name: str
    default: str | None
    line: int


class BaseImage(NamedTuple):
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
    return Arg(name.strip(), default.strip().strip("'\"") if eq else None, line)


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
    stages: set[str | None] = {"scratch"}
    images: list[BaseImage] = []
    for line, keyword, rest in instructions(path):
        if keyword == "ARG":
            arg = _parse_arg(rest, line)
            if arg.default is not None:  # it may name earlier args: ARG B=python:${V}-slim
                known[arg.name] = arg._replace(default=_resolve(line, arg.default, known).image)
            elif arg.name not in known:  # re-declared in a stage: the global default applies
                known[arg.name] = arg
        elif keyword == "FROM":
            written, stage = _from(rest)
            stages.add(stage)
            if written and written.lower() not in stages:
                images.append(_resolve(line, written, known))
    return images


def _resolve(line: int, written: str, known: dict[str, Arg]) -> BaseImage:
    """`written` with the ARG defaults put in: `$X`, `${X}`, `${X:-word}`, `${X:+word}`."""
    source_lines, missing = [line], []

    def substitute(match: re.Match[str]) -> str:
        name, operator, word = match.group(1) or match.group(4), match.group(2), match.group(3)
        default = known[name].default if name in known else None
        if default is not None:
            source_lines.append(known[name].line)
            return word if operator == "+" else default  # ${X:+word}: word when X is set
        if not operator:
            missing.append(name)
        return word if operator == "-" else ""

    image = _VAR_RE.sub(substitute, written)
    if missing:  # the first unresolved ARG is named
        return BaseImage(line, written, None, line, missing[0])
    return BaseImage(line, written, image, source_lines[-1])


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
            words = shlex.split(rest)
            if words and "=" not in words[0]:  # the legacy `ENV A x y` sets one variable
                name, _, value = rest.partition(" ")
                current[name] = value.strip()
            else:
                current.update(word.partition("=")[::2] for word in words)
    return stages


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """'python:3.11-slim@sha256:ab' -> ('python', '3.11-slim', 'sha256:ab')."""
    name, _, digest = image.partition("@")
    repository, tag = name, None
    if ":" in name.rsplit("/", 1)[-1]:
        repository, _, tag = name.rpartition(":")
    return repository, tag or None, digest or None
