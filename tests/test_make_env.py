"""Slow tier: `make env` keeps .venv exactly the locks on day two, with pip-tools and uv.

Each lock tool gets one project, locked and built once per module. Drift and
lock changes are made to that project itself and repaired by the `make env`
under test, which is also what puts it back; anything that needs a rebuild
(a moved folder, another Python, concurrency, signals) works on a copy.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import (
    TEMPLATE,
    answers,
    check_env,
    copy_project,
    default_sigint,
    edit,
    install_into,
    run,
)

pytestmark = pytest.mark.slow
SITE = Path(".venv/lib/python3.11/site-packages")
UNREACHABLE = "http://127.0.0.1:9/simple"
ZERO_HASH = "sha256:" + "0" * 64


@pytest.fixture(scope="module")
def project(built_project: Path) -> Path:
    return built_project


@pytest.fixture
def restored(project: Path) -> Iterator[Path]:
    """The project; its locks and inputs are put back and its env repaired afterwards."""
    # environment.yml and pylock.toml too: `invoke lock` rewrites them.
    names = ["requirements.in", "requirements.txt", "pylock.toml", "requirements-dev.txt"]
    names.append("environment.yml")
    saved = {name: (project / name).read_bytes() for name in names}
    yield project
    for name, content in saved.items():
        (project / name).write_bytes(content)
    run(["make", "env"], cwd=project)
    assert check_env(project, "--strict").returncode == 0


@pytest.fixture
def moved(project: Path, tmp_path: Path) -> Path:
    """A copy of the built project at another path: its .venv was built elsewhere."""
    return copy_project(project, tmp_path, symlinks=True)


def inode(project: Path, relative: str) -> int:
    return (project / SITE / relative).stat().st_ino


def pin(project: Path, name: str, lock: str = "requirements.txt") -> str:
    match = re.search(rf"^{name}==(\S+)", (project / lock).read_text(), re.MULTILINE)
    assert match, f"{name} not pinned in {lock}"
    return match.group(1)


def restamp_dev_lock(project: Path) -> None:
    """The dev lock's input includes requirements.txt: stamp it again after a hand edit."""
    code = (
        "import sys; from pathlib import Path; from tools import lockfile; "
        "lockfile.stamp(Path('requirements-dev.txt'), Path('requirements-dev.in'))"
    )
    run([sys.executable, "-c", code], cwd=project)


def repin(project: Path, name: str, version: str, hashes: str = ZERO_HASH) -> None:
    """Pin `name` to `version` in requirements.txt by hand (its hashes replaced)."""
    lock = project / "requirements.txt"
    text = lock.read_text()
    entry = re.compile(rf"^{name}==\S+ \\\n(?:\s+--hash=\S+(?: \\)?\n)+", re.MULTILINE)
    assert entry.search(text), f"{name} entry not found"
    lock.write_text(entry.sub(f"{name}=={version} \\\n    --hash={hashes}\n", text, count=1))
    restamp_dev_lock(project)


@pytest.mark.parametrize(
    ("breakage", "repair"),
    [
        (("install", "--no-deps", "rich==13.7.1"), r"env: rich 13\.7\.1 -> \S+"),
        (("uninstall", "--yes", "mdurl"), r"env: installed mdurl \S+"),
        (("install", "--no-deps", "six==1.16.0"), r"env: removed six 1\.16\.0"),
    ],
    ids=["other-version", "missing", "extra"],
)
def test_drift_is_repaired_in_place(restored: Path, breakage: tuple[str, ...], repair: str) -> None:
    """A package changed by hand is put back by `make env`, which names the repair."""
    untouched = inode(restored, "numpy/__init__.py")
    install_into(restored, *breakage)
    assert check_env(restored, "--strict").returncode == 1
    result = run(["make", "env"], cwd=restored)
    assert re.search(repair, result.stdout), result.stdout
    assert check_env(restored, "--strict").returncode == 0
    assert inode(restored, "numpy/__init__.py") == untouched, "numpy was reinstalled"


def test_no_op_reads_the_env_not_a_stamp(restored: Path) -> None:
    """With the stamp unchanged, a hand-installed version is still found and repaired."""
    install_into(restored, "install", "--no-deps", "rich==13.7.1")
    result = run(["make", "env"], cwd=restored)
    assert "nothing to do" not in result.stdout
    assert "exactly the locks; nothing to do" in run(["make", "env"], cwd=restored).stdout


def test_one_package_bump_is_synced_not_rebuilt(restored: Path) -> None:
    """A re-lock that moves rich changes rich only: numpy's files stay the same files."""
    untouched = inode(restored, "numpy/__init__.py")
    venv_inode = (restored / ".venv").stat().st_ino
    edit(restored / "requirements.in", r"^rich>=13$", "rich>=13,<=13.7.1")
    run(["invoke", "lock"], cwd=restored)
    assert pin(restored, "rich") == "13.7.1"
    result = run(["make", "env"], cwd=restored)
    assert re.search(r"env: rich \S+ -> 13\.7\.1", result.stdout), result.stdout
    assert "building .venv" not in result.stdout
    assert (restored / ".venv").stat().st_ino == venv_inode
    assert inode(restored, "numpy/__init__.py") == untouched
    assert check_env(restored, "--strict").returncode == 0


def test_bump_with_bad_hash_leaves_env_working(restored: Path) -> None:
    """A bump whose download does not match its hash fails before the env is touched."""
    repin(restored, "rich", "13.7.1")
    result = run(["invoke", "env"], cwd=restored, check=False)
    assert result.returncode == 1
    assert "does not match its locked hash" in result.stderr
    locked = check_env(restored, "--only", "locked")
    assert "rich: expected 13.7.1 (requirements.txt), found 15" in locked.stdout
    # Everything but the refused bump is as it was: only rich differs.
    assert locked.stdout.count("expected") == 1


def test_bump_with_unreachable_index_says_so(restored: Path) -> None:
    """A bump with the index unreachable names the host, and the env is untouched."""
    repin(restored, "rich", "13.6.0")
    env = {**os.environ, "PIP_INDEX_URL": UNREACHABLE, "UV_DEFAULT_INDEX": UNREACHABLE,
           "PIP_NO_CACHE_DIR": "1", "UV_NO_CACHE": "1"}  # fmt: skip
    result = run(["invoke", "env"], cwd=restored, check=False, env=env, timeout=300)
    assert result.returncode == 1
    assert "cannot reach 127.0.0.1; check the network or your index settings" in result.stderr
    assert check_env(restored, "--only", "locked").stdout.count("expected") == 1


def test_moved_folder_is_rebuilt(moved: Path) -> None:
    """A project folder moved or renamed: its venv's scripts point elsewhere, so it is rebuilt."""
    result = run(["make", "env"], cwd=moved)
    assert "moved or renamed" in result.stdout
    run([str(moved / ".venv" / "bin" / "invoke"), "--version"], cwd=moved)
    assert check_env(moved, "--strict").returncode == 0


def other_python() -> str | None:
    """An installed Python 3.12 (pyenv's, as the template's tests find them), or None."""
    roots = sorted((Path(os.environ["PYENV_ROOT"]) / "versions").glob("3.12.*"))
    found = [str(root / "bin" / "python3.12") for root in roots]
    return next((path for path in found if Path(path).exists()), None)


def test_env_of_another_python_is_rebuilt(moved: Path) -> None:
    """A .venv made by another Python than .python-version's is rebuilt with the right one."""
    python = other_python()
    if python is None:
        pytest.skip("Python 3.12 is not installed on this machine")
    shutil.rmtree(moved / ".venv")
    run([python, "-m", "venv", ".venv"], cwd=moved)
    result = run(["make", "env"], cwd=moved)
    assert "built by Python 3.12" in result.stdout
    assert check_env(moved, "--strict").returncode == 0


def test_force_rebuilds(moved: Path) -> None:
    """`make env FORCE=1` rebuilds even an env that could be synced."""
    run(["make", "env"], cwd=moved)
    before = (moved / ".venv").stat().st_ino
    result = run(["make", "env", "FORCE=1"], cwd=moved)
    assert "building .venv" in result.stdout
    assert (moved / ".venv").stat().st_ino != before


def start(project: Path, *command: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        list(command), cwd=project, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True, preexec_fn=default_sigint,
    )  # fmt: skip


def wait_for(path: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_two_builds_at_once_take_turns(moved: Path) -> None:
    """A second `make env` while one rebuilds waits for it, and both end with a working env."""
    first = start(moved, "make", "env")
    wait_for(moved / ".venv.previous")
    second = start(moved, "make", "env")
    outputs = [process.communicate(timeout=600)[0] for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    assert "another `make env` is running in this project; waiting" in outputs[1]
    assert "nothing to do" in outputs[1]
    assert not (moved / ".venv.previous").exists()
    assert check_env(moved, "--strict").returncode == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_terminated_rebuild_restores_previous_env(moved: Path, signum: int) -> None:
    """SIGTERM or SIGHUP during a rebuild acts like Ctrl-C: the previous .venv is back."""
    run(["make", "env"], cwd=moved)
    stamp = (moved / ".venv" / ".repro-stamp").read_text()
    build = start(moved, sys.executable, "-m", "tools", "env", "--force")
    wait_for(moved / ".venv.previous")
    time.sleep(0.3)
    build.send_signal(signum)
    output, _ = build.communicate(timeout=120)
    assert build.returncode == 130, output
    assert "the previous .venv is back in place" in output
    assert (moved / ".venv" / ".repro-stamp").read_text() == stamp
    assert check_env(moved, "--strict").returncode == 0


def test_ctrl_c_through_invoke_exits_130_in_one_line(moved: Path) -> None:
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) through
    `invoke env` ends with exit 130 and no traceback."""
    run(["make", "env"], cwd=moved)
    build = start(moved, str(moved / ".venv" / "bin" / "invoke"), "env", "--force")
    wait_for(moved / ".venv.previous")
    time.sleep(0.3)
    os.killpg(build.pid, signal.SIGINT)
    output, _ = build.communicate(timeout=120)
    assert build.returncode == 130, output
    assert "Traceback" not in output
    assert check_env(moved, "--strict").returncode == 0


def test_sync_leaves_no_temporary_files(restored: Path, tmp_path: Path) -> None:
    """The scratch requirements file of a sync is removed."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    install_into(restored, "uninstall", "--yes", "mdurl")
    run(["make", "env"], cwd=restored, env={**os.environ, "TMPDIR": str(scratch)})
    assert list(scratch.iterdir()) == []


def root_of(folder: Path) -> Path:
    return next(parent for parent in folder.parents if (parent / "tasks.py").exists())


class TestFromAnyFolder:
    """Every door finds the project root itself (tests/ and src/<package>/)."""

    @pytest.fixture(params=["tests", "src/my_ml_project"])
    def folder(self, project: Path, request: pytest.FixtureRequest) -> Path:
        return project / request.param

    def invoke(self, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return run([str(root_of(folder) / ".venv" / "bin" / "invoke"), *args], cwd=folder)

    def test_env_and_check_env(self, folder: Path) -> None:
        assert "nothing to do" in self.invoke(folder, "env").stdout
        assert "result: ok" in self.invoke(folder, "check-env", "--strict").stdout

    def test_lint_pins_and_test(self, folder: Path) -> None:
        self.invoke(folder, "lint", "--pins")
        assert " passed" in self.invoke(folder, "test").stdout

    def test_report_is_written_at_the_root(self, folder: Path) -> None:
        report = root_of(folder) / "env-report.json"
        report.unlink(missing_ok=True)
        self.invoke(folder, "report")
        assert json.loads(report.read_text())
        self.invoke(folder, "report", "--compare", str(report))
        report.unlink()

    def test_lock_from_a_subfolder(self, folder: Path) -> None:
        project = root_of(folder)
        before = (project / "requirements.txt").read_text()
        self.invoke(folder, "lock")
        assert (project / "requirements.txt").read_text() == before

    def test_make_and_nox_with_the_root_named(self, folder: Path) -> None:
        project = root_of(folder)
        relative = os.path.relpath(project, folder)
        make = run(["make", "-f", f"{relative}/Makefile", "env"], cwd=folder)
        assert "nothing to do" in make.stdout
        nox = project / ".venv" / "bin" / "nox"
        result = run([str(nox), "-f", f"{relative}/noxfile.py", "-s", "check_env"], cwd=folder)
        assert "result: ok" in result.stdout + result.stderr


class TestCiNeverLocks:
    """With CI set, a missing lock is an error that creates nothing."""

    @pytest.fixture
    def unlocked(self, default_project: Path, tmp_path: Path) -> Path:
        return copy_project(default_project, tmp_path)

    def test_make_env_refuses(self, unlocked: Path) -> None:
        result = run(["invoke", "env"], cwd=unlocked, check=False, env={**os.environ, "CI": "true"})
        assert result.returncode == 1
        assert (
            "ERROR: requirements.txt, requirements-dev.txt missing, and CI never locks: "
            "run `invoke lock` locally, then commit the locks with the .in files"
        ) in result.stderr
        assert not [p for p in (".venv", ".cache", "requirements.txt") if (unlocked / p).exists()]

    def test_nox_refuses(self, unlocked: Path) -> None:
        result = run(["nox", "-s", "check_env"], cwd=unlocked, check=False,
                     env={**os.environ, "CI": "true"})  # fmt: skip
        assert result.returncode == 1
        assert "requirements.txt, requirements-dev.txt missing, and nox never locks" in (
            result.stdout + result.stderr
        )
        assert not (unlocked / ".nox").exists()
        assert not (unlocked / "requirements.txt").exists()


def test_closed_stdout_ends_quietly(project: Path) -> None:
    """`invoke check-env | head -1` prints one line and no traceback."""
    result = run(f"{project}/.venv/bin/invoke check-env | head -1", cwd=project)
    assert result.stdout.startswith("check-env: ") and result.stdout.count("\n") == 1
    assert result.stderr == ""


@pytest.mark.parametrize("forbidden", [False, True], ids=["bytecode-on-import", "no-bytecode"])
def test_bytecode_is_left_to_first_import(moved: Path, forbidden: bool) -> None:
    """A rebuilt .venv carries no bytecode (imports write it), unless imports may not write
    it (PYTHONDONTWRITEBYTECODE), where the install compiles it once."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    if forbidden:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    run(["make", "env", "FORCE=1"], cwd=moved, env=env)
    compiled = list((moved / SITE / "rich").rglob("*.pyc"))
    assert bool(compiled) == forbidden, f"{len(compiled)} .pyc files under rich/"


def hook_project_modules() -> set[str]:
    """PROJECT_MODULES of the pre-gen hook (a Jinja template, so read, not imported)."""
    tree = ast.parse((TEMPLATE / "hooks" / "pre_gen_project.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PROJECT_MODULES":
            return ast.literal_eval(node.value)
    raise AssertionError("PROJECT_MODULES not found in the pre-gen hook")


def test_pre_gen_refuses_every_name_the_locks_install(project: Path) -> None:
    """A package named like anything a default bake installs would shadow it: the hook's
    list covers every top-level module and distribution in the built env."""
    names = set()
    for dist in (project / SITE).glob("*.dist-info"):
        if dist.name.startswith(answers(project)["package_name"] + "-"):
            continue
        names.add(dist.name.split("-")[0].lower())
        for line in (dist / "RECORD").read_text(encoding="utf-8").splitlines():
            top = line.split(",")[0].split("/")[0]
            if top.endswith(".py"):
                names.add(top[:-3])
            elif top and not top.endswith((".dist-info", ".pth", ".data")) and top != "..":
                names.add(top)
    missing = sorted(
        name for name in names - hook_project_modules()
        if name.isidentifier() and not name.startswith("__")
    )  # fmt: skip
    assert missing == []


@contextlib.contextmanager
def silent_index() -> Iterator[str]:
    """An index that accepts every connection and never answers (a black-holed proxy)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/simple"
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        server.close()


def test_bump_with_an_index_that_never_answers_times_out_and_says_so(restored: Path) -> None:
    """An index that takes the connection and then says nothing: the installer's timeout
    (the person's PIP_DEFAULT_TIMEOUT / UV_HTTP_TIMEOUT, retries bounded) ends it with the
    host named, and the env is untouched."""
    repin(restored, "rich", "13.6.0")
    with silent_index() as index:
        env = {**os.environ, "PIP_INDEX_URL": index, "UV_DEFAULT_INDEX": index,
               "PIP_DEFAULT_TIMEOUT": "3", "UV_HTTP_TIMEOUT": "3",
               "PIP_NO_CACHE_DIR": "1", "UV_NO_CACHE": "1"}  # fmt: skip
        started = time.monotonic()
        result = run(["invoke", "env"], cwd=restored, check=False, env=env, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "cannot reach 127.0.0.1; check the network or your index settings" in result.stderr
    assert time.monotonic() - started < 120, "the timeout was not respected"
    assert check_env(restored, "--only", "locked").stdout.count("expected") == 1


@contextlib.contextmanager
def small_disk(folder: Path) -> Iterator[Path]:
    """A tmpfs mounted at `folder` (root only: skipped, with the reason, elsewhere)."""
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1g", "tmpfs", str(folder)],
                             capture_output=True, text=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here ({mounted.stderr.strip()})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=False)


def shrink_to_fit(folder: Path, spare_mb: int) -> None:
    """Make the filesystem at `folder` only `spare_mb` larger than what it holds now."""
    used_mb = shutil.disk_usage(folder).used // 2**20
    run(["mount", "-o", f"remount,size={used_mb + spare_mb}m", str(folder)], cwd=folder)


def test_rebuild_on_a_full_disk_keeps_the_previous_env(project: Path, tmp_path: Path) -> None:
    """A disk that fills up mid-rebuild: one line saying so, and the previous .venv is back,
    whole (no `.venv.previous` or half-made env left)."""
    with small_disk(tmp_path / "small") as disk:
        copy = copy_project(project, disk, symlinks=True)
        shrink_to_fit(disk, spare_mb=40)  # room for a venv's start, not for the locks
        result = run([sys.executable, "-m", "tools", "env", "--force"], cwd=copy, check=False,
                     timeout=600)  # fmt: skip
        assert result.returncode == 1, result.stdout + result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
        assert len(errors) == 1 and "the disk is full" in errors[0], result.stderr
        assert errors[0].endswith("free some space"), errors[0]
        assert not (copy / ".venv.previous").exists()
        probe = "import numpy, rich; print('whole')"
        assert (
            run([str(copy / ".venv" / "bin" / "python"), "-c", probe], cwd=copy).stdout == "whole\n"
        )
