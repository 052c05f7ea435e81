"""pre-commit, in the generated project and in the template repository itself.

Every hook installs from the package index at the version requirements-dev.txt
pins (no hook repository is cloned); on a freshly baked and locked project,
`pre-commit run --all-files` passes on the first run without touching a file.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import (
    OPTIONS,
    TEMPLATE,
    TOOLS_BIN,
    append,
    bake_into,
    copy_project,
    edit,
    run,
    stamp_locks,
)

PRE_COMMIT = str(TOOLS_BIN / "pre-commit")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# Copies leave out only the .venv: .cache, which holds the lock tool's cache, is kept.
NOT_COPIED = (".venv",)


def dependency_pins(config: str, package: str) -> set[str]:
    return set(re.findall(rf"\b{re.escape(package)}==([\w.]+)", config))


def lock_pin(lock: Path, package: str) -> str:
    match = re.search(rf"^{re.escape(package)}==(\S+)", lock.read_text(encoding="utf-8"), re.M)
    assert match, f"{package} is not pinned in {lock}"
    return match.group(1)


def test_generated_config_validates(default_project: Path) -> None:
    """The generated .pre-commit-config.yaml is a valid pre-commit config."""
    run([PRE_COMMIT, "validate-config", ".pre-commit-config.yaml"], cwd=default_project)


def test_generated_hooks_clone_nothing(default_project: Path) -> None:
    """Every generated hook repository is `local`: hooks install from the package index."""
    config = (default_project / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert set(re.findall(r"^\s*-\s*repo:\s*(\S+)", config, re.M)) == {"local"}
    languages = set(re.findall(r"^\s*language:\s*(\S+)", config, re.M))
    assert languages == {"python"}


def test_hook_versions_come_from_one_place(default_project: Path) -> None:
    """Each hook dependency has one version, in the hooks and in requirements-dev.in."""
    config = (default_project / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    dev_in = (default_project / "requirements-dev.in").read_text(encoding="utf-8")
    for package, key in (
        ("ruff", "__ruff_version"),
        ("pre-commit-hooks", "__pre_commit_hooks_version"),
        ("zizmor", "__zizmor_version"),
        ("ruamel.yaml", "__ruamel_yaml_version"),
    ):
        assert dependency_pins(config, package) == {OPTIONS[key]}
        assert dependency_pins(dev_in, package) == {OPTIONS[key]}


def test_template_ruff_is_the_generated_ruff() -> None:
    """The ruff and zizmor that check baked projects in these tests are the ones they pin."""
    assert OPTIONS["__ruff_version"] == lock_pin(TEMPLATE / "requirements-dev.txt", "ruff")
    assert OPTIONS["__zizmor_version"] == lock_pin(TEMPLATE / "requirements-dev.txt", "zizmor")


def test_template_config_validates_and_pins_its_ruff() -> None:
    """The template's own config is valid and its ruff is requirements-dev.txt's ruff."""
    run([PRE_COMMIT, "validate-config", ".pre-commit-config.yaml"], cwd=TEMPLATE)
    config = (TEMPLATE / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert dependency_pins(config, "ruff") == {lock_pin(TEMPLATE / "requirements-dev.txt", "ruff")}


@pytest.mark.slow
def test_pre_commit_passes_first_time(locked_project: Path) -> None:
    """On a baked, locked project, every hook passes on the first run and changes no file."""
    before = run(["git", "status", "--porcelain"], cwd=locked_project).stdout
    result = run([PRE_COMMIT, "run", "--all-files"], cwd=locked_project)
    hooks = ("ruff check", "check yaml", "zizmor", "lock-fresh", "pins-exact", "python-agrees")
    for hook in hooks:
        assert re.search(rf"^{re.escape(hook)}.*Passed$", result.stdout, re.M), result.stdout
    run(["git", "diff", "--exit-code"], cwd=locked_project)
    assert run(["git", "status", "--porcelain"], cwd=locked_project).stdout == before


@pytest.mark.slow
def test_every_hook_env_holds_only_pinned_packages(
    locked_project: Path, pre_commit_home: Path
) -> None:
    """Each hook pins its whole dependency tree: every package pre-commit installed into a
    hook env is one of the config's `name==version` pins (besides the env's own pip)."""
    run([PRE_COMMIT, "install-hooks"], cwd=locked_project)
    config = (locked_project / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    pinned = {
        (canonical(name), version)
        for name, version in re.findall(r'"([A-Za-z0-9._-]+)==([^";\s]+)', config)
    }
    envs = sorted(pre_commit_home.glob("repo*/py_env-*"))
    assert envs, f"no hook env under {pre_commit_home}"
    seeds = {"pip", "setuptools", "wheel", "pre-commit-placeholder-package"}
    for env in envs:
        listed = run([str(env / "bin" / "python"), "-m", "pip", "list", "--format=json"], cwd=env)
        installed = {(canonical(p["name"]), p["version"]) for p in json.loads(listed.stdout)}
        unpinned = {item for item in installed if item[0] not in seeds} - pinned
        assert not unpinned, f"{env.name} in {env.parent.name}: {sorted(unpinned)} not pinned"


@pytest.mark.slow
def test_invoke_lint_passes(locked_project: Path) -> None:
    """`invoke lint` (pre-commit on every file) and `invoke lint --pins` pass."""
    invoke = str(locked_project / ".venv" / "bin" / "invoke")
    run([invoke, "lint"], cwd=locked_project)
    pins = run([invoke, "lint", "--pins"], cwd=locked_project)
    for check in ("lock-fresh", "pins-exact", "python-agrees", "hooks-agree"):
        assert f"{check}: ok" in pins.stdout


@pytest.mark.slow
def test_nox_lint_passes(locked_project: Path) -> None:
    """`nox -s lint` runs the hooks from a fresh env built from the dev lock."""
    run([str(locked_project / ".venv" / "bin" / "nox"), "-s", "lint"], cwd=locked_project)


@pytest.mark.slow
def test_lint_type_checks_src_and_tests(locked_project: Path, tmp_path: Path) -> None:
    """After the hooks, `invoke lint` runs mypy: a seeded type error fails it at its line."""
    project = copy_project(locked_project, tmp_path, ignore=NOT_COPIED)
    package = next(path for path in (project / "src").iterdir() if path.is_dir())
    seeded = 'def answer() -> int:\n    return "forty-two"\n'
    (package / "seeded.py").write_text(seeded, encoding="utf-8")
    python = locked_project / ".venv" / "bin" / "python"
    result = run([str(python), "-m", "tools", "lint"], cwd=project, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(
        r"^src/\w+/seeded\.py:2: error: Incompatible return value type", result.stdout, re.M
    ), result.stdout


@pytest.mark.slow
def test_zizmor_hook_flags_an_action_pinned_to_a_tag(locked_project: Path, tmp_path: Path) -> None:
    """The project's own workflow audit: a tag that can be moved fails the zizmor hook."""
    project = copy_project(locked_project, tmp_path, ignore=NOT_COPIED)
    edit(
        project / ".github/workflows/ci.yml",
        r"actions/checkout@[0-9a-f]{40} # v[\d.]+",
        "actions/checkout@v5",
    )
    result = run([PRE_COMMIT, "run", "zizmor", "--all-files"], cwd=project, check=False)
    assert result.returncode == 1, result.stdout
    assert "unpinned-uses" in result.stdout, result.stdout


@pytest.mark.slow
def test_pre_commit_hook_reports_a_stale_lock(locked_project: Path, tmp_path: Path) -> None:
    """Through pre-commit too, a stale lock fails the lock-fresh hook with its line."""
    project = copy_project(locked_project, tmp_path, ignore=NOT_COPIED)
    append(project / "requirements.in", "six\n")
    result = run([PRE_COMMIT, "run", "lock-fresh", "--all-files"], cwd=project, check=False)
    assert result.returncode == 1, result.stdout
    assert re.search(r"^requirements\.txt:1: lock-fresh: stale: ", result.stdout, re.M), (
        result.stdout
    )


@pytest.mark.slow
def test_pre_commit_hook_reports_a_stale_conda_lock(tmp_path: Path) -> None:
    """In a conda project, a change to environment.yml alone runs lock-fresh, which names a
    stale conda-lock.yml."""
    project = bake_into(tmp_path, env_manager="conda", lock_tool="uv")
    pairs = [
        ("requirements.txt", "requirements.in"),
        ("requirements-dev.txt", "requirements-dev.in"),
        ("conda-lock.yml", "environment.yml"),
    ]
    stamp_locks(project, *pairs)
    run(["git", "add", "pylock.toml", *(lock for lock, _ in pairs)], cwd=project)
    command = [PRE_COMMIT, "run", "lock-fresh", "--files", "environment.yml"]
    result = run(command, cwd=project)
    assert re.search(r"^lock-fresh.*Passed$", result.stdout, re.M), result.stdout
    append(project / "environment.yml", "  - scipy>=1.11\n")
    result = run(command, cwd=project, check=False)
    assert result.returncode == 1, result.stdout
    assert re.search(
        r"^conda-lock\.yml:1: lock-fresh: stale: locked from an older environment\.yml",
        result.stdout,
        re.M,
    ), result.stdout


@pytest.mark.slow
def test_adding_a_dependency_by_the_readme_recipe_passes_every_hook(
    locked_project: Path, tmp_path: Path
) -> None:
    """Venv project: add to requirements.in, `invoke lock`, `make env`, commit the files the
    README names: every hook passes; environment.yml followed by itself."""
    project = copy_project(locked_project, tmp_path, ignore=NOT_COPIED)
    append(project / "requirements.in", "packaging>=23\n")
    invoke = str(TOOLS_BIN / "invoke")
    locked = run([invoke, "lock"], cwd=project)
    assert "wrote environment.yml from requirements.in" in locked.stdout
    assert "  - packaging>=23\n" in (project / "environment.yml").read_text(encoding="utf-8")
    run(["make", "env"], cwd=project)
    files = ["requirements.in", "requirements.txt", "pylock.toml", "requirements-dev.txt"]
    files.append("environment.yml")
    run(["git", "add", *files], cwd=project)
    run(["git", "commit", "--quiet", "-m", "add packaging"], cwd=project)
    run([PRE_COMMIT, "run", "--all-files"], cwd=project)


@pytest.mark.slow
def test_pre_commit_fails_on_lock_line_without_pin(locked_project: Path, tmp_path: Path) -> None:
    """Through `invoke lint --pins`, an unpinned lock line exits 1 with its line."""
    project = copy_project(locked_project, tmp_path, ignore=NOT_COPIED)
    edit(project / "requirements.txt", r"^numpy==", "numpy>=")
    result = run([str(TOOLS_BIN / "invoke"), "lint", "--pins"], cwd=project, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"^requirements\.txt:\d+: pins-exact: `numpy>=", result.stdout, re.M)


def tracked_copy(source: Path, target: Path) -> Path:
    """The files git tracks in `source`, as its working tree has them, in a new repository.

    The hooks include fixers (ruff --fix, end-of-file, whitespace): run on the
    checkout itself, they would edit it. Edits not yet committed are included.
    """
    listed = run(["git", "ls-files", "-z"], cwd=source, check=False)
    if listed.returncode != 0:
        pytest.skip(f"{source} is not a git checkout")
    for name in filter(None, listed.stdout.split("\0")):
        if (source / name).is_file():  # a tracked file deleted in the working tree stays out
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target / name)
    run(["git", "init", "--quiet"], cwd=target)
    run(["git", "add", "--all"], cwd=target)
    return target


@pytest.mark.slow
def test_template_repository_passes_its_own_hooks(tmp_path: Path) -> None:
    """The template repository's own hooks pass on its tracked files, on a copy they cannot edit."""
    copy = tracked_copy(TEMPLATE, tmp_path / "template")
    assert (copy / ".pre-commit-config.yaml").exists()
    command = [PRE_COMMIT, "run", "--all-files", "--show-diff-on-failure"]
    result = run(command, cwd=copy, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert run(["git", "diff", "--stat"], cwd=copy).stdout == ""  # no fixer changed a file
