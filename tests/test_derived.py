"""The two descriptions of a project's dependencies: the intent, and the file written from it.

A venv project's intent is requirements.in and environment.yml is written from
it; a conda project's intent is environment.yml and requirements.in is written
from it. The fast tier bakes each combination (the bake writes what
`invoke lock` writes) and breaks a copy by hand (lock-fresh names the intent
file); the slow tier runs the conda recipe up to the solver.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from conftest import (
    bake_into,
    choices,
    copy_project,
    edit,
    manual,
    run,
    tool,
    validate_workflow,
)

COMBINATIONS = [
    {"env_manager": manager, "gpu": gpu, "python_version": python}
    for (manager, gpu), python in zip(
        itertools.product(choices("env_manager"), ["no", "12.4", "11.8", "13.0"]),
        itertools.cycle(["3.11", "3.12", "3.10.14"]),
    )
]
WRITTEN_AS_LOCK_WRITES = "import sys; from tools import derived; sys.exit(derived.differs())"
LOCK_FRESH = ("lint", "--only", "lock-fresh")


def ids(answers: dict[str, str]) -> str:
    return "-".join(f"{key}={value}" for key, value in answers.items())


@pytest.fixture(scope="module")
def baked(request: pytest.FixtureRequest, module_tmp: Callable[[str], Path]) -> Path:
    return bake_into(module_tmp("conda"), **request.param)


@pytest.mark.parametrize("baked", COMBINATIONS, ids=ids, indirect=True)
def test_environment_yml_parses_and_the_derived_file_is_what_lock_writes(baked: Path) -> None:
    """environment.yml is YAML in conda's shape; the bake wrote the derived file exactly as
    `invoke lock` does; its Python agrees with .python-version."""
    env = yaml.safe_load((baked / "environment.yml").read_text(encoding="utf-8"))
    assert env["name"] == baked.name
    assert env["channels"][0] == "conda-forge" and "defaults" not in env["channels"]
    assert env["platforms"] == ["linux-64", "osx-64", "osx-arm64", "win-64"]
    python = (baked / ".python-version").read_text(encoding="utf-8").strip()
    conda = (baked / "tools" / "conda_env.py").exists()
    wanted = python if conda else ".".join(python.split(".")[:2])  # derived: X.Y, as locks
    assert f"python={wanted}" in env["dependencies"]
    assert "pip" in env["dependencies"]
    assert not any(isinstance(dep, dict) for dep in env["dependencies"])  # no empty pip:
    derived = run([sys.executable, "-c", WRITTEN_AS_LOCK_WRITES], cwd=baked, check=False)
    assert derived.returncode == 0, derived.stdout + derived.stderr
    code, output = tool(baked, "lint", "--only", "python-agrees")
    assert code == 0, output


@pytest.mark.parametrize("baked", COMBINATIONS, ids=ids, indirect=True)
def test_gpu_channel_and_cuda_pin(baked: Path, request: pytest.FixtureRequest) -> None:
    """A GPU project adds the nvidia channel and pins cuda-version; a CPU one neither."""
    answers = request.node.callspec.params["baked"]
    env = yaml.safe_load((baked / "environment.yml").read_text(encoding="utf-8"))
    cuda = [dep for dep in env["dependencies"] if str(dep).startswith("cuda-version")]
    if answers["gpu"] != "no":
        assert "nvidia" in env["channels"]
        assert cuda == [f"cuda-version={answers['gpu']}"]
    else:
        assert "nvidia" not in env["channels"] and cuda == []


@pytest.fixture(scope="module")
def conda_bake(bake_once: Callable[..., Path]) -> Path:
    """A default bake with env_manager=conda; tests seed their disagreements into copies."""
    return bake_once(env_manager="conda")


def seeded(project: Path, tmp_path: Path, edits: dict[str, tuple[str, str]]) -> Path:
    """A copy of `project` with each file's first match of `old` replaced by `new`."""
    copy = copy_project(project, tmp_path)
    for name, (old, new) in edits.items():
        edit(copy / name, old, new)
    return copy


def test_a_hand_edit_of_requirements_in_names_environment_yml(
    conda_bake: Path, tmp_path: Path
) -> None:
    """In a conda project requirements.in is written from environment.yml: lock-fresh fails
    a hand edit with the line naming the file to edit instead."""
    copy = seeded(conda_bake, tmp_path, {"requirements.in": (r"^rich>=13$", "rich>=13\nscipy")})
    code, output = tool(copy, *LOCK_FRESH)
    assert code == 1, output
    assert (
        "requirements.in:1: lock-fresh: is not what environment.yml gives (not re-locked, or "
        "edited by hand?); run `invoke lock`, which writes it; add dependencies to "
        "environment.yml, not here\n"
    ) in output


def test_another_python_in_environment_yml_fails_python_agrees(
    conda_bake: Path, tmp_path: Path
) -> None:
    copy = seeded(
        conda_bake, tmp_path, {"environment.yml": (r"^  - python=3\.11$", "  - python=3.12")}
    )
    code, output = tool(copy, "lint", "--only", "python-agrees")
    assert code == 1, output
    assert re.search(
        r"^environment\.yml:\d+: python-agrees: its python names python=3\.12, but "
        r"\.python-version says 3\.11; write `  - python=3\.11` in environment\.yml$",
        output,
        re.M,
    ), output


def test_unreadable_environment_yml_is_one_line(conda_bake: Path, tmp_path: Path) -> None:
    """A scalar where a list belongs is refused with one line, exit 1."""
    edits = {"environment.yml": (r"^channels:\n  - conda-forge$", "channels: conda-forge")}
    code, output = tool(seeded(conda_bake, tmp_path, edits), *LOCK_FRESH)
    assert code == 1 and len(output.strip().splitlines()) == 1, output
    assert output.startswith("ERROR: environment.yml:") and "as a list" in output


@pytest.mark.slow
def test_the_conda_recipe_writes_requirements_in_and_locks_it(
    conda_bake: Path, tmp_path: Path
) -> None:
    """The README's recipe up to the solver: add a package to environment.yml, `invoke lock
    --no-conda` (no conda solver here) writes requirements.in from it and locks it; lock-fresh
    then asks only for conda-lock.yml."""
    copy = seeded(
        conda_bake,
        tmp_path,
        {
            "environment.yml": (
                r"^  - rich>=13$",
                "  - rich>=13\n  - six>=1.16\n  - mkl  # conda-only",
            )
        },
    )
    result = run([sys.executable, "-m", "tools", "lock", "--no-conda"], cwd=copy)
    assert "lock: wrote requirements.in from environment.yml" in result.stdout
    assert "six>=1.16" in (copy / "requirements.in").read_text(encoding="utf-8")
    assert "mkl" not in (copy / "requirements.in").read_text(encoding="utf-8")
    assert re.search(r"^six==", (copy / "requirements.txt").read_text(encoding="utf-8"), re.M)
    run(["git", "add", "-A"], cwd=copy)
    code, output = tool(copy, *LOCK_FRESH)
    assert code == 1, output
    assert output == (
        "environment.yml:1: lock-fresh: conda-lock.yml is missing; run `invoke lock --conda`, "
        "then commit environment.yml and conda-lock.yml together\n"
    )


@pytest.mark.parametrize("manager", choices("env_manager"))
def test_conda_ci_job_only_for_conda(tmp_path: Path, manager: str) -> None:
    """The workflow validates and has a conda job exactly when env_manager is conda."""
    project = bake_into(tmp_path, env_manager=manager, ci="github")
    workflow = project / ".github" / "workflows" / "ci.yml"
    jobs = yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"]
    assert ("conda" in jobs) == (manager == "conda")
    if manager == "conda":
        steps = jobs["conda"]["steps"]
        assert [step.get("run") for step in steps if "run" in step] == [
            "python -m tools env",
            ".conda-env/bin/invoke check-env --imports",
        ]
        assert all(step["run"] in manual(project) for step in steps if "run" in step)
        assert any(step.get("uses", "").startswith("mamba-org/setup-micromamba@") for step in steps)
    validate_workflow(project)


@pytest.mark.parametrize("manager", choices("env_manager"))
def test_readme_and_tasks_name_the_project_env(
    bake_once: Callable[..., Path], manager: str
) -> None:
    """The README's first commands and tables name the env `make env` builds, not the other."""
    project = bake_once(env_manager=manager)
    readme = (project / "README.md").read_text(encoding="utf-8")
    env, other = (".conda-env", ".venv") if manager == "conda" else (".venv", ".conda-env")
    opening = readme.split("## What the files are")[0]
    assert re.search(rf"^make env +# build {re.escape(env)}", opening, re.M), opening
    assert other not in opening, opening
    for command in ("invoke check-env", "invoke test"):
        assert f"{env}/bin/{command}" in opening, opening
    commands = manual(project).split("## Commands")[1].split("### check-env")[0]
    env_row = next(row for row in commands.splitlines() if row.startswith("| `invoke env`"))
    assert f"make {env} exactly the locks" in env_row and other not in env_row, env_row
    paragraph = next(line for line in commands.splitlines() if line.startswith("**`make env`**"))
    assert f"syncs `{env}" in paragraph and f"previous `{env}` back" in paragraph, paragraph
    code, verbs = tool(project, "--help")
    assert code == 0, verbs
    assert f"make {env} exactly the locks" in verbs and other not in verbs, verbs
