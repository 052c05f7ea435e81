#!/usr/bin/env python3
"""Time a baked project's env commands against the raw tools they wrap, in one run.

    .venv/bin/python benchmarks/bench_commands.py [--lock-tool pip-tools|uv] [--repeat 5]

Bakes the default project once per lock tool (both by default) into a scratch
folder and prints one Markdown table (paste it into the README): the median of
N runs of ours, of the raw tool on the same locks, their ratio and the budget
of DESIGN.md. Budgets are printed, never asserted. Every timed run starts from
the same env (checked from the installed distributions before each run).

  - one-package bump: lock A (`rich>=13,<14`) -> lock B (`rich>=13,<15`,
    `invoke lock --upgrade-package rich`) applied to an env at lock A:
    `make env` vs `pip-sync` / `uv pip sync` of the project's .venv;
  - cold `make env` (no .venv) vs a bare venv + hashed install of the locks;
  - no-op `make env` (absolute), beside a no-op `pip install -r` / `uv pip install -r`;
  - drift repair after `pip install rich==13.7.1`: `make env` vs the raw sync;
  - check-env without imports (absolute), beside `pip check`; and with `--imports`;
  - `invoke lock` vs the raw lock tool on the same inputs and existing pins (one
    run each; ours adds invoke's start-up, the input-hash stamp and, with uv, a
    universal resolve).
Raw syncs also remove the project's editable install (no lock names it); an
untimed `make env` puts it back before the next run. Ours and raw runs
alternate, so a shared machine's load falls on both alike. Download caches are
the real user's (both sides use them); the first `make env`, an untimed cold
build on the same pins, is the warm-up of the cold rows, and the cheap rows
get one untimed run of each side. Exit 1 with the failing command's output
when a step fails; the scratch folder is removed either way.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # invoke, uv, pip-compile of the template's venv
LOCK_TOOLS = ("pip-tools", "uv")
KEPT_PIP = {"PIP_CERT", "PIP_DEFAULT_TIMEOUT", "PIP_DISABLE_PIP_VERSION_CHECK", "PIP_CACHE_DIR"}
RICH_A, RICH_B, RICH_DRIFT = "rich>=13,<14", "rich>=13,<15", "rich==13.7.1"
# check-env at scale: this many more packages (a torch env has about 60, a big one 300).
MANY_PACKAGES = 300
# What a lock change swaps: the intent and every file `invoke lock` writes.
LOCK_FILES = ("requirements.in", "requirements-dev.in", "requirements.txt",
              "requirements-dev.txt", "pylock.toml", "environment.yml")  # fmt: skip
TAIL = 4000  # characters of a failing command's output worth showing


class BenchError(Exception):
    """A benchmark step failed; the message says which and shows its output."""


@dataclass
class Row:
    measure: str
    lock_tool: str
    ours: float
    raw_label: str
    raw: float | None
    budget: str
    within: bool | None
    notes: list[str] = field(default_factory=list)


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def isolate_environment() -> None:
    """The settings tests/conftest.py gives the slow tests: no pip configuration of this
    machine (its find-links and extra index), no uv settings, no CI, the real caches,
    and bytecode allowed."""
    cache = Path.home() / ".cache"
    os.environ.setdefault("PIP_CACHE_DIR", str(cache / "pip"))
    os.environ.setdefault("UV_CACHE_DIR", str(cache / "uv"))
    for name in list(os.environ):
        if name.startswith("PIP_") and name not in KEPT_PIP:
            del os.environ[name]
        if name.startswith(("UV_", "VIRTUAL_ENV", "CONDA_")) and name != "UV_CACHE_DIR":
            del os.environ[name]
    os.environ["PIP_CONFIG_FILE"] = os.devnull
    os.environ.pop("CI", None)
    # A developer's shell does not forbid bytecode: with it forbidden, every
    # start compiles every import again, which is not the case measured here.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"


def run(command: Sequence[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command with an empty stdin (invoke copies stdin into its commands)."""
    try:
        result = subprocess.run(
            [str(part) for part in command], cwd=cwd, input="", capture_output=True, text=True
        )
    except OSError as error:
        raise BenchError(f"`{' '.join(map(str, command))}` could not start: {error}") from error
    if check and result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise BenchError(
            f"`{' '.join(map(str, command))}` exited {result.returncode} in {cwd}\n"
            f"--- its output (last {TAIL} characters)\n{output[-TAIL:]}"
        )
    return result


def timed(command: Sequence[str], cwd: Path, check: bool = True) -> tuple[float, int]:
    started = time.perf_counter()
    result = run(command, cwd, check=check)
    return time.perf_counter() - started, result.returncode


class Project:
    """A baked project and the commands the benchmark runs in it."""

    def __init__(self, scratch: Path, lock_tool: str) -> None:
        self.lock_tool = lock_tool
        self.scratch = scratch
        try:
            baked = cookiecutter(
                str(TEMPLATE),
                no_input=True,
                output_dir=str(scratch),
                extra_context={"lock_tool": lock_tool},
            )
        except Exception as error:  # cookiecutter's own errors and the hooks' exits
            raise BenchError(
                f"baking {TEMPLATE} (lock_tool={lock_tool}) failed: {error}"
            ) from error
        self.root = Path(baked)
        self.venv = self.root / ".venv"
        self.python = self.venv / "bin" / "python"

    # ours
    def make_env(self) -> list[str]:
        return ["make", "env"]

    def invoke(self, *args: str) -> list[str]:
        return [str(BIN / "invoke"), *args]

    # raw
    def raw_pip(self, python: Path | None = None) -> list[str]:
        """pip of the env, or the project's own uv driving it (a uv venv has no pip)."""
        python = python or self.python
        if self.lock_tool == "uv":
            return [str(self.uv()), "pip"]
        return [str(python), "-m", "pip"]

    def target(self, python: Path | None = None) -> list[str]:
        return ["--python", str(python or self.python)] if self.lock_tool == "uv" else []

    def uv(self) -> Path:
        """The uv the project locked (in its env), else the template's."""
        own = self.venv / "bin" / "uv"
        return own if own.exists() else BIN / "uv"

    def cached_uv(self) -> Path:
        """The pinned uv that `make env` bootstrapped into the project's tool cache."""
        found = sorted(self.root.glob(".cache/lock-tools/**/bin/uv"))
        return found[0] if found else BIN / "uv"

    def raw_sync(self) -> list[str]:
        locks = ["requirements.txt", "requirements-dev.txt"]
        if self.lock_tool == "uv":
            return [str(self.uv()), "pip", "sync", "--python", str(self.python), *locks]
        return [str(self.venv / "bin" / "pip-sync"), "--quiet", *locks]

    def installed(self) -> list[str]:
        """The env's state: every installed distribution (name-version.dist-info)."""
        return sorted(
            path.name
            for path in self.venv.glob("lib/python*/site-packages/*")
            if path.suffix in (".dist-info", ".egg-info")
        )

    def snapshot(self) -> dict[str, str | None]:
        return {
            name: (self.root / name).read_text(encoding="utf-8")
            if (self.root / name).exists()
            else None
            for name in LOCK_FILES
        }

    def restore(self, files: dict[str, str | None]) -> None:
        for name, text in files.items():
            path = self.root / name
            if text is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(text, encoding="utf-8")

    def set_rich(self, requirement: str) -> None:
        path = self.root / "requirements.in"
        lines = path.read_text(encoding="utf-8").splitlines()
        changed = [requirement if line.strip().startswith("rich") else line for line in lines]
        if changed == lines and requirement not in lines:
            raise BenchError(f"no `rich` line in {path} to change (the template's intent moved)")
        path.write_text("\n".join(changed) + "\n", encoding="utf-8")


class Bench:
    """The measurements of one lock tool; rows are appended to `rows`."""

    def __init__(self, project: Project, repeat: int, rows: list[Row]) -> None:
        self.p = project
        self.repeat = repeat
        self.rows = rows
        self.base: list[str] = []  # the installed state every timed run starts from
        self.versions = ""
        self.lock_a: dict[str, str | None] = {}

    def log(self, message: str) -> None:
        progress(f"{self.p.lock_tool}: {message}")

    def at_base(self) -> None:
        """Bring the env to lock A with the project installed, and prove it is there."""
        if self.p.installed() != self.base:
            run(self.p.make_env(), self.p.root)
        now = self.p.installed()
        if now != self.base:
            gone = sorted(set(self.base) - set(now))
            extra = sorted(set(now) - set(self.base))
            raise BenchError(
                f"`make env` did not bring .venv back to lock A (missing {gone}, extra {extra}); "
                "the timed runs would not start from the same env"
            )

    def pair(
        self,
        label: str,
        ours: Callable[[], Sequence[str]],
        raw: Callable[[], Sequence[str]] | None,
        before: Callable[[], None],
        warm_up: bool = False,
        ours_may_fail: bool = False,
    ) -> tuple[float, float | None, set[int]]:
        """Medians of `repeat` timed runs of ours and of raw, alternating (so the load of a
        shared machine falls on both alike), each run after `before`. A failing run
        stops the benchmark with its output, unless `ours_may_fail` (its exit codes
        are returned then)."""
        if warm_up:  # first-run effects (bytecode of tools/, the OS file cache) aside
            for command in (ours, raw):
                if command:
                    before()
                    run(command(), self.p.root, check=False)
        ours_times, raw_times, codes = [], [], set()
        for number in range(1, self.repeat + 1):
            before()
            seconds, code = timed(ours(), self.p.root, check=not ours_may_fail)
            ours_times.append(seconds)
            codes.add(code)
            line = f"{label} run {number}/{self.repeat}: ours {seconds:.3f}s"
            if raw:
                before()
                seconds = timed(raw(), self.p.root)[0]
                raw_times.append(seconds)
                line += f", raw {seconds:.3f}s"
            self.log(line)
        raw_median = statistics.median(raw_times) if raw_times else None
        return statistics.median(ours_times), raw_median, codes

    def add(
        self, measure: str, ours: float, raw_label: str, raw: float | None, budget: str,
        within: bool | None, notes: Sequence[str] = (),
    ) -> None:  # fmt: skip
        self.rows.append(
            Row(measure, self.p.lock_tool, ours, raw_label, raw, budget, within, list(notes))
        )

    # --- the measurements, in the order they run ---------------------------------------

    def setup(self) -> None:
        self.log(f"baked {self.p.root.name}; locking A ({RICH_A}) and building .venv")
        self.p.set_rich(RICH_A)
        run(self.p.make_env(), self.p.root)  # no locks yet: make env locks first

    def lock_rows(self) -> None:
        tool = self.p.lock_tool
        raw_seconds = 0.0
        for in_file, lock in (("requirements.in", "requirements.txt"),
                              ("requirements-dev.in", "requirements-dev.txt")):  # fmt: skip
            # A copy of the current lock: both sides start from the same existing pins.
            copy = self.p.scratch / f"{tool}-{lock}"
            shutil.copy(self.p.root / lock, copy)
            if tool == "uv":
                command = [str(BIN / "uv"), "pip", "compile", in_file, "--quiet",
                           "--generate-hashes", "-o", str(copy)]  # fmt: skip
            else:
                command = [str(BIN / "pip-compile"), in_file, "--quiet", "--generate-hashes",
                           "--allow-unsafe", "-o", str(copy)]  # fmt: skip
            self.log(f"raw lock of {in_file}")
            raw_seconds += timed(command, self.p.root)[0]
        self.log("invoke lock")
        ours = timed(self.p.invoke("lock"), self.p.root)[0]
        raw_name = "uv pip compile" if tool == "uv" else "pip-compile"
        self.add("`invoke lock` (both locks, 1 run)", ours, f"{raw_name} (both .in)",
                 raw_seconds, "reference", None)  # fmt: skip
        # invoke lock rewrote lock A (same pins); this is the state of every later run.
        run(self.p.make_env(), self.p.root)
        self.lock_a = self.p.snapshot()
        self.base = self.p.installed()
        if not any(name.startswith("rich-13.") for name in self.base):
            raise BenchError(f"lock A should install rich 13.x; .venv has {self.base}")
        self.versions = tool_versions(self.p)

    def check_env_rows(self) -> None:
        """check-env may exit non-zero (it is being changed): its time is recorded anyway."""
        check_env = [str(self.p.python), "-m", "tools", "check-env"]
        raw_name = "uv pip check" if self.p.lock_tool == "uv" else "pip check"
        ours, raw, codes = self.pair(
            "check-env",
            lambda: check_env,
            lambda: [*self.p.raw_pip(), "check", *self.p.target()],
            self.at_base,
            warm_up=True,
            ours_may_fail=True,
        )
        notes = [f"check-env exited {sorted(codes)}"] if codes != {0} else []
        self.add("check-env, no imports", ours, raw_name, raw, "≤ 0.15 s", ours <= 0.15, notes)
        ours, _, codes = self.pair(
            "check-env --imports",
            lambda: [*check_env, "--imports"],
            None,
            self.at_base,
            warm_up=True,
            ours_may_fail=True,
        )
        notes = [f"check-env --imports exited {sorted(codes)}"] if codes != {0} else []
        self.add("check-env `--imports`", ours, "—", None, "reference", None, notes)

    def freshness_rows(self) -> None:
        """The `fresh` check itself (lock-fresh, check-env's row, `make env`'s guard): every
        lock read against its `.in` file, in-process (the tools' imports included, the
        interpreter's start-up not), with nothing remembered (a fresh clone): on the locks as
        `invoke lock` wrote them, then without their first line (as a bot rewrites them: the
        pins are read), then that again, remembered."""
        memo = self.p.root / ".cache" / "lock-satisfies.json"
        code = (
            "import time; started = time.perf_counter(); from tools import lockfile, project; "
            "found = [lockfile.staleness(project.ROOT / lock, project.ROOT / source) "
            "for lock, source in project.ALL_LOCKS]; "
            "assert found == [None] * len(found), found; print(time.perf_counter() - started)"
        )
        saved = self.p.snapshot()
        for label, forget, budget in (
            ("lock freshness, as `invoke lock` wrote them", True, "≤ 0.05 s"),
            ("lock freshness, no header: pins read", True, "reference"),
            ("lock freshness, no header: remembered", False, "≤ 0.05 s"),
        ):
            if "no header" in label:
                for name in ("requirements.txt", "requirements-dev.txt"):
                    path = self.p.root / name
                    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
                    kept = [line for line in lines if not line.startswith("# input-sha256: ")]
                    path.write_text("".join(kept), encoding="utf-8")
            seconds = []
            for _ in range(self.repeat):
                if forget:
                    memo.unlink(missing_ok=True)
                seconds.append(float(run([str(self.p.python), "-c", code], self.p.root).stdout))
            ours = statistics.median(seconds)
            self.log(f"{label}: {ours:.3f}s (median of {self.repeat})")
            within = ours <= 0.05 if budget != "reference" else None
            self.add(label, ours, "—", None, budget, within)
        self.p.restore(saved)

    def many_packages_rows(self) -> None:
        """check-env on an env of 300 more packages (small stand-ins: check-env reads
        metadata, never imports them), each in the lock, against the raw `pip check`."""
        site = next((self.p.venv / "lib").glob("python3*/site-packages"))
        saved = self.p.snapshot()
        lock = self.p.root / "requirements.txt"
        entries = []
        for number in range(MANY_PACKAGES):
            name = f"standin{number:03d}"
            info = site / f"{name}-1.0.dist-info"
            info.mkdir()
            (site / f"{name}.py").write_text("", encoding="utf-8")
            (info / "METADATA").write_text(
                f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\nRequires-Dist: rich\n",
                encoding="utf-8",
            )
            (info / "top_level.txt").write_text(f"{name}\n", encoding="utf-8")
            (info / "WHEEL").write_text(
                "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n", encoding="utf-8"
            )
            (info / "INSTALLER").write_text("bench\n", encoding="utf-8")
            (info / "RECORD").write_text(f"{name}.py,,\n{name}-1.0.dist-info/RECORD,,\n")
            entries.append(
                f"{name}==1.0 \\\n    --hash=sha256:{'0' * 64}\n    # via -r requirements.in\n"
            )
        lock.write_text(lock.read_text(encoding="utf-8") + "".join(entries), encoding="utf-8")
        # Asked for by requirements.in too, so that the lock still satisfies it (`fresh`).
        intent = self.p.root / "requirements.in"
        names = "".join(f"standin{number:03d}\n" for number in range(MANY_PACKAGES))
        intent.write_text(intent.read_text(encoding="utf-8") + names, encoding="utf-8")
        # The dev lock is constrained by requirements.txt: stamp it as `invoke lock` would.
        stamp = (
            "from pathlib import Path; from tools import lockfile; "
            "lockfile.stamp(Path('requirements-dev.txt'), Path('requirements-dev.in'))"
        )
        run([sys.executable, "-c", stamp], self.p.root)
        try:
            total = len(self.base) + MANY_PACKAGES
            ours, raw, codes = self.pair(
                f"check-env, {total} packages",
                lambda: [str(self.p.python), "-m", "tools", "check-env"],
                lambda: [*self.p.raw_pip(), "check", *self.p.target()],
                lambda: None,
                warm_up=True,
                ours_may_fail=True,
            )
            notes = [f"check-env exited {sorted(codes)}"] if codes != {0} else []
            raw_name = "uv pip check" if self.p.lock_tool == "uv" else "pip check"
            self.add(f"check-env, no imports, {total} packages", ours, raw_name, raw,
                     "reference", None, notes)  # fmt: skip
        finally:
            for number in range(MANY_PACKAGES):
                name = f"standin{number:03d}"
                shutil.rmtree(site / f"{name}-1.0.dist-info")
                (site / f"{name}.py").unlink()
            self.p.restore(saved)

    def noop_rows(self) -> None:
        locks = ["--require-hashes", "-r", "requirements.txt", "-r", "requirements-dev.txt"]
        raw_command = [*self.p.raw_pip(), "install", *self.p.target(), *locks]
        ours, raw, _ = self.pair(
            "no-op", self.p.make_env, lambda: raw_command, self.at_base, warm_up=True
        )
        raw_name = f"{'uv pip' if self.p.lock_tool == 'uv' else 'pip'} install -r (no-op)"
        self.add("no-op `make env`", ours, raw_name, raw, "≤ 0.3 s", ours <= 0.3)

    def drift_rows(self) -> None:
        def drift() -> None:
            self.at_base()
            command = [*self.p.raw_pip(), "install", *self.p.target(), "--quiet", RICH_DRIFT]
            run(command, self.p.root)
            if f"{RICH_DRIFT.replace('==', '-')}.dist-info" not in self.p.installed():
                raise BenchError(f"`{' '.join(command)}` did not make the drift")

        ours, raw, _ = self.pair("drift repair", self.p.make_env, self.p.raw_sync, drift)
        budget, within = self.ratio_budget(ours, raw)
        self.add(f"drift repair (`{RICH_DRIFT}`)", ours, self.raw_sync_name(), raw, budget, within)

    def bump_rows(self) -> None:
        self.log(f"locking B ({RICH_B}, --upgrade-package rich)")
        self.p.set_rich(RICH_B)
        run(self.p.invoke("lock", "--upgrade-package", "rich"), self.p.root)
        lock_b = self.p.snapshot()
        moved = self.moved(self.lock_a, lock_b)
        self.p.restore(self.lock_a)
        if not moved:
            raise BenchError(f"lock B ({RICH_B}) pins the same versions as lock A")

        def from_a_to_b() -> None:
            self.p.restore(self.lock_a)
            self.at_base()
            self.p.restore(lock_b)

        ours, raw, _ = self.pair("bump", self.p.make_env, self.p.raw_sync, from_a_to_b)
        self.p.restore(self.lock_a)
        self.at_base()
        budget, within = self.ratio_budget(ours, raw)
        self.add("one-package bump (lock A → B)", ours, self.raw_sync_name(), raw, budget, within,
                 notes=[f"moved: {', '.join(moved)}"])  # fmt: skip

    def cold_rows(self) -> None:
        """Last: it removes .venv. The raw side builds beside it, from the same locks."""
        base_python = run(
            [str(self.p.python), "-c", "import sys; print(sys._base_executable)"], self.p.root
        ).stdout.strip()
        raw_venv = self.p.scratch / f"raw-venv-{self.p.lock_tool}"
        locks = ["-r", "requirements.txt", "-r", "requirements-dev.txt"]

        def no_env() -> None:
            shutil.rmtree(self.p.venv, ignore_errors=True)
            shutil.rmtree(raw_venv, ignore_errors=True)

        if self.p.lock_tool == "uv":
            uv = str(self.p.cached_uv())  # the uv `make env` uses (.venv's goes with it)
            raw_command = ["sh", "-c",
                           f'"{uv}" venv --quiet --python "{base_python}" "{raw_venv}" && '
                           f'"{uv}" pip install --quiet --python "{raw_venv}" --require-hashes '
                           + " ".join(locks)]  # fmt: skip
            raw_name = "uv venv + uv pip install --require-hashes"
        else:
            raw_command = ["sh", "-c",
                           f'"{base_python}" -m venv "{raw_venv}" && "{raw_venv}/bin/python" -m '
                           "pip install --quiet --require-hashes " + " ".join(locks)]  # fmt: skip
            raw_name = "venv + pip install --require-hashes"
        # The warm-up: the first `make env` (setup) built this env from scratch on the
        # same pins, filling the download caches both sides read; the runs alternate.
        ours, raw, _ = self.pair("cold", self.p.make_env, lambda: raw_command, no_env)
        self.add("cold `make env` (no .venv)", ours, raw_name, raw, "≤ 1.2x",
                 ours <= 1.2 * raw)  # fmt: skip
        if self.p.lock_tool == "uv":
            # What a person doing it by hand also runs: the project's editable install.
            with_project = [raw_command[0], raw_command[1], raw_command[2] + (
                f' && "{uv}" pip install --quiet --python "{raw_venv}" '
                "--no-deps --no-build-isolation --no-index --editable .")]  # fmt: skip
            ours, raw, _ = self.pair("cold+project", self.p.make_env, lambda: with_project, no_env)
            self.add("cold `make env` (no .venv)", ours, raw_name + " + editable project",
                     raw, "reference", None)  # fmt: skip
        shutil.rmtree(raw_venv, ignore_errors=True)

    # --- helpers -----------------------------------------------------------------------

    def raw_sync_name(self) -> str:
        return "uv pip sync" if self.p.lock_tool == "uv" else "pip-sync"

    def ratio_budget(self, ours: float, raw: float) -> tuple[str, bool]:
        if self.p.lock_tool == "uv":
            return "≤ max(1.5x, +0.3 s)", ours <= max(1.5 * raw, raw + 0.3)
        return "≤ 1.5x", ours <= 1.5 * raw

    @staticmethod
    def moved(before: dict[str, str | None], after: dict[str, str | None]) -> list[str]:
        """The `name==version` pins of lock B that lock A does not have."""

        def pins(files: dict[str, str | None]) -> set[str]:
            lines = "\n".join(files[name] or "" for name in ("requirements.txt",
                                                             "requirements-dev.txt"))  # fmt: skip
            return {line.split()[0] for line in lines.splitlines() if "==" in line
                    and not line.lstrip().startswith(("#", "-"))}  # fmt: skip

        return sorted(pins(after) - pins(before))

    def all(self, only_check_env: bool = False) -> None:
        started = time.perf_counter()
        steps = [self.setup, self.lock_rows, self.check_env_rows, self.freshness_rows]
        steps.append(self.many_packages_rows)
        if not only_check_env:
            steps += [self.noop_rows, self.drift_rows, self.bump_rows, self.cold_rows]
        for step in steps:
            step()
        self.log(f"done in {time.perf_counter() - started:.0f}s")


def version_of(command: Sequence[str], cwd: Path) -> str:
    result = run(command, cwd, check=False)
    text = (result.stdout or result.stderr).strip().splitlines()
    return text[0] if result.returncode == 0 and text else "unknown"


def tool_versions(project: Project) -> str:
    python = str(project.python)
    probe = [python, "-c", "import platform; print(platform.python_version())"]
    parts = [f"env Python {version_of(probe, project.root)}"]
    if project.lock_tool == "uv":
        parts.append(f".venv's {version_of([str(project.uv()), '--version'], project.root)}")
        cached = version_of([str(project.cached_uv()), "--version"], project.root)
        parts.append(
            f"make env's {cached} ({project.cached_uv().relative_to(project.root.parent)})"
        )
    else:
        pip = version_of([python, "-m", "pip", "--version"], project.root).split(" from ")[0]
        sync = version_of([str(project.venv / "bin" / "pip-sync"), "--version"], project.root)
        parts += [pip, sync.replace(", version", "")]
    return ", ".join(parts)


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| measure | lock tool | ours (s) | raw tool | raw (s) | ratio | budget | within budget? |",
        "|---|---|---:|---|---:|---:|---|---|",
    ]
    for row in rows:
        ratio = f"{row.ours / row.raw:.2f}x" if row.raw else "—"
        within = {True: "yes", False: "**no**", None: "—"}[row.within]
        if row.notes:
            within += f" ({'; '.join(row.notes)})"
        lines.append(
            f"| {row.measure} | {row.lock_tool} | {seconds(row.ours)} | {row.raw_label} | "
            f"{seconds(row.raw)} | {ratio} | {row.budget} | {within} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lock-tool", choices=LOCK_TOOLS, help="only this lock tool (default: both)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="timed runs per measure, median taken (default 5; fewer only for a smoke test)",
    )
    parser.add_argument(
        "--check-env-only",
        action="store_true",
        help="only the check-env rows (after the bake and the locks every row needs)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    isolate_environment()
    rows: list[Row] = []
    versions: dict[str, str] = {}
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory(prefix="bench-commands-") as scratch:
            for lock_tool in [args.lock_tool] if args.lock_tool else LOCK_TOOLS:
                folder = Path(scratch) / lock_tool
                folder.mkdir()
                project = Project(folder, lock_tool)
                bench = Bench(project, args.repeat, rows)
                bench.all(args.check_env_only)
                versions[lock_tool] = bench.versions
    except BenchError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the scratch folders were removed", file=sys.stderr)
        return 130
    total = time.perf_counter() - started
    load = f"load average {load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    print(f"Date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}  ")
    print(
        f"Machine: {os.cpu_count()} cores, {platform.platform()}, "
        f"Python {platform.python_version()} (benchmark), {load}  "
    )
    template_tools = ", ".join(
        version_of([str(BIN / name), "--version"], TEMPLATE).replace(", version", "")
        for name in ("uv", "pip-compile", "invoke")
    )
    print(f"Template tools: {template_tools}  ")
    for lock_tool, text in versions.items():
        print(f"{lock_tool} project: {text}  ")
    print(f"Median of {args.repeat} runs (lock rows: 1 run); whole run {total:.0f}s.\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
