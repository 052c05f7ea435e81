"""pins-exact: exact versions in locks, base images and CI actions; no index in a lock.

- every requirement of every lock is `==`-pinned and carries a `--hash`, and
  no lock says where packages come from (`--index-url`, `--extra-index-url`,
  `--find-links`, `--trusted-host`): a line added there would make every
  install ask another server, over plain http if it says so;
- every Dockerfile base image (resolved through its ARG defaults) names a
  fixed tag, not `latest` and not none (a digest may follow the tag);
- every `uses:` of `.github/workflows/*.yml` names a full 40-hex commit SHA
  (the release in a comment): a tag can be moved to other code, a SHA cannot.
Exit 0 when all are pinned, 1 with one line per loose pin.
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
    for lock_name, _ in ALL_LOCKS:
        lock = ROOT / lock_name
        if not lock.exists():
            continue  # lock-fresh reports a missing lock
        for number, raw in enumerate(lock.read_text(encoding="utf-8").splitlines(), start=1):
            if re.match(r"\s*(-e|--editable)\s", raw):
                yield at(lock, number, f"editable line `{raw.strip()}`", RELOCK)
            source = SOURCE_OPTION.match(raw)
            if source:
                what = f"`{source.group(1)}` line: the lock names where packages come from"
                yield at(lock, number, what, SOURCE_FIX)
        for entry in lockfile.read_lock(lock):
            if entry.pinned_version is None:
                yield at(
                    lock,
                    entry.line_no,
                    f"`{entry.requirement}` is not pinned with ==",
                    RELOCK,
                )
            elif not entry.hashes:
                yield at(
                    lock,
                    entry.line_no,
                    f"`{entry.requirement}` has no --hash",
                    RELOCK,
                )


def loose_base_images(root: Path = ROOT) -> Iterator[Problem]:
    for path in dockerfile.dockerfiles(root):
        seen: set[tuple[int, str | None]] = set()
        for base in dockerfile.base_images(path):
            if (base.source_line, base.image) in seen:
                continue  # several stages built FROM one ARG: one finding, at the ARG
            seen.add((base.source_line, base.image))
            if base.image is None:
                yield at(
                    path,
                    base.line,
                    f"base image `{base.written}` uses ARG {base.unresolved}, which has no default",
                    f"give it a pinned default: `ARG {base.unresolved}=python:3.X-slim`",
                )
                continue
            _, tag, digest = dockerfile.split_image(base.image)
            where = "" if base.source_line == base.line else f" (used by FROM on line {base.line})"
            if tag is None and digest is None:
                problem = f"base image `{base.image}` has no tag, so it floats to latest{where}"
            elif tag is not None and tag.lower() in FLOATING_TAGS:
                problem = f"base image `{base.image}` uses the floating tag `{tag}`{where}"
            else:
                continue
            yield at(
                path,
                base.source_line,
                problem,
                "name a fixed tag such as `python:3.11-slim` (a `@sha256:` digest may follow)",
            )


def loose_actions(root: Path = ROOT) -> Iterator[Problem]:
    for path in workflows(root):
        for key, value in yaml_nodes.pairs(yaml_nodes.read(path)):
            if key != "uses" or value.id != "scalar":
                continue
            uses = str(value.value)
            if uses.startswith(("./", "docker://")):
                continue
            action, _, ref = uses.partition("@")
            if COMMIT_SHA.fullmatch(ref):
                continue
            problem = (
                f"`{action}` has no ref"
                if not ref
                else f"`{action}@{ref}` is not pinned to a commit SHA"
            )
            yield at(
                path,
                yaml_nodes.line(value),
                problem,
                f"pin the release's full commit SHA, the tag as a comment: "
                f"`{action}@<40-hex sha> # v4.2.1`",
            )


def result() -> Result:
    problems = [*loose_lock_lines(), *loose_base_images(), *loose_actions()]
    return checked(CHECK, problems, "locks, base images and actions are pinned")
