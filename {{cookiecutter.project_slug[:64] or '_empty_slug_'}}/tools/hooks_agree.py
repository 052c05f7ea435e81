"""hooks-agree: pre-commit hooks run the tool versions pinned in requirements-dev.txt.

Every hook installs from the package index (`repo: local` with pinned
`additional_dependencies`); no hook repository is cloned. Each pinned
dependency must equal the pin of requirements-dev.txt, so `ruff` in a hook
and `ruff` in `.venv` are the same ruff. Stdlib only: the config is read
line by line, not with a YAML library. Exit 0 when they agree, 1 otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import lockfile
from .findings import Finding, report
from .project import DEV_LOCK, ROOT

CHECK = "hooks-agree"
CONFIG = ROOT / ".pre-commit-config.yaml"


def hook_dependencies(text: str) -> Iterator[tuple[int, str]]:
    """(line, requirement) for every item of every `additional_dependencies` list."""
    inside, indent = False, 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.split(" #", 1)[0].strip()
        current = len(line) - len(line.lstrip())
        if inside and stripped.startswith("- ") and current >= indent:
            yield number, stripped[2:].strip().strip("'\"")
            continue
        inside = False
        key, colon, value = stripped.partition(":")
        if colon and key.lstrip("- ").strip() == "additional_dependencies":
            value = value.strip()
            if value.startswith("["):
                for item in value.strip("[]").split(","):
                    if item.strip():
                        yield number, item.strip().strip("'\"")
            else:
                inside, indent = True, current


def remote_repos(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"\s*-?\s*repo:\s*['\"]?([^'\"\s#]+)", line)
        if match and match.group(1) not in ("local", "meta"):
            yield number, match.group(1)


def drift() -> Iterator[Finding]:
    if not CONFIG.exists():
        return
    text = CONFIG.read_text(encoding="utf-8")
    for number, repo in remote_repos(text):
        yield Finding(
            CONFIG,
            number,
            CHECK,
            f"hook repository {repo} is cloned from the network",
            "use `repo: local` with `language: python` and a pinned `additional_dependencies`",
        )
    if not DEV_LOCK.exists():
        return  # lock-fresh reports the missing lock
    pins = {e.name: e.pinned_version for e in lockfile.read_lock(DEV_LOCK) if e.pinned_version}
    for number, requirement in hook_dependencies(text):
        spec, _, marker = requirement.partition(";")
        entry = lockfile.LockLine(number, spec.strip(), marker.strip())
        name, version = entry.name, entry.pinned_version
        if name not in pins:
            yield Finding(
                CONFIG,
                number,
                CHECK,
                f"hook dependency `{requirement}` is not in requirements-dev.txt",
                f"add {name} to requirements-dev.in, run `invoke lock`, pin the same version here",
            )
        elif version is None:
            yield Finding(
                CONFIG,
                number,
                CHECK,
                f"hook dependency `{requirement}` is not pinned with ==",
                f"write `{name}=={pins[name]}` (the version in requirements-dev.txt)",
            )
        elif version != pins[name]:
            yield Finding(
                CONFIG,
                number,
                CHECK,
                f"hook pins {name}=={version}, requirements-dev.txt pins {pins[name]}",
                f"write `{name}=={pins[name]}` here, or change requirements-dev.in and re-lock",
            )


def check() -> int:
    """Print each hook whose version drifted (or the one-line ok); 1 when there is any."""
    return report(drift(), f"{CHECK}: ok (hook versions equal requirements-dev.txt)")
