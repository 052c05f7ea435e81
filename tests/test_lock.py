"""`invoke lock` of a baked project, run for real with both lock tools.

The locks record the Python and the platforms they were resolved for; a
change of `.python-version` makes them stale until re-locked; an unreachable
index, an unknown `--upgrade-package` and a quiet resolver each say what is
happening, in one line, with the fix.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from conftest import OPTIONS, bake_into, choices, run, tool

pytestmark = pytest.mark.slow

LOCKS = ("requirements.txt", "requirements-dev.txt")
PYLOCK = "pylock.toml"  # requirements.txt in PEP 751's format
# Nothing listens on the discard port: every request is refused at once.
DEAD_INDEX = "http://127.0.0.1:9/simple"
OTHER_PYTHON = "3.12"  # another X.Y than the default answer's 3.11
# The first pip that reads pylock.toml was 26.1; this one is pinned for the test.
PIP_READING_PYLOCK = "pip==26.3"
# A guard against a hang, not a speed requirement.
GUARD_SECONDS = 600


class Locked:
    """A baked project after its first `invoke lock`, with that run's output."""

    def __init__(self, lock_tool: str, project: Path, output: str) -> None:
        self.lock_tool = lock_tool
        self.project = project
        self.output = output

    def texts(self) -> dict[str, str]:
        names = (*LOCKS, PYLOCK)
        return {name: (self.project / name).read_text(encoding="utf-8") for name in names}


@pytest.fixture(scope="module", params=choices("lock_tool"))
def locked(request: pytest.FixtureRequest, module_tmp: Callable[[str], Path]) -> Iterator[Locked]:
    """One project per lock tool, locked by `invoke lock` and its locks staged in git.

    Tests that change its files restore them or only fail before writing.
    """
    project = bake_into(module_tmp(request.param), lock_tool=request.param)
    result = run(["invoke", "lock"], cwd=project, timeout=GUARD_SECONDS)
    run(["git", "add", "--", *LOCKS, PYLOCK], cwd=project)
    yield Locked(request.param, project, result.stdout + result.stderr)


def header(project: Path, lock: str) -> str:
    return (project / lock).read_text(encoding="utf-8").splitlines()[0]


def python_installed(version: str) -> bool:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    return any((root / "versions").glob(f"{version}.*"))


def test_lock_records_python_and_scope(locked: Locked) -> None:
    """Each lock's header records Python 3.11, the scope its tool resolved it for, and the
    digest of the pins below it."""
    scope = "universal" if locked.lock_tool == "uv" else sys.platform
    for lock in LOCKS:
        assert re.fullmatch(
            rf"# input-sha256: [0-9a-f]{{64}} \(.+\) python=3\.11 scope={scope} "
            r"pins=[0-9a-f]{16}",
            header(locked.project, lock),
        ), header(locked.project, lock)
    code, output = tool(locked.project, "lint", "--only", "lock-fresh")
    assert code == 0, output


def test_lock_shows_each_step(locked: Locked) -> None:
    """Every lock step echoes the command it runs and says when it wrote the lock."""
    executable = "uv pip compile" if locked.lock_tool == "uv" else "pip-compile"
    for lock, source in zip(LOCKS, ("requirements.in", "requirements-dev.in"), strict=True):
        assert f"lock: $ {executable} {source} --output-file {lock}" in locked.output
        assert re.search(rf"^lock: wrote {re.escape(lock)} in [\d.]+s$", locked.output, re.M)
    # Quiet for 10 s or more, a step says it is alive (pip-tools usually is that slow).
    for line in re.findall(r"^lock: still .*$", locked.output, re.M):
        assert re.fullmatch(r"lock: still locking requirements(-dev)?\.in \(\d+s\)", line), line


def test_pylock_lists_the_locks_pins_and_a_changed_hash_fails(locked: Locked) -> None:
    """pylock.toml carries requirements.txt's pins from the package index (no path of this
    machine), passes pylock-agrees, and fails it, at the package, once a hash in it changes."""
    pylock = locked.project / PYLOCK
    text = pylock.read_text(encoding="utf-8")
    assert text.splitlines()[1] == "#    invoke lock", text[:200]
    assert 'name = "numpy"' in text
    assert "https://files.pythonhosted.org/" in text
    assert "file:" not in text and "/opt/" not in text
    code, output = tool(locked.project, "lint", "--only", "pylock-agrees")
    assert code == 0, output
    digest = re.search(r'sha256 = "([0-9a-f]{64})"', text)
    assert digest, text[:400]
    pylock.write_text(text.replace(digest.group(1), "0" * 64, 1), encoding="utf-8")
    try:
        code, output = tool(locked.project, "lint", "--only", "pylock-agrees")
    finally:
        pylock.write_text(text, encoding="utf-8")
    assert code == 1, output
    assert re.search(
        r"^pylock\.toml:\d+: pylock-agrees: \S+==\S+ lists file hashes that "
        r"requirements\.txt does not; "
        r"run `invoke lock`, which writes pylock\.toml from requirements\.txt",
        output,
        re.M,
    ), output


def bot_bump(project: Path, pin: str, scratch: Path) -> str:
    """requirements.txt as a bot rewrites it: one package's pin and hashes moved, and
    pylock.toml untouched. The new block's hashes are real (uv, for this test only)."""
    block_in = scratch / "pin.in"
    block_in.write_text(pin + "\n", encoding="utf-8")
    compiled = run(
        ["uv", "pip", "compile", str(block_in), "--no-deps", "--generate-hashes",
         "--no-header", "--no-annotate"],
        cwd=scratch,
    ).stdout  # fmt: skip
    assert compiled.startswith(pin + " \\\n"), compiled
    name = pin.split("==")[0]
    text = (project / LOCKS[0]).read_text(encoding="utf-8")
    block = re.compile(rf"^{name}==\S+ \\\n(?:\s+--hash=\S+(?: \\)?\n)+", re.M)
    assert block.search(text), text
    return block.sub(lambda _: compiled.strip("\n") + "\n", text, count=1)


def test_the_pylock_sync_job_mends_a_bot_bump(locked: Locked, tmp_path: Path) -> None:
    """A bot PR that moves a runtime pin fails pylock-agrees until the pylock-sync job's
    command (read from the workflow, run by a bare Python as on the runner) rewrites
    pylock.toml; then it passes, and only pylock.toml changed."""
    before = locked.texts()
    workflow = yaml.safe_load(
        (locked.project / ".github/workflows/pylock-sync.yml").read_text(encoding="utf-8")
    )
    runs = [step["run"] for step in workflow["jobs"]["pylock"]["steps"] if "run" in step]
    command = shlex.split(runs[0])
    assert command[:3] == ["python", "-m", "tools"], runs
    bare = tmp_path / "bare"
    run([sys.executable, "-m", "venv", "--without-pip", str(bare)], cwd=tmp_path)
    bumped = bot_bump(locked.project, "rich==13.7.1", tmp_path)
    try:
        (locked.project / LOCKS[0]).write_text(bumped, encoding="utf-8")
        code, output = tool(locked.project, "lint", "--only", "pylock-agrees")
        assert code == 1 and "rich==" in output, output
        run([str(bare / "bin" / "python"), *command[1:]], cwd=locked.project)
        code, output = tool(locked.project, "lint", "--only", "pylock-agrees")
        assert code == 0, output
        after = locked.texts()
        changed = sorted(name for name in after if after[name] != before[name])
        assert changed == sorted([LOCKS[0], PYLOCK])
        assert 'name = "rich"\nversion = "13.7.1"' in after[PYLOCK]
    finally:
        for name, text in before.items():
            (locked.project / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("installer", ["uv pip sync", "pip install -r"])
def test_an_env_installed_from_pylock_passes_check_env(
    locked: Locked, installer: str, tmp_path: Path
) -> None:
    """The documented second install path: uv's sync and pip's install (26.1 or later) of
    pylock.toml each build an env that check-env passes against requirements.txt."""
    env = tmp_path / "env"
    python = env / "bin" / "python"
    if installer == "uv pip sync":
        run(["uv", "venv", "--quiet", "--python", sys.executable, str(env)], cwd=tmp_path)
        command = ["uv", "pip", "sync", "--python", str(python), PYLOCK]
    else:
        run([sys.executable, "-m", "venv", str(env)], cwd=tmp_path)
        run([str(python), "-m", "pip", "install", "--quiet", PIP_READING_PYLOCK], cwd=tmp_path)
        command = [str(python), "-m", "pip", "install", "--quiet", "-r", PYLOCK]
    run(command, cwd=locked.project, timeout=GUARD_SECONDS)
    checked = run(
        [str(python), "-m", "tools", "check-env", "--lock", "requirements.txt", "--strict"],
        cwd=locked.project,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert re.search(r"^locked\s+ok\s+\d+ pins from requirements\.txt$", checked.stdout, re.M)


def test_unreachable_index_is_named(locked: Locked) -> None:
    """With the index unreachable, `invoke lock --upgrade` exits 1 naming its host, not the .in."""
    before = locked.texts()
    dead = {"PIP_INDEX_URL": DEAD_INDEX, "UV_DEFAULT_INDEX": DEAD_INDEX, "UV_INDEX_URL": DEAD_INDEX}
    result = run(
        ["invoke", "lock", "--upgrade"],
        cwd=locked.project,
        check=False,
        env={**os.environ, **dead},
        timeout=GUARD_SECONDS,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert errors == [
        "ERROR: locking requirements.in failed: cannot reach 127.0.0.1; "
        "check the network or your index settings"
    ], result.stderr
    assert locked.texts() == before


def test_unknown_upgrade_package_is_refused(locked: Locked) -> None:
    """`--upgrade-package` of a package no lock pins exits 1 naming it, before any locking."""
    before = locked.texts()
    command = ["invoke", "lock", "--upgrade-package", "notapackage"]
    result = run(command, cwd=locked.project, check=False, timeout=GUARD_SECONDS)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "ERROR: --upgrade-package notapackage: not in requirements.txt or "
        "requirements-dev.txt; add it to requirements.in (or requirements-dev.in), "
        "then run `invoke lock`"
    ), result.stderr
    assert "lock: $" not in result.stdout
    assert locked.texts() == before


def test_locked_upgrade_package_is_accepted(locked: Locked) -> None:
    """`--upgrade-package` of a locked package, in any spelling, re-locks and stays fresh."""
    command = ["invoke", "lock", "--upgrade-package", "Rich"]
    result = run(command, cwd=locked.project, check=False, timeout=GUARD_SECONDS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "--upgrade-package Rich" in result.stdout
    code, output = tool(locked.project, "lint", "--only", "lock-fresh")
    assert code == 0, output


def relock_by_hand(locked: Locked) -> None:
    """Both locks re-written by the lock tool itself, as a bot or a person at the shell would:
    no `invoke lock`, so no input-hash header."""
    tool_bin = next((locked.project / ".cache" / "lock-tools").glob("*/bin"))
    for lock, source in zip(LOCKS, ("requirements.in", "requirements-dev.in"), strict=True):
        if locked.lock_tool == "uv":
            command = [str(tool_bin / "uv"), "pip", "compile", "--universal"]
            command += ["--python-version", "3.11"]
        else:
            command = [str(tool_bin / "pip-compile"), "--allow-unsafe", "--strip-extras"]
            command += ["--no-emit-index-url", "--no-emit-find-links"]
        command += [source, "--output-file", lock, "--generate-hashes", "--quiet"]
        run(command, cwd=locked.project, timeout=GUARD_SECONDS)


def test_a_lock_rewritten_by_the_lock_tool_itself_is_fresh(locked: Locked) -> None:
    """pip-compile / uv pip compile run by hand drop the header; the locks still satisfy the
    intent, so lock-fresh and `make env` accept them. A requirement added later is named."""
    before = locked.texts()
    try:
        relock_by_hand(locked)
        assert not header(locked.project, "requirements.txt").startswith("# input-sha256:")
        code, output = tool(locked.project, "lint", "--only", "lock-fresh")
        assert code == 0, output
        run(["make", "env"], cwd=locked.project, timeout=GUARD_SECONDS)
        in_file = locked.project / "requirements.in"
        in_file.write_text(in_file.read_text(encoding="utf-8") + "six\n", encoding="utf-8")
        code, output = tool(locked.project, "lint", "--only", "lock-fresh")
        assert code == 1, output
        assert re.search(
            r"^requirements\.txt:1: lock-fresh: stale: does not pin six, which "
            r"requirements\.in:\d+ asks for",
            output,
            re.M,
        ), output
    finally:
        run(["git", "checkout", "--", "requirements.in"], cwd=locked.project)
        for name, text in before.items():
            (locked.project / name).write_text(text, encoding="utf-8")


@pytest.mark.skipif(
    not python_installed(OTHER_PYTHON), reason=f"Python {OTHER_PYTHON} is not installed (pyenv)"
)
def test_python_version_change_needs_a_relock(locked: Locked) -> None:
    """Another X.Y in .python-version makes lock-fresh fail naming both; `invoke lock` fixes it."""
    version_file = locked.project / ".python-version"
    original = version_file.read_text(encoding="utf-8")
    before = locked.texts()
    version_file.write_text(f"{OTHER_PYTHON}\n", encoding="utf-8")
    try:
        code, output = tool(locked.project, "lint", "--only", "lock-fresh")
        assert code == 1, output
        assert (
            f"requirements.txt:1: lock-fresh: stale: locked for Python 3.11, "
            f".python-version says {OTHER_PYTHON}; run `invoke lock`"
        ) in output
        run(["invoke", "lock"], cwd=locked.project, timeout=GUARD_SECONDS)
        assert f"python={OTHER_PYTHON} " in header(locked.project, "requirements.txt")
        code, output = tool(locked.project, "lint", "--only", "lock-fresh")
        assert code == 0, output
    finally:
        version_file.write_text(original, encoding="utf-8")
        for name, text in before.items():
            (locked.project / name).write_text(text, encoding="utf-8")


def test_tool_bootstrap_names_an_unreachable_index(tmp_path: Path) -> None:
    """Installing the lock tool with the index unreachable exits 1 naming its host, and
    leaves no half-made tool venv behind."""
    project = bake_into(tmp_path, lock_tool="pip-tools")
    env = {**os.environ, "PIP_INDEX_URL": DEAD_INDEX}
    result = run(["invoke", "lock"], cwd=project, check=False, env=env, timeout=GUARD_SECONDS)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"ERROR: installing pip-tools=={OPTIONS['__pip_tools_version']} failed: cannot reach "
        "127.0.0.1; check the network or your index settings; run the command again once "
        "that is fixed"
    ), result.stderr
    assert not list((project / ".cache" / "lock-tools").glob("*"))
    assert not (project / "requirements.txt").exists()
