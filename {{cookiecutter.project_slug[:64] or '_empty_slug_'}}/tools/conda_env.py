"""The conda path: `lock` writes conda-lock.yml, `env` builds .conda-env from it.

conda-lock solves environment.yml with micromamba, mamba or conda from PATH; `env` installs the
lock into `.conda-env/` (explicit URLs, no solve), then requirements-dev.txt's tools the conda
lock lacks and the project; a failed build puts the previous `.conda-env` back.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from . import conda_meta, lockfile
from .conda_meta import CONDA_ENV, CONDA_LOCK, ENVIRONMENT_YML, conda_python
from .env_swap import has_stamp, inputs_stamp, recover_interrupted_build, run_steps, swapped_in
from .lock import failure, install_args
from .project import DEV_LOCK, PROJECT_INSTALL_ARGS, PYTHON_VERSION_FILE, ROOT, ToolError
from .steps import StepFailed, cached_tool, run_step

# conda-lock's large dependency tree lives in its own tool venv, not in requirements-dev.txt.
CONDA_LOCK_VERSION = "4.0.3"
# The virtual packages (__cuda, __glibc...) of the machines the lock is for, not this one.
VIRTUAL_PACKAGES = ROOT / "virtual-packages.yml"
SOLVERS = ("micromamba", "mamba", "conda")
NO_SOLVER = (
    "no conda solver on PATH (looked for micromamba, mamba, conda); install micromamba "
    "(https://mamba.readthedocs.io/en/latest/installation/micromamba-installation.html) "
    "or Miniforge, then run the command again"
)


def find_solver() -> str:
    for name in SOLVERS:
        if found := shutil.which(name):
            return found
    raise ToolError(NO_SOLVER)


def conda_lock_executable() -> Path:
    python_tag = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return cached_tool(
        "conda-lock", CONDA_LOCK_VERSION, "conda-lock", python_tag, lambda: sys.executable
    )


def lock(upgrade: bool = False, upgrade_packages: Sequence[str] = ()) -> None:
    """Write conda-lock.yml from environment.yml; unchanged inputs are not re-solved."""
    solver = find_solver()
    # --no-mamba: use the solver found above; never let conda-lock fetch one.
    command = [str(conda_lock_executable()), "lock", "--conda", solver, "--no-mamba"]
    command += ["--file", ENVIRONMENT_YML.name, "--lockfile", CONDA_LOCK.name]
    if VIRTUAL_PACKAGES.exists():  # which builds (CPU or CUDA X.Y) the solver may pick
        command += ["--virtual-package-spec", VIRTUAL_PACKAGES.name]
    command += [] if upgrade else ["--check-input-hash"]
    command += [arg for name in upgrade_packages for arg in ("--update", name)]
    print(f"conda: environment.yml -> conda-lock.yml ({Path(solver).name})", flush=True)
    started = time.monotonic()
    try:
        run_step("conda", command, "locking environment.yml", cwd=ROOT)
    except StepFailed as error:
        raise failure(error, "environment.yml", "conda-lock's", "invoke lock --conda") from None
    lockfile.stamp(CONDA_LOCK, ENVIRONMENT_YML)  # our input hash, read offline by check-env
    print(f"conda: wrote conda-lock.yml in {time.monotonic() - started:.1f}s", flush=True)


def dev_requirements(provided: set[str]) -> str:
    """requirements-dev.txt without the packages the conda lock provides (conda wins)."""
    lines = []
    for entry in lockfile.read_lock(DEV_LOCK):
        if entry.name not in provided:
            marker = f" ; {entry.marker}" if entry.marker else ""
            hashes = " ".join(f"--hash={digest}" for digest in entry.hashes)
            lines.append(f"{entry.requirement}{marker} {hashes}")
    return "\n".join(lines) + "\n"


def env_stamp() -> str:
    return inputs_stamp(PYTHON_VERSION_FILE, ROOT / "pyproject.toml", CONDA_LOCK, DEV_LOCK)


def build(solver: str, installer: Path) -> None:
    subdir = conda_meta.current_platform()
    # PyPI names, as the dev lock spells them (conda's pytorch provides torch).
    provided = {
        conda_meta.pypi_name(package.name)
        for package in conda_meta.for_platform(conda_meta.read_conda_lock(), subdir)
    }
    if not provided:
        raise ToolError(
            f"conda-lock.yml has no packages for {subdir}; add `  - {subdir}` under "
            "`platforms:` in environment.yml, then `invoke lock --conda`"
        )
    python = str(conda_python())
    with tempfile.TemporaryDirectory() as scratch:
        dev = Path(scratch) / "requirements-dev.conda.txt"
        dev.write_text(dev_requirements(provided), encoding="utf-8")
        pip = [python, "-m", "pip", "install", "--disable-pip-version-check"]
        conda = [str(installer), "install", "--conda", solver, "--no-mamba"]
        steps = [
            [*conda, "--prefix", str(CONDA_ENV), CONDA_LOCK.name],
            [*pip, "--no-deps", *install_args([dev.name], [str(dev)])],
            [*pip, *PROJECT_INSTALL_ARGS],
        ]
        run_steps("conda", steps, ROOT, "installing conda-lock.yml into .conda-env")


def sync(force: bool = False) -> None:
    """Create or update .conda-env from conda-lock.yml; keep the old env on failure."""
    recover_interrupted_build(CONDA_ENV)
    if not CONDA_LOCK.exists():
        print("conda: conda-lock.yml missing; locking first (invoke lock --conda)", flush=True)
        lock()
    if not lockfile.is_fresh(CONDA_LOCK, ENVIRONMENT_YML):
        raise ToolError(
            "conda-lock.yml is stale: environment.yml changed since it was locked; "
            "run `invoke lock --conda`, then `make env` again"
        )
    stamp = env_stamp()
    if not force and has_stamp(CONDA_ENV, stamp):
        print("conda: .conda-env is up to date with the locks; nothing to do", flush=True)
        return
    solver, installer = find_solver(), conda_lock_executable()
    started = time.monotonic()
    with swapped_in(CONDA_ENV, stamp):
        build(solver, installer)
    print(
        f"conda: .conda-env ready in {time.monotonic() - started:.0f}s; "
        "check it with `invoke check-env`",
        flush=True,
    )
