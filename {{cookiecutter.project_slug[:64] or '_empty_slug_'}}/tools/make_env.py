"""Make `.venv` exactly the locks: `make env`, `invoke env`. Stdlib only (it runs first).

What differs is read from files alone, never the env's interpreter, so a no-op run takes a
fraction of a second. Drift is synced in place, downloads and hash checks first; what cannot
be synced (no env, another Python, a moved folder) and `--force` rebuild it (env_swap.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import dist_files, env_swap, lockfile, project
from .env_state import SEEDS, packaging_module
from .lock import install_args, lock, tool_executable
from .project import GPU, LOCK_TOOL, ROOT, VENV, ToolError, UsageError, env_locks, wanted_python
from .steps import find_python, run_step


@dataclass(frozen=True)
class Pin:
    version: str
    line: str  # the lock's requirement with its marker and hashes, for a requirements file


@dataclass
class EnvDiff:
    """What to do to `.venv`: rebuild it (and why), or the packages to change."""

    rebuild: str = ""  # why the env cannot be synced, e.g. "it was built by Python 3.12"
    install: list[Pin] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    project: str = ""  # why the project itself must be (re)installed
    changes: list[str] = field(default_factory=list)  # one line per repair, for the person

    @property
    def empty(self) -> bool:
        return not (self.rebuild or self.install or self.remove or self.project)


def venv_config(venv: Path) -> dict[str, str]:
    """pyvenv.cfg as a dict (venv writes `version`, uv `version_info`)."""
    try:
        text = (venv / "pyvenv.cfg").read_text(encoding="utf-8")
    except OSError:
        return {}
    pairs = (line.partition("=") for line in text.splitlines())
    return {key.strip(): value.strip() for key, sep, value in pairs if sep}


def venv_version(venv: Path) -> str | None:
    config = venv_config(venv)
    return config.get("version") or config.get("version_info")


def site_packages(venv: Path) -> Path | None:
    pattern = "Lib/site-packages" if os.name == "nt" else "lib/python*/site-packages"
    return min(venv.glob(pattern), default=None)


def installed(venv: Path) -> dict[str, dist_files.Dist]:
    """canonical name -> distribution installed in the env."""
    site = site_packages(venv)
    return dist_files.by_name(dist_files.installed([str(site)])) if site else {}


def stamp_text(venv: Path, locks: list[Path], *, just_installed: bool = False) -> str:
    """The record a complete build or sync leaves: where, with what, from which files, and the
    versions the locks ask of this env (after an install, those it put in), so that a no-op
    `make env` evaluates no marker: importing an evaluator costs more than the rest."""
    python = venv_version(venv) or ""
    if just_installed:
        found, unknown = installed(venv), set()
        names = {entry.name for lock_file in locks for entry in lockfile.read_lock(lock_file)}
        versions = {name: found[name].version for name in sorted(names & found.keys())}
    else:
        pins, unknown = wanted_pins(locks, python)
        versions = {name: pin.version for name, pin in pins.items()}
    record = {
        "path": str(venv.resolve()),
        "python": python,
        "lock_tool": LOCK_TOOL,
        "pyproject": lockfile.content_sha256(ROOT / "pyproject.toml"),
        "locks": lockfile.content_sha256(*locks),
        "lock_files": [lock_file.name for lock_file in locks],  # the variant, for check-env too
        "versions": versions,
        "unknown": sorted(unknown),
    }
    return json.dumps(record, indent=2, sort_keys=True) + "\n"


def recorded_versions(venv: Path, locks: list[Path]) -> tuple[dict[str, str], set[str]] | None:
    """The versions the stamp recorded, when it was written from these very locks."""
    stamp = env_swap.read_stamp(venv)
    versions, unknown = stamp.get("versions"), stamp.get("unknown")
    if stamp.get("locks") != lockfile.content_sha256(*locks) or not isinstance(versions, dict):
        return None
    return (versions, set(unknown)) if isinstance(unknown, list) else None


def marker_applies(marker: str, python_version: str) -> bool | None:
    """Whether a lock's marker holds in an env of `python_version` (None: no `packaging`)."""
    if not marker:
        return True
    packaging = packaging_module()
    if packaging is None:
        return None
    minor = project.python_minor(python_version)
    return packaging.markers.Marker(marker).evaluate(
        {"python_version": minor, "python_full_version": python_version}
    )


def wanted_pins(locks: list[Path], python_version: str) -> tuple[dict[str, Pin], set[str]]:
    """Pins that apply to this env, and names whose marker could not be evaluated."""
    pins: dict[str, Pin] = {}
    unknown: set[str] = set()
    for lock_file in locks:
        for entry in lockfile.read_lock(lock_file):
            if not entry.pinned_version or entry.name in pins:
                continue
            applies = marker_applies(entry.marker, python_version)
            if applies is None:
                unknown.add(entry.name)
            elif applies:
                marker = f" ; {entry.marker}" if entry.marker else ""
                hashes = " ".join(f"--hash={digest}" for digest in entry.hashes)
                line = f"{entry.requirement}{marker} {hashes}".strip()
                pins[entry.name] = Pin(entry.pinned_version, line)
    return pins, unknown


def rebuild_reason(venv: Path, wanted_python: str) -> str:
    """Why `venv` cannot be synced in place ('' when it can)."""
    if not venv.exists():
        return "there is none yet"
    version = venv_version(venv)
    if version is None:
        return f"{venv.name}/pyvenv.cfg is missing or unreadable"
    if not project.version_matches(version, wanted_python):
        return f"it was built by Python {version}, and .python-version says {wanted_python}"
    home = venv_config(venv).get("home")
    if home and not Path(home).is_dir():
        return f"its base interpreter's folder {home} is gone"
    stamp = env_swap.read_stamp(venv)
    if not stamp:
        return "it has no record of a complete build"
    if stamp.get("path") != str(venv.resolve()):
        return f"it was built at {stamp.get('path')} (moved or renamed; venvs cannot move)"
    if stamp.get("lock_tool") != LOCK_TOOL:
        return f"it was built with {stamp.get('lock_tool')}, and this project uses {LOCK_TOOL}"
    return "" if site_packages(venv) else "it has no site-packages folder"


def project_reason(venv: Path, dists: dict[str, dist_files.Dist]) -> str:
    """Why the project's own editable install must be redone ('' when it is in place)."""
    dist = dists.get(lockfile.canonical(project.DISTRIBUTION))
    if dist is None:
        return f"{project.DISTRIBUTION} (this project) is not installed"
    try:
        url = json.loads((dist.path / "direct_url.json").read_text(encoding="utf-8"))["url"]
    except (OSError, ValueError, TypeError, KeyError):
        url = ""
    if url.rstrip("/") != ROOT.resolve().as_uri():
        return f"{project.DISTRIBUTION} (this project) is installed from elsewhere"
    pyproject = lockfile.content_sha256(ROOT / "pyproject.toml")
    changed = env_swap.read_stamp(venv).get("pyproject") != pyproject
    return "pyproject.toml changed" if changed else ""


def differences(
    dists: dict[str, dist_files.Dist], versions: dict[str, str], unknown: set[str]
) -> tuple[list[str], list[str], list[str]]:
    """(names to install, names to remove, one line per change) between the two."""
    install, changes = [], []
    for name, version in sorted(versions.items()):
        found = dists[name].version if name in dists else None
        if found != version:
            install.append(name)
            changes.append(
                f"installed {name} {version}" if found is None else f"{name} {found} -> {version}"
            )
    keep = set(versions) | unknown | SEEDS | {lockfile.canonical(project.DISTRIBUTION)}
    remove = sorted(set(dists) - keep)
    changes += [f"removed {name} {dists[name].version}" for name in remove]
    return install, remove, changes


def diff(venv: Path, locks: list[Path], wanted_python: str) -> EnvDiff:
    """Compare `venv` with the locks; every repair is named in `changes`."""
    if reason := rebuild_reason(venv, wanted_python):
        return EnvDiff(rebuild=reason)
    dists = installed(venv)  # rebuild_reason made sure it has site-packages
    if LOCK_TOOL == "pip-tools" and "pip" not in dists:
        return EnvDiff(rebuild="pip, which syncs it, was removed from it")
    reinstall = project_reason(venv, dists)
    recorded = recorded_versions(venv, locks)
    if recorded and not reinstall and differences(dists, *recorded) == ([], [], []):
        return EnvDiff()  # the common no-op: no marker evaluated
    pins, unknown = wanted_pins(locks, venv_version(venv) or wanted_python)
    versions = {name: pin.version for name, pin in pins.items()}
    install, remove, changes = differences(dists, versions, unknown)
    if reinstall:
        changes.append(f"reinstalled the project ({reinstall})")
    return EnvDiff(
        install=[pins[name] for name in install], remove=remove, project=reinstall, changes=changes
    )


def missing_locks(variant: str = "cpu") -> list[str]:
    return [name for name in env_locks(variant) if not (ROOT / name).exists()]


def project_locks(variant: str = "cpu") -> list[Path]:
    return [ROOT / name for name in env_locks(variant)]


def refuse_missing_locks_in_ci(variant: str = "cpu") -> None:
    """A CI runner that locked for itself would test an env nobody reviewed: change nothing."""
    in_ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    if (missing := missing_locks(variant)) and in_ci:
        raise ToolError(
            f"{', '.join(missing)} missing, and CI never locks: run `invoke lock` "
            "locally, then commit the locks with the .in files"
        )


def ensure_locks(variant: str = "cpu") -> None:
    if missing := missing_locks(variant):
        print(f"env: {', '.join(missing)} missing; locking first (invoke lock)", flush=True)
        lock()
        names = " ".join(name for name, _ in project.ALL_LOCKS)
        print(f"env: commit the new locks with the .in files: `git add {names}`", flush=True)
    inputs = dict(project.ALL_LOCKS)
    for name in env_locks(variant):
        if reason := lockfile.stale_reason(ROOT / name, ROOT / inputs[name]):
            raise ToolError(f"{reason}, then `make env` again")


def chosen_variant(gpu: bool, cpu: bool) -> str:
    """--gpu or --cpu when given, else the variant the env was built as (CPU at first)."""
    if gpu and cpu:
        raise UsageError("--gpu and --cpu ask for two envs; give one of them")
    if not gpu:
        return project.variant_of(env_swap.stamped_locks(VENV)) if GPU and not cpu else "cpu"
    if not GPU:
        raise ToolError(
            "this project has no GPU variant (its gpu answer is no); "
            "run `make env`, or update the project with a CUDA version for gpu"
        )
    if not sys.platform.startswith("linux"):
        raise ToolError(
            f"the GPU env's CUDA wheels exist for Linux only, not {sys.platform}; "
            "run `make env` for the CPU env, or build the gpu image"
        )
    return "gpu"


def pip(verb: str) -> list[str]:
    """uv's pip, or the venv's own, run on .venv. `install` leaves bytecode to first import
    (pip's --no-compile; uv's default), most of a cold install's time saved; but where imports
    may not write it (PYTHONDONTWRITEBYTECODE), every start would compile again, so it does."""
    compile_now = bool(os.environ.get("PYTHONDONTWRITEBYTECODE")) and verb == "install"
    if LOCK_TOOL == "uv":
        uv_pip = [str(tool_executable()), "pip", verb, "--python", str(project.venv_python())]
        return [*uv_pip, "--compile-bytecode"] if compile_now else uv_pip
    extra = {"install": [] if compile_now else ["--no-compile"], "uninstall": ["--yes"]}[verb]
    return [str(project.venv_python()), "-m", "pip", verb, "--disable-pip-version-check", *extra]


def build_commands(python: str, locks: list[Path]) -> list[list[str]]:
    names = [lock_file.name for lock_file in locks]
    if LOCK_TOOL != "uv":
        locks_install = [*pip("install"), *install_args(names)]
        project_install = [*pip("install"), *project.PROJECT_INSTALL_ARGS]
        return [[python, "-m", "venv", str(VENV)], locks_install, project_install]
    # The locks and the project in one uv run (a second uv start is most of the project's
    # install time). Hash-checking mode refuses a local project, so every pin must carry
    # hashes (checked here), uv checks each one, and --no-deps adds nothing the locks omit.
    for lock_file in locks:
        for entry in lockfile.read_lock(lock_file):
            if not entry.hashes:
                raise ToolError(
                    f"{lock_file.name}:{entry.line_no}: {entry.name} has no --hash; "
                    "run `invoke lock`, which writes a hash for every pin"
                )
    create = [str(tool_executable()), "venv", "--quiet", "--python", python, str(VENV)]
    # No --no-index (the locks need the index): uv builds its own uv_build backend
    # in-process, so --no-build-isolation fetches no backend.
    one_pass = ["--no-deps", "--no-build-isolation", *install_args(names, require_hashes=False)]
    return [create, [*pip("install"), *one_pass, "--editable", "."]]


def rebuild(reason: str, locks: list[Path]) -> None:
    """Build a new .venv beside the old one, which comes back if the build fails."""
    # Windows cannot rename a folder whose python.exe is running (invoke from .venv).
    if os.name == "nt" and Path(sys.prefix).resolve() == VENV.resolve():
        raise ToolError(
            "this command runs from .venv, which Windows cannot replace while it runs; "
            "run `python -m tools env` with a Python outside .venv"
        )
    wanted = wanted_python()
    python = find_python(wanted)
    commands = build_commands(python, locks)  # its refusals come before the env is moved
    print(f"env: building .venv with Python {wanted} ({python}): {reason}", flush=True)
    with env_swap.swapped_in(VENV, lambda: stamp_text(VENV, locks, just_installed=True)):
        env_swap.run_steps("env", commands, ROOT, "installing the locks into .venv")


def apply(found: EnvDiff, locks: list[Path]) -> None:
    """Sync the env in place: install what differs (all downloads and hash checks come
    before the first change), then remove what no lock names, then the project."""
    if found.install:
        with tempfile.TemporaryDirectory(prefix="make-env-") as scratch:
            wanted = Path(scratch) / "requirements-sync.txt"
            wanted.write_text("".join(f"{pin.line}\n" for pin in found.install), encoding="utf-8")
            names = [lock_file.name for lock_file in locks]
            command = [*pip("install"), "--no-deps", *install_args(names, [str(wanted)])]
            run_step("env", command, "syncing .venv with the locks", cwd=ROOT)
    if found.remove:
        run_step("env", [*pip("uninstall"), *found.remove], "removing unlocked packages", cwd=ROOT)
    if found.project:
        command = [*pip("install"), *project.PROJECT_INSTALL_ARGS]
        run_step("env", command, "installing the project", cwd=ROOT)
    env_swap.write_stamp(VENV, stamp_text(VENV, locks))


def is_exactly_the_locks() -> bool:
    """Whether `make env` would find nothing to do (and the locks are there)."""
    variant = chosen_variant(gpu=False, cpu=False)
    return not missing_locks(variant) and diff(VENV, project_locks(variant), wanted_python()).empty


def sync(force: bool = False, variant: str = "cpu") -> None:
    refuse_missing_locks_in_ci(variant)
    with env_swap.env_lock("env"):
        env_swap.recover_interrupted_build(VENV)
        ensure_locks(variant)
        started = time.monotonic()
        locks = project_locks(variant)
        found = diff(VENV, locks, wanted_python())
        what = f".venv ({variant.upper()} env)" if GPU else ".venv"
        if force or found.rebuild:
            rebuild(found.rebuild or "--force", locks)
        elif found.empty:
            print(f"env: {what} is exactly the locks; nothing to do", flush=True)
            return
        else:
            apply(found, locks)
            for change in found.changes:
                print(f"env: {change}", flush=True)
        took = f"{time.monotonic() - started:.1f}s"
        print(f"env: {what} ready in {took}; check it with `invoke check-env`", flush=True)


def offline_from(folder: Path) -> None:
    """Install from an intact archive's wheels alone, never the package index."""
    from . import archive

    archive.refuse_unusable(folder)
    wheels = str((folder / "wheels").resolve())
    # Read by every pip and uv below, the bootstrap of the lock tool included.
    os.environ.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=wheels, UV_OFFLINE="1", UV_FIND_LINKS=wheels)
    print(f"env: installing from {folder} only (no package index)", flush=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    # fmt: off
    add("--force", action="store_true",
        help="rebuild from scratch, even when the env could be synced")
    add("--from-archive", type=Path, metavar="DIR",
        help="install from the wheels of an `invoke archive` folder, with no package index")
    if GPU:
        add("--gpu", action="store_true",
            help="build the GPU env (requirements-gpu.txt, Linux); later runs keep it")
        add("--cpu", action="store_true", help="go back to the CPU env (the default)")
    if project.ENV_MANAGER == "conda":
        add("--venv", action="store_true",
            help="build the pip-locked .venv instead of .conda-env (lint, nox)")
    # fmt: on


def run(args: argparse.Namespace) -> int:
    gpu, cpu = getattr(args, "gpu", False), getattr(args, "cpu", False)
    if project.ENV_MANAGER == "conda" and not args.venv:
        if args.from_archive:
            raise ToolError(
                "--from-archive rebuilds the pip-locked .venv from the archive's wheels",
                "add --venv (conda packages are not archived)",
            )
        if gpu:
            raise ToolError(
                "--gpu builds the pip-locked .venv from requirements-gpu.txt; "
                "add --venv (.conda-env takes its CUDA from environment.yml)"
            )
        from . import conda_env

        conda_env.find_solver()  # no solver: say so before locking anything
        refuse_missing_locks_in_ci()
        ensure_locks()  # the dev tools come from requirements-dev.txt
        conda_env.sync(args.force)
        return project.EXIT_OK
    variant = chosen_variant(gpu, cpu)
    if args.from_archive:
        if missing := missing_locks(variant):
            raise ToolError(
                f"{', '.join(missing)} missing: an archive rebuilds the locks "
                "of the commit it was made from",
                "check out that commit",
            )
        offline_from(ROOT / args.from_archive)
    sync(args.force, variant)
    return project.EXIT_OK
