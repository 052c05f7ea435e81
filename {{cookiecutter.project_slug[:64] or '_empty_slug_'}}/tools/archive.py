"""`python -m tools archive`: everything needed to rebuild the env years later, offline.

One folder of wheels, locks, report, SBOM, image and checksums (docs/environment.md lists
them); `--verify DIR` checks it, `invoke env --from-archive DIR` rebuilds from it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from . import lockfile, project
from .project import ALL_LOCKS, DISTRIBUTION, EXIT_OK, ROOT, ToolError, env_python, wanted_python
from .results import Problem, Result, checked, print_lines
from .steps import find_python, run_step

SUMS = "SHA256SUMS"
NOTE = "REBUILD.md"
RESTORE = "restore it from a copy"


def lock_names() -> list[str]:
    return [name for name, _ in ALL_LOCKS if (ROOT / name).exists()]


def sha256(path: Path) -> str:
    return lockfile.file_sha256(path).hex()


def save_image(folder: Path) -> str:
    """`docker save` of the cpu image of these locks, when it was built; what happened."""
    if not project.DOCKER:
        return "no image: this project has no Dockerfile"
    from . import container

    tag = container.locked_tag("cpu")
    try:
        engine = container.find_engine()
    except ToolError:
        return f"no container engine: image {tag} not saved"
    found = subprocess.run([engine, "image", "inspect", tag], capture_output=True, check=False)
    if found.returncode != 0:
        return f"image {tag} not built (`invoke docker-build`): not saved"
    output = folder / "image-cpu.tar"
    run_step("archive", [engine, "save", "--output", str(output), tag], f"saving {tag}", cwd=ROOT)
    return f"saved image {tag} as {output.name}"


def rebuild_note(image_line: str, lock_sha: str) -> str:
    python = wanted_python()
    locks = " ".join(f"-r locks/{name}" for name in lock_names())
    load = "\nThe image, saved beside them:\n\n```bash\ndocker load --input image-cpu.tar\n```\n"
    return f"""# Rebuilding {DISTRIBUTION}'s environment without a network

Made from the locks whose hash is `{lock_sha[:12]}` ({image_line}).
You need a fresh machine with Python {python} (the platform of
`env-report.json`) and this folder; nothing is downloaded.

1. Check that nothing changed: `sha256sum --check SHA256SUMS`.
2. With the project checked out at the commit these locks come from:
   `python -m tools env --from-archive PATH/TO/THIS/FOLDER`, then
   `.venv/bin/python -m tools report --compare PATH/TO/THIS/FOLDER/env-report.json`.

Without the project's tools, the same env with plain pip:

```bash
python{python} -m venv env
env/bin/python -m pip install --no-index --find-links wheels \\
    {" ".join(project.LOCK_INSTALL_ARGS)} {locks}
```
{load if image_line.startswith("saved") else ""}"""


def write_sums(folder: Path) -> None:
    files = sorted(path for path in folder.rglob("*") if path.is_file() and path.name != SUMS)
    lines = [f"{sha256(path)}  {path.relative_to(folder).as_posix()}\n" for path in files]
    (folder / SUMS).write_text("".join(lines), encoding="utf-8")


def create(folder: Path, lock_sha: str) -> None:
    """Written as `<folder>.partial`, renamed when whole: never a folder that looks whole."""
    from .lock import install_args

    if not env_python().exists():
        raise ToolError(
            "no project env to report on", "run `make env` first: the archive records its report"
        )
    if folder.exists():
        raise ToolError(f"{folder} exists", "give another --output, or remove it first")
    # The locks, their inputs and the Python: the text files that say what the env is.
    kept = [name for pair in ALL_LOCKS for name in pair]
    kept += ["pylock.toml", "environment.yml", "conda-lock.yml", project.PYTHON_VERSION_FILE.name]
    pip = [find_python(wanted_python()), "-m", "pip", "download", "--no-deps"]
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    (partial / "locks").mkdir(parents=True)
    # The env's report (what a rebuild is compared with) and the SBOM, each by its verb.
    tools = [str(env_python()), "-m", "tools"]
    report = [*tools, "report", "--output", str(partial / "env-report.json")]
    locks = [arg for name in lock_names() for arg in ("--lock", name)]
    sbom = [*tools, "sbom", "--output", str(partial / "sbom.cdx.json"), *locks]
    try:
        for name in kept:
            if (ROOT / name).exists():
                shutil.copy2(ROOT / name, partial / "locks" / name)
        for name in lock_names():  # pip refuses any file the lock has no hash of
            command = [*pip, "--dest", str(partial / "wheels"), *install_args([name])]
            run_step("archive", command, f"downloading the wheels of {name}", cwd=ROOT)
        run_step("archive", report, "writing the env's report", cwd=ROOT)
        run_step("archive", sbom, "writing the SBOM", cwd=ROOT)
        image_line = save_image(partial)
        print(f"archive: {image_line}", flush=True)
        (partial / NOTE).write_text(rebuild_note(image_line, lock_sha), encoding="utf-8")
        write_sums(partial)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    partial.rename(folder)


def problems(folder: Path) -> Iterator[Problem]:
    """Each file against SHA256SUMS, and each wheel against its lock's hashes."""
    sums = folder / SUMS
    if not sums.is_file():
        yield Problem(f"{folder}: no {SUMS}", fix="give the folder `invoke archive` wrote")
        return
    lines = (line.partition("  ") for line in sums.read_text(encoding="utf-8").splitlines())
    listed = {name: digest for digest, _, name in lines}
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    for name in sorted(present - set(listed) - {SUMS}):
        yield Problem(f"{name}: not in {SUMS}", fix="remove it, or make a new archive")
    for name, digest in sorted(listed.items()):
        if name not in present:
            yield Problem(f"{name}: listed in {SUMS}, missing", fix=RESTORE)
        elif sha256(folder / name) != digest:
            yield Problem(f"{name}: its sha256 is not {SUMS}'s", fix=RESTORE)
    locks = [folder / "locks" / name for name, _ in ALL_LOCKS]
    entries = [entry for lock in locks if lock.exists() for entry in lockfile.read_lock(lock)]
    allowed = {(e.name, value.removeprefix("sha256:")) for e in entries for value in e.hashes}
    for wheel in sorted((folder / "wheels").glob("*.whl")):
        if (lockfile.canonical(wheel.name.split("-")[0]), sha256(wheel)) not in allowed:
            yield Problem(f"wheels/{wheel.name}: no lock lists its sha256", fix=RESTORE)


def refuse_unusable(folder: Path) -> None:
    """Refuse an archive with a changed file, or whose locks are not this checkout's."""
    first = next(problems(folder), None)
    if first:
        raise ToolError(
            f"{folder} is not the archive it was ({first.what})",
            f"`invoke archive --verify {folder}` lists every problem; use an intact copy",
        )
    archived = {p.name: p.read_bytes() for p in (folder / "locks").glob("*") if p.is_file()}
    differ = [name for name in lock_names() if archived.get(name) != (ROOT / name).read_bytes()]
    if differ:
        raise ToolError(
            f"{', '.join(differ)} here differ from the archive's locks",
            "check out the commit the archive was made from (its locks are in locks/)",
        )


def verify(folder: Path) -> Result:
    return checked(
        "archive", problems(folder), f"{folder}: every file matches {SUMS} and the locks"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    default = "the folder to write (default: archives/<slug>-<lock hash 12>)"
    parser.add_argument("--output", type=Path, metavar="DIR", help=default)
    verify_help = "check an archive's files against its SHA256SUMS and its locks, write nothing"
    parser.add_argument("--verify", type=Path, metavar="DIR", help=verify_help)


def run(args: argparse.Namespace) -> int:
    if args.verify:
        result = verify(args.verify)
        for problem in result.problems:
            print(f"archive: {problem}")
        if result.problems:
            count = len(result.problems)
            raise ToolError(f"{args.verify} is not the archive it was: {count} problem(s) above")
        return print_lines(result)
    if not lock_names():
        raise ToolError("no lock to archive", "run `invoke lock` first")
    lock_sha = lockfile.content_sha256(*(ROOT / name for name in lock_names()))
    folder = ROOT / (args.output or f"archives/{DISTRIBUTION}-{lock_sha[:12]}")
    create(folder, lock_sha)
    shown = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder
    print(f"archive: wrote {shown}; {NOTE} there says how to rebuild from it", flush=True)
    return EXIT_OK
