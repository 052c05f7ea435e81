"""`python -m tools sbom`: a CycloneDX 1.6 SBOM (JSON) of the locks, from the locks alone.

Every pin is a component with its version, purl and sha256 hashes; the `# via` annotations
are the dependency graph, the project at its root. Nothing random goes in (no serial number,
no timestamp), so the same locks always give the same bytes: the file can be committed,
diffed and attached to a release. An image's SBOM is made inside it from its REPRO_LOCKS.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from . import lockfile
from .project import DISTRIBUTION, EXIT_OK, ROOT, ToolError, load_pyproject, runtime_locks

SPEC_VERSION = "1.6"
DEFAULT_OUTPUT = "sbom.cdx.json"


def purl(entry: lockfile.LockLine) -> str:
    """The package URL of a pin (names PEP 503-normalised, as purl's pypi type asks)."""
    return f"pkg:pypi/{entry.name}@{entry.pinned_version}"


def default_locks() -> list[str]:
    """The locks an image declares (REPRO_LOCKS), else the CPU env's runtime locks."""
    return os.environ.get("REPRO_LOCKS", "").split() or list(runtime_locks("cpu"))


def components(entries: list[lockfile.LockLine]) -> list[dict]:
    """One component per pinned name and version, with every sha256 the locks allow."""
    pins = {purl(entry): entry for entry in entries}
    digests: dict[str, set[str]] = {ref: set() for ref in pins}
    for entry in entries:
        parts = (digest.partition(":") for digest in entry.hashes)
        digests[purl(entry)] |= {content for kind, _, content in parts if kind == "sha256"}
    return [
        {"type": "library", "bom-ref": ref, "name": entry.name, "version": entry.pinned_version,
         "purl": ref, "hashes": [{"alg": "SHA-256", "content": c} for c in sorted(digests[ref])]}
        for ref, entry in sorted(pins.items())
    ]  # fmt: skip


def dependencies(entries: list[lockfile.LockLine]) -> list[dict]:
    """Who needs whom, read from `# via`: a pin `via rich` is a dependency of rich's pins;
    one `via -r requirements.in` is one of the project's own."""
    refs: dict[str, list[str]] = {}
    for entry in entries:
        refs.setdefault(entry.name, []).append(purl(entry))
    needs: dict[str, set[str]] = {DISTRIBUTION: set(), **{purl(entry): set() for entry in entries}}
    for entry in entries:
        for via in entry.via:
            if via.startswith("-r"):
                needs[DISTRIBUTION].add(purl(entry))
            elif not via.startswith("-"):
                for parent in refs.get(lockfile.canonical(via.split("[")[0]), []):
                    needs[parent].add(purl(entry))
    return [{"ref": ref, "dependsOn": sorted(needs[ref])} for ref in sorted(needs)]


def project_component() -> dict:
    component = {"type": "application", "bom-ref": DISTRIBUTION, "name": DISTRIBUTION}
    pyproject = load_pyproject()  # None on Python 3.10 without tomli: no version then
    version = (pyproject or {}).get("project", {}).get("version")
    return {**component, "version": version} if version else component


def bom(locks: list[Path]) -> dict:
    """The SBOM of these locks, as a JSON-ready dict."""
    entries = [e for lock in locks for e in lockfile.read_lock(lock) if e.pinned_version]
    names = " ".join(lock.name for lock in locks)
    properties = [
        {"name": "repro:locks", "value": names},
        # The hash an image's tag and its io.repro.lock-sha256 label carry.
        {"name": "repro:lock-sha256", "value": lockfile.content_sha256(*locks)},
    ]
    return {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": {"component": project_component(), "properties": properties},
        "components": components(entries),
        "dependencies": dependencies(entries),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lock",
        action="append",
        type=Path,
        metavar="FILE",
        help="a lock to describe (repeatable; default: $REPRO_LOCKS in an image, "
        "else the runtime lock)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path(DEFAULT_OUTPUT),
        metavar="FILE",
        help=f"where to write it (default: {DEFAULT_OUTPUT}; `-` for stdout)",
    )


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
    output = ROOT / args.output  # relative to the project (the doors translate what is typed)
    output.write_text(text, encoding="utf-8")
    names = " ".join(lock.name for lock in locks)
    print(f"sbom: wrote {args.output} ({len(document['components'])} components from {names})")
    return EXIT_OK
