"""python-agrees: every file that names the project's Python names the same X.Y.

Compared with `.python-version`, where the file exists: pyproject.toml's `requires-python`, the
Dockerfile's `ARG PYTHON_VERSION=` or `python:X.Y` base image, the CI workflows'
`python-version`, noxfile.py and, in a conda project, environment.yml's `python=`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from . import dockerfile, project
from .project import ROOT, ToolError, python_minor, wanted_python, workflows
from .results import Problem, Result, at, checked, line_of, major_minor

CHECK = "python-agrees"
ARG_NAMES = re.compile(r"(PYTHON|PY)_?VERSION", re.IGNORECASE)


def _differs(path: Path, line: int, found: str, wanted: str, what: str, fix: str) -> list[Problem]:
    if major_minor(found) == wanted:
        return []
    return [at(path, line, f"{what} names {found}, but .python-version says {wanted}", fix)]


def pyproject(wanted: str) -> Iterator[Problem]:
    path = ROOT / "pyproject.toml"
    if not path.exists():
        return
    try:
        data = project.load_pyproject()
    except ValueError as error:  # tomllib.TOMLDecodeError
        yield at(path, 1, f"cannot read TOML ({error})", "fix the syntax")
        return
    if data is None:
        print(f"{CHECK}: note: pyproject.toml skipped: reading TOML needs Python 3.11+ or tomli")
        return
    spec = data.get("project", {}).get("requires-python")
    if spec is not None:
        line = line_of(path.read_text(encoding="utf-8"), r"^\s*requires-python\s*=")
        lower = re.search(r"(?:>=|==|~=)\s*(\d+\.\d+)", spec)
        found, fix = lower.group(1) if lower else spec, f'set `requires-python = ">={wanted}"`'
        yield from _differs(path, line, found, wanted, f"requires-python `{spec}`", fix)


def dockerfiles(wanted: str) -> Iterator[Problem]:
    for path in dockerfile.dockerfiles(ROOT):
        found = []
        for arg in dockerfile.args(path):
            if ARG_NAMES.fullmatch(arg.name) and arg.default and "$" not in arg.default:
                fix = f"set `ARG {arg.name}={wanted}`"
                found += _differs(path, arg.line, arg.default, wanted, f"ARG {arg.name}", fix)
        yield from found
        if found:
            continue  # base images built from that ARG would only repeat the finding
        for base in dockerfile.base_images(path):
            repository, tag, _ = dockerfile.split_image(base.image or "")
            tag_python = major_minor(tag) if tag else None
            if base.image and repository.rsplit("/", 1)[-1] == "python" and tag_python:
                what, fix = f"base image `{base.image}`", f"use a `python:{wanted}-...` base image"
                yield from _differs(path, base.source_line, tag_python, wanted, what, fix)


def ci_workflows(wanted: str) -> Iterator[Problem]:
    for path in workflows(ROOT):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            file_match = re.match(r"\s*python-version-file:\s*['\"]?([^'\"\s#]+)", line)
            if file_match and file_match.group(1) != ".python-version":
                what = f"python-version-file is {file_match.group(1)}, not .python-version"
                yield at(path, number, what, "write `python-version-file: .python-version`")
            match = re.match(r"\s*python-version:\s*(.+?)\s*(#.*)?$", line)
            if match and "${" not in match.group(1):
                for version in re.findall(r"\d+\.\d+(?:\.\d+)?", match.group(1)):
                    fix = "use `python-version-file: .python-version`"
                    yield from _differs(path, number, version, wanted, "python-version", fix)


def noxfile(wanted: str) -> Iterator[Problem]:
    path = ROOT / "noxfile.py"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    for number, line in enumerate(lines, start=1):
        if re.search(r"\bpython\s*=\s*[\[(]?\s*['\"]\d", line):
            for version in re.findall(r"['\"](\d+\.\d+(?:\.\d+)?)['\"]", line):
                fix = "read the version from .python-version instead of writing it"
                yield from _differs(path, number, version, wanted, "a nox session's python", fix)


def environment_yml(wanted: str) -> Iterator[Problem]:
    if project.ENV_MANAGER != "conda" or not (ROOT / "environment.yml").exists():
        return
    from . import conda_meta

    env = conda_meta.read_environment()
    pythons = [spec for spec in env.specs if re.match(r"python\s*[=<>!~]", spec.text)]
    fix = f"write `  - python={wanted}` in environment.yml"
    if not pythons:
        yield at(env.path, 1, "environment.yml has no `python=` dependency", fix)
    for spec in pythons:
        yield from _differs(env.path, spec.line, spec.text, wanted, "its python", fix)


def disagreements() -> Iterator[Problem]:
    try:
        wanted = python_minor(wanted_python())
    except ToolError as error:  # missing or not X.Y(.Z): one line, like every finding
        yield at(project.PYTHON_VERSION_FILE, 1, error.what, error.fix)
        return
    for source in (pyproject, dockerfiles, ci_workflows, noxfile, environment_yml):
        yield from source(wanted)


def result() -> Result:
    return checked(CHECK, disagreements(), "every file names .python-version's Python")
