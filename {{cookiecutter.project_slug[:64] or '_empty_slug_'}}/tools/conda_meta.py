"""Read the conda side of the project: environment.yml, conda-lock.yml, conda-meta/.

Stdlib only, so it runs before anything is installed. Each file is read in the shape the
template (environment.yml) or conda-lock (version 1) writes; anything else is refused with one
line rather than guessed at.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .lockfile import CONDA_NAMES, canonical
from .project import ROOT, ToolError

ENVIRONMENT_YML = ROOT / "environment.yml"
CONDA_LOCK = ROOT / "conda-lock.yml"
# The project's conda env: a prefix inside the project, like .venv.
CONDA_ENV = ROOT / ".conda-env"
CONDA_ONLY = "# conda-only"
PIP_NAMES = {conda: pip for pip, conda in CONDA_NAMES.items()}
_KEY_RE = re.compile(r"^([A-Za-z_][\w-]*):\s*(.*)$")
_ITEM_RE = re.compile(r"^(\s+)-\s+(.*)$")
# One item of a flow list: quoted (commas allowed inside) or up to the next comma.
_FLOW_ITEM_RE = re.compile(r"\s*(?:'(?:[^']|'')*'|\"[^\"]*\")|[^,]+")


def pypi_name(conda_name: str) -> str:
    """The canonical PyPI name of a conda package (`pytorch` -> `torch`)."""
    return canonical(PIP_NAMES.get(conda_name, conda_name))


def conda_python(prefix: Path = CONDA_ENV) -> Path:
    return prefix / "python.exe" if os.name == "nt" else prefix / "bin" / "python"


def current_platform() -> str:
    """This machine's conda subdir: linux-64, linux-aarch64, osx-arm64, win-64, ..."""
    system = {"linux": "linux", "darwin": "osx", "win32": "win"}.get(sys.platform, sys.platform)
    arm = "aarch64" if system == "linux" else "arm64"
    machine = platform.machine().lower()
    arch = {"x86_64": "64", "amd64": "64", "arm64": arm, "aarch64": arm}.get(machine, machine)
    return f"{system}-{arch}"


def _scalar(text: str) -> str:
    """A YAML plain or quoted scalar, with a trailing comment removed."""
    text = text.strip()
    quoted = re.match(r"'((?:[^']|'')*)'|\"([^\"]*)\"", text)
    if quoted:
        single, double = quoted.groups()
        return single.replace("''", "'") if single is not None else double
    return re.split(r"\s+#", text, maxsplit=1)[0].strip()


@dataclass
class Spec:
    text: str
    line: int
    pip: bool = False  # under the `pip:` section (pip syntax)
    conda_only: bool = False  # marked `# conda-only`


@dataclass
class Environment:
    path: Path
    name: str = ""
    channels: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    specs: list[Spec] = field(default_factory=list)


def _add_flow_items(env: Environment, key: str, inner: str, number: int) -> None:
    """`key: [a, "b", 'c']`, the flow list conda and editors also write."""
    items = [_scalar(item) for item in _FLOW_ITEM_RE.findall(inner) if item.strip()]
    if key == "dependencies":
        env.specs += [Spec(item, number) for item in items]
    elif key in ("channels", "platforms"):
        getattr(env, key).extend(items)


def read_environment(path: Path = ENVIRONMENT_YML) -> Environment:
    env = Environment(path)
    key, in_pip = "", False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        top, item = _KEY_RE.match(raw), _ITEM_RE.match(raw)
        if top:
            key, value, in_pip = top.group(1), _scalar(top.group(2)), False
            if key == "name":
                env.name = value
            elif value.startswith("[") and value.endswith("]"):
                _add_flow_items(env, key, value[1:-1], number)
            elif value:
                raise ToolError(
                    f"{path.name}:{number}: write `{key}:` as a list (`  - item` lines or "
                    "`[a, b]`); tools read environment.yml in those shapes"
                )
            continue
        if item and key == "dependencies":
            indent, text = len(item.group(1)), item.group(2)
            if text.rstrip() == "pip:":
                in_pip = True
                continue
            in_pip = in_pip and indent > 2
            env.specs.append(Spec(_scalar(text), number, in_pip, CONDA_ONLY in text))
            continue
        if item and key in ("channels", "platforms"):
            getattr(env, key).append(_scalar(item.group(2)))
            continue
        if item and key:
            continue  # a list under a key these tools do not read
        raise ToolError(
            f"{path.name}:{number}: cannot read `{raw.strip()}`; keep environment.yml "
            "in its documented shape (top-level keys, one `  - spec` per line)"
        )
    return env


@dataclass
class LockedPackage:  # one `package:` entry of conda-lock.yml
    name: str = ""
    version: str = ""
    manager: str = ""  # conda | pip
    platform: str = ""
    url: str = ""
    build: str = ""
    category: str = "main"
    line: int = 0

    @property
    def build_string(self) -> str:
        """The `build` field, else the build part of the file name in the url."""
        if self.build or self.manager != "conda":
            return self.build
        stem = re.sub(r"(\.tar\.bz2|\.conda)$", "", self.url.rsplit("/", 1)[-1])
        prefix = f"{self.name}-{self.version}-"
        return stem[len(prefix) :] if stem.startswith(prefix) else ""


_LOCKED_FIELDS = ("name", "version", "manager", "platform", "url", "build", "category")


def read_conda_lock(path: Path = CONDA_LOCK) -> list[LockedPackage]:
    lines = path.read_text(encoding="utf-8").splitlines()
    if not any(re.match(r"^version:\s*1\s*$", line) for line in lines):
        raise ToolError(
            f"{path.name} is not a version-1 conda-lock file; re-create it: `invoke lock --conda`"
        )
    items: list[tuple[int, dict[str, str]]] = []  # (first line, the item's own keys)
    inside = False
    for number, raw in enumerate(lines, start=1):
        if raw.startswith("package:"):
            inside = True
        elif not inside or raw.lstrip().startswith("#"):
            continue
        elif raw and not raw[0].isspace() and not raw.startswith("- "):
            inside = False  # the next top-level key
        else:
            if raw.startswith("- "):
                items.append((number, {}))
                raw = "  " + raw[2:]
            match = re.match(r"^  ([a-z_]+):\s*(.*)$", raw)  # the item's own keys only
            if match and items:
                items[-1][1][match.group(1)] = _scalar(match.group(2))
    return [
        LockedPackage(**{key: fields[key] for key in _LOCKED_FIELDS if key in fields}, line=line)
        for line, fields in items
        if fields
    ]


def for_platform(packages: list[LockedPackage], subdir: str) -> list[LockedPackage]:
    return [package for package in packages if package.platform == subdir]


@dataclass
class Record:
    """An installed conda package, from `<prefix>/conda-meta/<name>-<version>-<build>.json`."""

    name: str
    version: str
    build: str
    path: Path


def is_conda_prefix(prefix: Path) -> bool:
    return (prefix / "conda-meta").is_dir()


def is_base_install(prefix: Path) -> bool:  # the root of a conda/mamba installation
    return (prefix / "condabin").is_dir() or (prefix / "envs").is_dir()


def installed_records(prefix: Path) -> dict[str, Record]:
    records: dict[str, Record] = {}
    for path in sorted((prefix / "conda-meta").glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ToolError(
                f"cannot read {path} ({error}); repair the env: `invoke env --force`"
            ) from None
        if isinstance(data, dict) and "name" in data:
            records[data["name"]] = Record(
                data["name"], str(data.get("version", "")), str(data.get("build", "")), path
            )
    return records


@dataclass
class CondaState:
    """What check-env needs to know about the running conda env and its lock."""

    prefix: Path
    lock: Path
    subdir: str
    records: dict[str, Record]
    locked: list[LockedPackage]

    @classmethod
    def load(cls, prefix: Path, lock: Path = CONDA_LOCK) -> CondaState:
        if not lock.exists():
            raise ToolError(
                f"{lock.name} not found, but this is a conda env; run `invoke lock --conda`"
            )
        subdir = current_platform()
        locked = for_platform(read_conda_lock(lock), subdir)
        return cls(prefix, lock, subdir, installed_records(prefix), locked)

    @cached_property
    def python_names(self) -> set[str]:
        """Canonical PyPI names of every package the conda lock provides."""
        return {pypi_name(package.name) for package in self.locked}
