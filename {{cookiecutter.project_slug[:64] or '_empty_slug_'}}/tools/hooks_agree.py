"""hooks-agree: pre-commit hooks run the tool versions pinned in requirements-dev.txt.

Hooks are `repo: local` with `additional_dependencies` pinned as requirements-dev.txt pins
them, so `ruff` in a hook and in `.venv` are the same ruff; no hook repository is cloned.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import lockfile, yaml_nodes
from .project import DEV_LOCK, ROOT
from .results import Problem, Result, at, checked

CHECK = "hooks-agree"
CONFIG = ROOT / ".pre-commit-config.yaml"


def drift() -> Iterator[Problem]:
    if not CONFIG.exists():
        return
    root = yaml_nodes.read(CONFIG)
    for number, repo in yaml_nodes.scalars(root, "repo"):
        if repo not in ("local", "meta"):
            what = f"hook repository {repo} is cloned from the network"
            fix = "use `repo: local` with `language: python` and a pinned `additional_dependencies`"
            yield at(CONFIG, number, what, fix)
    if not DEV_LOCK.exists():
        return  # lock-fresh reports the missing lock
    pins = {e.name: e.pinned_version for e in lockfile.read_lock(DEV_LOCK) if e.pinned_version}
    for number, requirement in yaml_nodes.scalars(root, "additional_dependencies"):
        spec, _, marker = requirement.partition(";")
        entry = lockfile.LockLine(number, spec.strip(), marker.strip())
        name, version = entry.name, entry.pinned_version
        if name not in pins:
            what = f"hook dependency `{requirement}` is not in requirements-dev.txt"
            fix = f"add {name} to requirements-dev.in, run `invoke lock`, pin the same version here"
        elif version is None:
            what = f"hook dependency `{requirement}` is not pinned with =="
            fix = f"write `{name}=={pins[name]}` (the version in requirements-dev.txt)"
        elif version != pins[name]:
            what = f"hook pins {name}=={version}, requirements-dev.txt pins {pins[name]}"
            fix = f"write `{name}=={pins[name]}` here, or change requirements-dev.in and re-lock"
        else:
            continue
        yield at(CONFIG, number, what, fix)


def result() -> Result:
    return checked(CHECK, drift(), "hook versions equal requirements-dev.txt")
