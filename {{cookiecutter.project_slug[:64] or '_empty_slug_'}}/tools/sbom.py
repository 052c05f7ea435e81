"""`python -m tools sbom`: a CycloneDX 1.6 SBOM (JSON) of the locks, from the locks alone.

Each pin is a component (purl, sha256 hashes), `# via` the dependency graph. No serial number,
no timestamp: the same locks give the same bytes, to commit and diff. An image makes its own.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from . import lockfile
from .project import DISTRIBUTION, EXIT_OK, ROOT, ToolError, load_pyproject, runtime_locks

DEFAULT_OUTPUT = "sbom.cdx.json"


def default_locks() -> list[str]:
    """The locks an image declares (REPRO_LOCKS), else the CPU env's runtime locks."""
    return os.environ.get("REPRO_LOCKS", "").split() or list(runtime_locks("cpu"))


def bom(locks: list[Path]) -> dict:
    """One component per pinned name and version, with every sha256 the locks allow; the
    graph from `# via`: a pin `via rich` is needed by rich's pins, `via -r x.in` by the project."""
    entries = [e for lock in locks for e in lockfile.read_lock(lock) if e.pinned_version]
    purls = [f"pkg:pypi/{entry.name}@{entry.pinned_version}" for entry in entries]
    pins: dict[str, tuple[lockfile.LockLine, set[str]]] = {}
    parents: dict[str, list[str]] = {"-r": [DISTRIBUTION]}
    for entry, purl in zip(entries, purls, strict=True):
        _, digests = pins.setdefault(purl, (entry, set()))
        digests.update(h.removeprefix("sha256:") for h in entry.hashes if h.startswith("sha256:"))
        parents.setdefault(entry.name, []).append(purl)
    needs: dict[str, set[str]] = {DISTRIBUTION: set(), **{purl: set() for purl in purls}}
    for entry, purl in zip(entries, purls, strict=True):
        for via in entry.via:  # `-c x.txt` names no parent: no canonical name starts with "-"
            parent = "-r" if via.startswith("-r") else lockfile.canonical(via.split("[")[0])
            for ref in parents.get(parent, []):
                needs[ref].add(purl)
    components = [
        {"type": "library", "bom-ref": ref, "name": entry.name, "version": entry.pinned_version,
         "purl": ref, "hashes": [{"alg": "SHA-256", "content": c} for c in sorted(digests)]}
        for ref, (entry, digests) in sorted(pins.items())
    ]  # fmt: skip
    project = {"type": "application", "bom-ref": DISTRIBUTION, "name": DISTRIBUTION}
    version = (load_pyproject() or {}).get("project", {}).get("version")  # None: 3.10, no tomli
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "component": {**project, "version": version} if version else project,
            "properties": [
                {"name": "repro:locks", "value": " ".join(lock.name for lock in locks)},
                # The hash an image's tag and its io.repro.lock-sha256 label carry.
                {"name": "repro:lock-sha256", "value": lockfile.content_sha256(*locks)},
            ],
        },
        "components": components,
        "dependencies": [{"ref": ref, "dependsOn": sorted(needs[ref])} for ref in sorted(needs)],
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    locks = "$REPRO_LOCKS in an image, else the runtime lock"
    lock = f"a lock to describe (repeatable; default: {locks})"
    parser.add_argument("--lock", action="append", type=Path, metavar="FILE", help=lock)
    output = f"where to write it (default: {DEFAULT_OUTPUT}; `-` for stdout)"
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, metavar="FILE", help=output)


def run(args: argparse.Namespace) -> int:
    locks = [ROOT / name for name in (args.lock or default_locks())]
    missing = [lock.name for lock in locks if not lock.exists()]
    if missing:
        raise ToolError(f"{', '.join(missing)} not found; run `invoke lock` first")
    document = bom(locks)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if str(args.output) == "-":
        print(text, end="")
        return EXIT_OK
    (ROOT / args.output).write_text(text, encoding="utf-8")  # the doors translate what is typed
    names = " ".join(lock.name for lock in locks)
    print(f"sbom: wrote {args.output} ({len(document['components'])} components from {names})")
    return EXIT_OK
