"""pins-exact: exact versions in locks, base images and CI actions; no index in a lock.

A lock's `--index-url` line would send every install to another server. A `uses:` must name a
commit SHA: a tag can be moved to other code, a SHA cannot.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from . import dockerfile, lockfile, yaml_nodes
from .project import ALL_LOCKS, ROOT, workflows
from .results import Problem, Result, at, checked

CHECK = "pins-exact"
RELOCK = "re-lock with `invoke lock` (locks are written by the tool, not by hand)"
FLOATING_TAGS = {"latest", "stable", "edge", "nightly", "rolling", "main", "master", "dev"}
COMMIT_SHA = re.compile(r"[0-9a-f]{40}")
# pip's options that point an install at another source of packages.
SOURCE_OPTION = re.compile(
    r"\s*(-i|--index-url|--extra-index-url|-f|--find-links|--trusted-host)(?=[\s=]|$)"
)
SOURCE_FIX = (
    "delete the line: indexes are set where installs run (pip.conf, uv.toml, "
    "PIP_INDEX_URL), never in a lock; `invoke lock` leaves them out"
)


def loose_lock_lines() -> Iterator[Problem]:
    for lock in (ROOT / lock_name for lock_name, _ in ALL_LOCKS):
        if not lock.exists():
            continue  # lock-fresh reports a missing lock
        for number, raw in enumerate(lock.read_text(encoding="utf-8").splitlines(), start=1):
            if re.match(r"\s*(-e|--editable)\s", raw):
                yield at(lock, number, f"editable line `{raw.strip()}`", RELOCK)
            if source := SOURCE_OPTION.match(raw):
                what = f"`{source.group(1)}` line: the lock names where packages come from"
                yield at(lock, number, what, SOURCE_FIX)
        for entry in lockfile.read_lock(lock):
            if entry.pinned_version is None or not entry.hashes:
                loose = "has no --hash" if entry.pinned_version else "is not pinned with =="
                yield at(lock, entry.line_no, f"`{entry.requirement}` {loose}", RELOCK)


def loose_base_images(root: Path = ROOT) -> Iterator[Problem]:
    for path in dockerfile.dockerfiles(root):
        seen: set[tuple[int, str | None]] = set()
        for base in dockerfile.base_images(path):
            if (base.source_line, base.image) in seen:
                continue  # several stages built FROM one ARG: one finding, at the ARG
            seen.add((base.source_line, base.image))
            if base.image is None:
                arg = base.unresolved
                what = f"base image `{base.written}` uses ARG {arg}, which has no default"
                fix = f"give it a pinned default: `ARG {arg}=python:3.X-slim`"
                yield at(path, base.line, what, fix)
                continue
            _, tag, digest = dockerfile.split_image(base.image)
            where = "" if base.source_line == base.line else f" (used by FROM on line {base.line})"
            if tag is None and digest is None:
                problem = f"base image `{base.image}` has no tag, so it floats to latest{where}"
            elif tag is not None and tag.lower() in FLOATING_TAGS:
                problem = f"base image `{base.image}` uses the floating tag `{tag}`{where}"
            else:
                continue
            fix = "name a fixed tag such as `python:3.11-slim` (a `@sha256:` digest may follow)"
            yield at(path, base.source_line, problem, fix)


def loose_actions(root: Path = ROOT) -> Iterator[Problem]:
    for path in workflows(root):
        for line, uses in yaml_nodes.scalars(yaml_nodes.read(path), "uses"):
            action, _, ref = uses.partition("@")
            if uses.startswith(("./", "docker://")) or COMMIT_SHA.fullmatch(ref):
                continue
            problem = f"`{uses}` is not pinned to a commit SHA" if ref else f"`{action}` has no ref"
            sha = f"`{action}@<40-hex sha> # v4.2.1`"
            fix = f"pin the release's full commit SHA, the tag as a comment: {sha}"
            yield at(path, line, problem, fix)


def result() -> Result:
    problems = [*loose_lock_lines(), *loose_base_images(), *loose_actions()]
    return checked(CHECK, problems, "locks, base images and actions are pinned")
