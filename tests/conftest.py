"""Shared fixtures: bake projects with cookiecutter's API, run their commands.

Every test runs with HOME, git identity and pip settings isolated, so that
what passes here passes on a fresh machine (this machine's pip config adds
local find-links and index URLs that must not reach a lock).
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import importlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, NoReturn

import pytest
import yaml
from click.testing import CliRunner
from cookiecutter.environment import StrictEnvironment
from cookiecutter.main import cookiecutter

# REPRO_TEMPLATE_DIR bakes from another checkout (e.g. a snapshot of this one).
TEMPLATE = Path(os.environ.get("REPRO_TEMPLATE_DIR") or Path(__file__).resolve().parent.parent)
OPTIONS: dict = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
DEFAULT_SLUG = "my-ml-project"
TOOLS_BIN = Path(sys.executable).parent  # invoke, nox, pre-commit of the template's venv
# The baked project's check-env, after its Python.
CHECK_ENV = ("-m", "tools", "check-env")
KEPT_PIP = {"PIP_CERT", "PIP_DEFAULT_TIMEOUT", "PIP_DISABLE_PIP_VERSION_CHECK"}


# A CPU bake and one GPU variant: every CUDA version bakes the same files.
GPU_CHOICES = ["no", "12.4"]


def choices(option: str) -> list[str]:
    """The allowed answers of a choice option, read from cookiecutter.json."""
    return list(OPTIONS[option])


def assert_files_parse(project: Path) -> None:
    """Every YAML, TOML, JSON and Python file of a baked project parses (git's own aside)."""
    for path in project.rglob("*"):
        if not path.is_file() or ".git" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix in {".yml", ".yaml"}:
            list(yaml.safe_load_all(text))
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix == ".json":
            json.loads(text)
        elif path.suffix == ".py":
            ast.parse(text, filename=str(path))


def manual(project: Path) -> str:
    """The generated project's environment manual (docs/environment.md)."""
    return (project / "docs" / "environment.md").read_text(encoding="utf-8")


def answers(project: Path) -> dict:
    """The answers a bake recorded (in the form cruft reads)."""
    record = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    return record["context"]["cookiecutter"]


@pytest.fixture(scope="session", autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A fresh HOME, a fixed git identity, no pip configuration of this machine."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _isolate(monkeypatch, tmp_path_factory)
        yield


def _isolate(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    real_home = Path.home()
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    # Keep the download caches: they make the slow tier fast, not different.
    monkeypatch.setenv("PIP_CACHE_DIR", str(real_home / ".cache" / "pip"))
    monkeypatch.setenv("UV_CACHE_DIR", str(real_home / ".cache" / "uv"))
    monkeypatch.setenv("PYENV_ROOT", os.environ.get("PYENV_ROOT", str(real_home / ".pyenv")))
    for name in list(os.environ):
        if name.startswith("PIP_") and name not in KEPT_PIP | {"PIP_CACHE_DIR"}:
            monkeypatch.delenv(name)
        if name.startswith(("UV_", "VIRTUAL_ENV", "CONDA_")) and name != "UV_CACHE_DIR":
            monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    # A CI runner sets CI, which makes baked projects refuse to lock; the tests
    # that are about CI set it themselves.
    monkeypatch.delenv("CI", raising=False)
    for key, value in {"NAME": "Test Baker", "EMAIL": "baker@example.org"}.items():
        monkeypatch.setenv(f"GIT_AUTHOR_{key}", value)
        monkeypatch.setenv(f"GIT_COMMITTER_{key}", value)
    monkeypatch.setenv("PATH", f"{TOOLS_BIN}{os.pathsep}{os.environ['PATH']}")


# What Jinja's compiler reads of an environment: two environments alike in these compile a
# template's source to the same code.
COMPILE_SETTINGS = (
    "block_start_string", "block_end_string", "variable_start_string", "variable_end_string",
    "comment_start_string", "comment_end_string", "line_statement_prefix", "line_comment_prefix",
    "trim_blocks", "lstrip_blocks", "newline_sequence", "keep_trailing_newline", "optimized",
    "finalize", "autoescape", "is_async", "code_generator_class", "sandboxed",
    "intercepted_binops", "intercepted_unops",
)  # fmt: skip


def _compile_key(env: StrictEnvironment) -> tuple:
    """An environment's settings, extensions, filters and tests, as the compiler sees them."""
    named = [
        # A function's name and what it is passed: the same function made anew per environment
        # (cookiecutter's slugify) compiles to the same call.
        tuple(
            sorted(
                (name, repr(getattr(func, "jinja_pass_arg", None)))
                for name, func in functions.items()
            )
        )
        for functions in (env.filters, env.tests)
    ]
    settings = tuple(repr(getattr(env, name, None)) for name in COMPILE_SETTINGS)
    return (type(env), settings, tuple(sorted(env.extensions)), *named)


@pytest.fixture(scope="session", autouse=True)
def templates_compiled_once() -> Iterator[None]:
    """Each bake compiles its ~230 templates once for the session, not once per bake.

    cookiecutter makes new Jinja environments for every bake, so Jinja's own
    template cache never hits and compiling was a third of a bake's time in
    this process. The code depends only on the source and the environment's
    settings (_compile_key), the same for every bake; rendering still runs per
    bake with its own answers.
    """
    original = StrictEnvironment.compile
    compiled: dict[tuple, object] = {}

    def compile_once(self, source, name=None, filename=None, raw=False, defer_init=False):
        if not isinstance(source, str):  # an AST: compiled as it is
            return original(self, source, name, filename, raw, defer_init)
        key = (_compile_key(self), source, name, filename, raw, defer_init)
        if key not in compiled:
            compiled[key] = original(self, source, name, filename, raw, defer_init)
        return compiled[key]

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(StrictEnvironment, "compile", compile_once)
        yield


def bake_into(output_dir: Path, **overrides: str) -> Path:
    """Bake the template with these answers; return the project folder."""
    return bake_from(TEMPLATE, output_dir, **overrides)


def bake_from(template: Path, output_dir: Path, **overrides: str) -> Path:
    """Bake another checkout of the template (e.g. a copy made into a git repository)."""
    project = cookiecutter(
        str(template), no_input=True, extra_context=overrides, output_dir=str(output_dir)
    )
    return Path(project)


@pytest.fixture
def bake(tmp_path: Path) -> Callable[..., Path]:
    """Factory: bake(**overrides) -> project path, in this test's tmp folder."""
    return lambda **overrides: bake_into(tmp_path, **overrides)


@pytest.fixture(scope="module")
def bake_once(module_tmp: Callable[[str], Path]) -> Callable[..., Path]:
    """Factory: bake_once(**overrides) -> a project baked once per module for these answers.

    Read only: the module's tests that ask for the same answers share it (a
    bake is most of such a test's time). Tests that change files bake their
    own (`bake`) or work on a copy (`copy_project`).
    """
    baked: dict[tuple[tuple[str, str], ...], Path] = {}

    def bake(**overrides: str) -> Path:
        key = tuple(sorted(overrides.items()))
        if key not in baked:
            baked[key] = bake_into(module_tmp("once"), **overrides)
        return baked[key]

    return bake


def run(
    command: list[str] | str, cwd: Path, check: bool = True, **kwargs
) -> subprocess.CompletedProcess[str]:
    """Run a baked project's command; on an unexpected exit, show its output.

    Stdin is an empty pipe unless the caller gives one: invoke copies its
    stdin into the command, and fails if data arrives after the command closed
    its end (a test runner's stdin, or a /dev/null some sandbox replaced with
    a file that fills up).
    """
    if "stdin" not in kwargs:
        kwargs.setdefault("input", "")
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, shell=isinstance(command, str), **kwargs
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"{command} exited {result.returncode}\n--- stdout\n{result.stdout}\n"
            f"--- stderr\n{result.stderr}"
        )
    return result


def project_module(root: Path, name: str) -> ModuleType:
    """`tools.<name>` imported from the project at `root`; whatever `tools` was imported
    before (another bake's, the template's) is put back afterwards."""
    saved = {key: sys.modules.pop(key) for key in list(sys.modules) if key.split(".")[0] == "tools"}
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module(f"tools.{name}")
    finally:
        sys.path.remove(str(root))
        for key in [key for key in sys.modules if key.split(".")[0] == "tools"]:
            del sys.modules[key]
        sys.modules.update(saved)


# The generated project as the template holds it: its tools package has no Jinja,
# so the unit tests import it from here.
PROJECT_TEMPLATE = next(TEMPLATE.glob("{{cookiecutter.*"))
DEFAULT_ANSWERS = {
    "project_name": "My ML Project", "project_slug": DEFAULT_SLUG, "package_name": "my_ml_project",
    "python_version": "3.11", "env_manager": "venv", "lock_tool": "pip-tools", "docker": True,
    "gpu": "no", "ci": "github", "exercises": False, "__cuda_version": "", "framework": "none",
    "__pip_tools_version": OPTIONS["__pip_tools_version"], "__uv_version": OPTIONS["__uv_version"],
}  # fmt: skip


class ToolsProject:
    """A small project around a copy of the template's tools package, imported in-process.

    ROOT is its folder; its answers are the defaults unless a test gives others
    (before it first imports a module: the facts are read once).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(PROJECT_TEMPLATE / "tools", root / "tools")
        (root / ".python-version").write_text("3.11\n", encoding="utf-8")
        self.answer()

    def answer(self, **changes: object) -> None:
        """Change these answers (the others stay as they are)."""
        self.answers = {**getattr(self, "answers", DEFAULT_ANSWERS), **changes}
        context = {"cookiecutter": self.answers}
        record = {"template": "", "commit": None, "context": context}
        (self.root / ".cruft.json").write_text(json.dumps(record), encoding="utf-8")

    def module(self, name: str) -> ModuleType:
        """`tools.<name>`, imported from this project."""
        return importlib.import_module(f"tools.{name}")

    def write_pylock(self) -> Path:
        """pylock.toml with requirements.txt's pins and hashes (one wheel each), as
        `invoke lock` converts it."""
        tables = [
            f'[[packages]]\nname = "{name}"\nversion = "{version}"\nwheels = ['
            + ", ".join(
                f'{{ url = "https://x/{h}.whl", hashes = {{ sha256 = "{h}" }} }}'
                for h in sorted(hashes)
            )
            + "]\n"
            for (name, version), hashes in self.module("pylock").lock_pins().items()
        ]
        return self.write("pylock.toml", 'lock-version = "1.0"\n\n' + "\n".join(tables))

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ToolsProject]:
    """The tools package in a fresh small project, for one test; no bake, no subprocess."""
    saved = {key: sys.modules.pop(key) for key in list(sys.modules) if key.split(".")[0] == "tools"}
    monkeypatch.syspath_prepend(str(tmp_path))
    # The CLI turns SIGTERM and SIGHUP into Ctrl-C; this process's handlers come back after.
    handlers = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGHUP)}
    yield ToolsProject(tmp_path)
    for number, handler in handlers.items():
        signal.signal(number, handler)
    for key in [key for key in sys.modules if key.split(".")[0] == "tools"]:
        del sys.modules[key]
    sys.modules.update(saved)


def venv_python(project: Path) -> Path:
    return project / ".venv" / "bin" / "python"


def tool(project: Path, *argv: str) -> tuple[int, str]:
    """`python -m tools <argv>` in the project, as its hooks run it; exit code and all output."""
    result = run([sys.executable, "-m", "tools", *argv], cwd=project, check=False)
    return result.returncode, result.stdout + result.stderr


def check_env(
    project: Path, *args: str, python: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m tools check-env` run by `python` (default: the project's .venv), exit code
    not checked."""
    command = [str(python or venv_python(project)), *CHECK_ENV, *args]
    return run(command, cwd=project, check=False)


def uv_pip(project: Path, *args: str, python: Path | None = None) -> None:
    """`uv pip <args>` into the env of `python` (default: the project's .venv)."""
    run(["uv", "pip", *args, "--python", str(python or venv_python(project))], cwd=project)


def install_into(project: Path, *args: str) -> None:
    """Change the project's .venv behind the locks' back, with the installer it was built with
    (uv's venvs have no pip)."""
    if (project / ".venv" / "bin" / "pip").exists():
        run([str(venv_python(project)), "-m", "pip", *args], cwd=project)
    else:
        uv_pip(project, *args)


def check_jsonschema(*args: str) -> None:
    """The check-jsonschema command (its click CLI) with these arguments, run in this process;
    fail the test with its output unless it exits 0.

    In-process because importing it (jsonschema's format checkers build their
    grammars at import) takes about 2 s: once per test process, not per file.
    """
    from check_jsonschema.cli import main

    result = CliRunner().invoke(main, list(args))
    if result.exit_code != 0:
        pytest.fail(
            f"check-jsonschema {' '.join(args)} exited {result.exit_code}\n{result.output}"
            + (f"\n{result.exception!r}" if not isinstance(result.exception, SystemExit) else "")
        )


def validate_workflow(project: Path) -> None:
    """check-jsonschema's vendored copy of GitHub's workflow schema accepts every workflow
    (offline)."""
    paths = sorted(project.glob(".github/workflows/*"))
    assert [path.name for path in paths] == ["ci.yml", "pylock-sync.yml"]
    check_jsonschema("--builtin-schema", "vendor.github-workflows", *map(str, paths))


def copy_project(
    source: Path, dest_dir: Path, *, ignore: tuple[str, ...] = (), symlinks: bool = False
) -> Path:
    """Copy `source` to dest_dir/<its name>, leaving out `ignore` patterns; return the copy.

    symlinks=True keeps a venv's interpreter links as links, so the copied venv still runs.
    """
    copy = shutil.copytree(
        source, dest_dir / source.name, ignore=shutil.ignore_patterns(*ignore), symlinks=symlinks
    )
    return Path(copy)


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first match of regex `old` (multiline); fail if there is none to replace."""
    text = path.read_text(encoding="utf-8")
    assert re.search(old, text, re.MULTILINE), f"{old!r} not in {path.name}"
    path.write_text(re.sub(old, new, text, count=1, flags=re.MULTILINE), encoding="utf-8")


def append(path: Path, text: str) -> None:
    """Add `text` at the end of an existing file (a missing one is an error, not created)."""
    assert path.is_file(), f"{path} is missing"
    with path.open("a", encoding="utf-8") as file:
        file.write(text)


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Path]]:
    """Factory: module_tmp(name) -> a new folder, removed when the module's tests are done.

    A full run bakes many projects with real venvs; kept to the session's end
    they would need tens of GB of disk, which a CI machine may not have.
    """
    made: list[Path] = []

    def mktemp(name: str) -> Path:
        made.append(tmp_path_factory.mktemp(name))
        return made[-1]

    yield mktemp
    for path in made:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("projects")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One pre-commit cache per session: hook envs are built once, not per test."""
    home = tmp_path_factory.mktemp("pre-commit-home")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("PRE_COMMIT_HOME", str(home))
        yield home


@pytest.fixture(scope="session")
def default_project(session_tmp: Path) -> Path:
    """A bake with every default answer, not locked, shared by the session.

    Read only: tests that change files work on a copy (`copy_project`).
    """
    return bake_into(session_tmp / "default")


@pytest.fixture(scope="session")
def locked_project(session_tmp: Path) -> Path:
    """A baked project with its locks written and .venv built (`make env`), all staged in git.

    uv makes it in seconds; what the pin checks and CI steps look at does not
    depend on the lock tool. Tests that change files work on a copy.
    """
    project = bake_into(session_tmp / "locked", lock_tool="uv")
    run(["make", "env"], cwd=project)
    run(["git", "add", "--all"], cwd=project)
    return project


@pytest.fixture(scope="module", params=choices("lock_tool"))
def built_project(request: pytest.FixtureRequest, module_tmp: Callable[[str], Path]) -> Path:
    """A default project per lock tool after `invoke lock` and `make env`, once per module
    (a module's tests may change it, and put it back)."""
    project = bake_into(module_tmp(request.param), lock_tool=request.param)
    run(["invoke", "lock"], cwd=project)
    run(["git", "add", "requirements.txt", "requirements-dev.txt", "pylock.toml"], cwd=project)
    run(["make", "env"], cwd=project)
    return project


def default_sigint() -> None:
    """For a child that stands in for a terminal's foreground job: Ctrl-C is not ignored,
    even when the tests themselves run in the background of a shell (which ignores it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# A stand-in lock pins each requirement of its input at its `-c` lock's version, else
# the lowest version its range names (`==1.2.*`: 1.2), else 1.0: it satisfies the intent.
STAND_IN_LOCK = """
import sys
from pathlib import Path
from tools import lockfile
def version(specifier):
    for spec in specifier:
        if spec.operator in {"==", ">=", "~=", "==="}:
            return spec.version.removesuffix(".*")
    return "1.0"
pairs = list(zip(sys.argv[1::2], sys.argv[2::2]))
for lock, source in pairs:
    if lock == lockfile.CONDA_LOCK_NAME:  # fresh by its header alone
        Path(lock).write_text("# stand-in lock\\n", encoding="utf-8")
        continue
    wanted, constraints = lockfile.read_intent(Path(source))
    fixed = {e.name: e.pinned_version for c in constraints for e in lockfile.read_lock(c)}
    names = {lockfile.canonical(w.requirement.name): w.requirement.specifier for w in wanted}
    pins = sorted(f"{name}=={fixed.get(name) or version(spec)}" for name, spec in names.items())
    Path(lock).write_text("".join(f"{pin}\\n" for pin in pins), encoding="utf-8")
    if lock == "requirements.txt":  # its PEP 751 twin: the same pins (and no hashes)
        entries = (pin.split("==") for pin in pins)
        packages = "".join(f'[[packages]]\\nname = "{n}"\\nversion = "{v}"\\n' for n, v in entries)
        Path("pylock.toml").write_text('lock-version = "1.0"\\n' + packages, encoding="utf-8")
for lock, source in pairs:
    lockfile.stamp(Path(lock), Path(source))
"""


def stamp_locks(project: Path, *pairs: tuple[str, str]) -> None:
    """Write each (lock, input) as a stand-in lock that satisfies its input, headed as
    `invoke lock` heads it (the project's own lockfile)."""
    code = STAND_IN_LOCK
    run([sys.executable, "-c", code, *(name for pair in pairs for name in pair)], cwd=project)


# The Slurm tests run real jobs on a one-node cluster of this machine (Debian's slurm-wlm and
# munge), started once per session; a test runs sbatch, squeue, scontrol with its `env`.
SLURM_MISSING = "Slurm is not installed (apt-get install slurm-wlm munge); .ci/run installs it"
SLURM_PORT = 16817  # slurmctld's, slurmd's the next; xdist's worker gwN takes the pair 2N above
MUNGE_SOCKET = Path("/run/munge/munge.socket.2")
# Shared by every pytest process of this machine (xdist's workers, other checkouts): who holds
# the lock checks, starts or stops munged, and it records the pid of a munged the tests started;
# every session that uses munged holds a shared lock on the users file.
MUNGED_LOCK = Path(tempfile.gettempdir()) / "repro-template-munged.lock"
MUNGED_USERS = Path(tempfile.gettempdir()) / "repro-template-munged.users"
# The states `scontrol show job` gives a job that left the queue.
SLURM_DONE = {
    "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL",
    "DEADLINE", "OUT_OF_MEMORY",
}  # fmt: skip


@dataclass
class SlurmCluster:
    """A running one-node Slurm cluster; its files (slurm.conf, state, logs) are under `root`."""

    root: Path
    conf: Path
    env: dict[str, str]  # os.environ and SLURM_CONF: without it sbatch looks for a config in DNS

    def submit(self, *args: str, cwd: Path) -> str:
        """`sbatch --parsable <args>` run in `cwd`; the job's id (an array's: the array's)."""
        result = run(["sbatch", "--parsable", *args], cwd=cwd, env=self.env)
        return result.stdout.strip().split(";")[0]

    def wait(self, job_id: str, timeout: float = 120) -> str:
        """Poll until the job (an array: every task) left the queue; its final JobState.

        An array's state is COMPLETED if every task completed, else its first other task's.
        """
        deadline = time.monotonic() + timeout
        while True:
            # No accounting (sacct) here: scontrol knows a finished job for MinJobAge (300 s).
            shown = subprocess.run(
                ["scontrol", "show", "job", job_id], env=self.env, capture_output=True, text=True
            )
            states = re.findall(r"\bJobState=(\S+)", shown.stdout)
            if states and all(state in SLURM_DONE for state in states):
                return next((state for state in states if state != "COMPLETED"), "COMPLETED")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"Slurm job {job_id} still not done after {timeout:.0f} s\n"
                    f"--- scontrol show job\n{shown.stdout}{shown.stderr}{self.logs()}"
                )
            time.sleep(0.5)

    def logs(self, lines: int = 40) -> str:
        """The last lines of slurmctld's and slurmd's logs, for a failure message."""
        tails = []
        for log in ("slurmctld.log", "slurmd.log", "slurmctld.out", "slurmd.out"):
            path = self.root / log
            text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
            if text:
                tails.append(f"--- {log}\n" + "\n".join(text.splitlines()[-lines:]) + "\n")
        return "".join(tails)


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlurmCluster]:
    """A one-node Slurm cluster (slurmctld, slurmd, munged) for the session, stopped after."""
    if not all(shutil.which(name) for name in ("sbatch", "slurmctld", "slurmd", "munged")):
        _no_slurm(SLURM_MISSING)
    if os.geteuid() != 0:
        _no_slurm("the Slurm tests start slurmd and munged, which need root")
    root = tmp_path_factory.mktemp("slurm")
    for folder in ("state", "spool"):
        (root / folder).mkdir()
    # Each xdist worker runs a cluster of its own: the same node name, other ports.
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    conf = root / "slurm.conf"
    conf.write_text(_slurm_conf(root, SLURM_PORT + 2 * worker), encoding="utf-8")
    cluster = SlurmCluster(root=root, conf=conf, env={**os.environ, "SLURM_CONF": str(conf)})
    with _munged(root):
        try:
            for daemon in ("slurmctld", "slurmd"):
                code = _start_daemon(
                    [daemon, "-f", str(conf)], root / f"{daemon}.out", env=cluster.env
                )
                if code != 0:
                    pytest.fail(f"{daemon} exited {code}\n{cluster.logs()}")
            _await_idle(cluster)
            yield cluster
        finally:
            _stop_slurm(cluster)


def _no_slurm(reason: str) -> NoReturn:
    """Skip a Slurm test, or fail it where Slurm must be there (REPRO_REQUIRE_SLURM=1: CI)."""
    if os.environ.get("REPRO_REQUIRE_SLURM") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _slurm_conf(root: Path, port: int) -> str:
    """slurm.conf of a one-node cluster: this machine, its files under `root`."""
    host = socket.gethostname().split(".")[0]
    # A node that has less memory than slurm.conf says is drained: claim at most what it has.
    memory = min(4000, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20)
    return f"""\
ClusterName=local
SlurmctldHost={host}
SlurmUser=root
SlurmctldPort={port}
SlurmdPort={port + 1}
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
# Without a default a job takes all the node's memory, and jobs (an array's tasks) queue.
DefMemPerCPU=100
# Schedule a job when it comes (by default batch jobs may wait 3 s, to be scheduled in bulk).
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
NodeName={host} CPUs={os.cpu_count() or 1} RealMemory={memory} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


def _await_idle(cluster: SlurmCluster, timeout: float = 60) -> None:
    """Wait until the node is idle (slurmd registered with slurmctld); fail with their logs."""
    deadline = time.monotonic() + timeout
    while True:
        shown = subprocess.run(
            ["sinfo", "-h", "-o", "%t"], env=cluster.env, capture_output=True, text=True
        )
        if shown.stdout.strip() == "idle":
            break
        if time.monotonic() > deadline:
            found = (shown.stdout + shown.stderr).strip()
            pytest.fail(f"Slurm node not idle after {timeout:.0f} s: {found}\n{cluster.logs()}")
        time.sleep(0.5)
    # A cluster a killed session left on these ports would answer for one that did not start.
    for daemon in ("slurmctld", "slurmd"):
        if not _alive(_pid(cluster.root / f"{daemon}.pid")):
            pytest.fail(f"{daemon} is not running (ports taken?)\n{cluster.logs()}")


def _stop_slurm(cluster: SlurmCluster) -> None:
    """Cancel the jobs left, then stop slurmd and slurmctld."""
    if _alive(_pid(cluster.root / "slurmctld.pid")):
        # A running job's slurmstepd would outlive slurmd.
        subprocess.run(["scancel", "--partition", "debug"], env=cluster.env, capture_output=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            queue = subprocess.run(["squeue", "-h"], env=cluster.env, capture_output=True)
            if queue.returncode != 0 or not queue.stdout.strip():
                break
            time.sleep(0.5)
    for daemon in ("slurmd", "slurmctld"):
        _stop(_pid(cluster.root / f"{daemon}.pid"))


@contextlib.contextmanager
def _munged(root: Path) -> Iterator[None]:
    """A munged answering at MUNGE_SOCKET: the one running, else one started here.

    The tests' munged is stopped by the last pytest process that used it (xdist's workers
    share one); a munged the tests did not start is left running.
    """
    with MUNGED_LOCK.open("a+") as lock, MUNGED_USERS.open("a") as users:
        with _locked(lock):
            fcntl.flock(users, fcntl.LOCK_SH)
            if not _munge_answers():
                pid = _start_munged(root)
                lock.truncate(0)
                lock.write(f"{pid}\n")
                lock.flush()
        try:
            yield
        finally:
            fcntl.flock(users, fcntl.LOCK_UN)
            with _locked(lock), contextlib.suppress(BlockingIOError):
                # Only the last user gets it: the others still need munged.
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
                lock.seek(0)
                recorded = lock.read().strip()
                if recorded.isdigit() and _command(int(recorded)) == "munged":
                    _stop(int(recorded))
                lock.truncate(0)


@contextlib.contextmanager
def _locked(file: IO[str]) -> Iterator[None]:
    """Hold an exclusive flock on `file`, waiting for it."""
    fcntl.flock(file, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(file, fcntl.LOCK_UN)


def _munge_answers() -> bool:
    """Whether a munged answers at MUNGE_SOCKET (`munge -n | unmunge`)."""
    if not MUNGE_SOCKET.exists():
        return False
    try:
        credential = subprocess.run(["munge", "-n"], capture_output=True, text=True, timeout=10)
        decoded = subprocess.run(
            ["unmunge"], input=credential.stdout, capture_output=True, text=True, timeout=10
        )
    except subprocess.TimeoutExpired:
        return False
    return credential.returncode == 0 and decoded.returncode == 0


def _start_munged(root: Path) -> int:
    """Start munged as user munge, its key and socket folder made if missing; its pid."""
    key = Path("/etc/munge/munge.key")
    if not key.exists():
        make_key = ["mungekey", "--create"] if shutil.which("mungekey") else ["create-munge-key"]
        run(make_key, cwd=root)
        # munged refuses a key that others than its user may read.
        shutil.chown(key, "munge", "munge")
        key.chmod(0o600)
    MUNGE_SOCKET.parent.mkdir(parents=True, exist_ok=True)  # /run is a tmpfs: gone at boot
    shutil.chown(MUNGE_SOCKET.parent, "munge", "munge")
    MUNGE_SOCKET.parent.chmod(0o755)
    out = root / "munged.out"
    code = _start_daemon(["munged"], out, user="munge", group="munge", extra_groups=[])
    if code != 0 or not _munge_answers():
        output = out.read_text(encoding="utf-8", errors="replace")
        pytest.fail(f"munged exited {code}, `munge -n | unmunge` fails\n{output}")
    return _pid(MUNGE_SOCKET.parent / "munged.pid")


def _start_daemon(command: list[str], out: Path, **kwargs) -> int:
    """Run a daemon's command, its output to `out`; its exit code.

    The daemon forks into the background once it is set up: an error comes first.
    """
    with out.open("w") as file:
        started = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=file,
            stderr=subprocess.STDOUT,
            cwd=out.parent,
            timeout=60,
            **kwargs,
        )
    return started.returncode


def _pid(pid_file: Path) -> int:
    """The pid a daemon wrote to `pid_file`; 0 if there is none."""
    try:
        return int(pid_file.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return 0


def _command(pid: int) -> str:
    """The name of process `pid`, "" if there is none."""
    try:
        return Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie does not: a daemon's parent is init, which may be
    slow to reap it, or, in a container, never)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return False
    return pid > 0 and stat.rsplit(")", 1)[1].split()[0] != "Z"


def _stop(pid: int, timeout: float = 30) -> None:
    """SIGTERM process `pid`; SIGKILL it if it still runs after `timeout` s."""
    for number, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
        if not _alive(pid):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, number)
        deadline = time.monotonic() + wait
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
