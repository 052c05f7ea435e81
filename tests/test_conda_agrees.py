"""environment.yml of every combination, and the conda-agrees check of the baked project.

The fast tier bakes each combination and runs `python -m tools lint --only conda-agrees`
as the project does; the slow tier seeds each kind of disagreement and
expects exit 1 with a line for each side.
"""

from __future__ import annotations

import itertools
import re
import sys
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
LINE = r"^[^:\s]+:\d+: conda-agrees: .+; .+$"
WRITTEN_AS_LOCK_WRITES = (
    "import sys; from tools import environment_yml; sys.exit(environment_yml.differs())"
)
CONDA_AGREES = ("lint", "--only", "conda-agrees")


def ids(answers: dict[str, str]) -> str:
    return "-".join(f"{key}={value}" for key, value in answers.items())


@pytest.fixture(scope="module")
def baked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bake_into(tmp_path_factory.mktemp("conda"), **request.param)


@pytest.mark.parametrize("baked", COMBINATIONS, ids=ids, indirect=True)
def test_environment_yml_parses_and_agrees(baked: Path) -> None:
    """environment.yml is YAML in conda's shape, and conda-agrees passes on it."""
    env = yaml.safe_load((baked / "environment.yml").read_text(encoding="utf-8"))
    assert env["name"] == baked.name
    assert env["channels"][0] == "conda-forge" and "defaults" not in env["channels"]
    assert env["platforms"] == ["linux-64", "osx-64", "osx-arm64", "win-64"]
    python = (baked / ".python-version").read_text(encoding="utf-8").strip()
    if not (baked / "tools" / "conda_agrees.py").exists():  # derived, like the locks: X.Y
        python = ".".join(python.split(".")[:2])
    assert f"python={python}" in env["dependencies"]
    assert "pip" in env["dependencies"]
    assert not any(isinstance(dep, dict) for dep in env["dependencies"])  # no empty pip:
    if (baked / "tools" / "conda_agrees.py").exists():
        code, output = tool(baked, *CONDA_AGREES)
        assert code == 0, output
        assert output.startswith("conda-agrees: ok")
    else:  # a venv project: environment.yml is derived, and the bake wrote what lock writes
        derived = run([sys.executable, "-c", WRITTEN_AS_LOCK_WRITES], cwd=baked, check=False)
        assert derived.returncode == 0, derived.stdout + derived.stderr


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
def conda_bake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A default bake with env_manager=conda; tests seed their disagreements into copies."""
    return bake_into(tmp_path_factory.mktemp("conda-default"), env_manager="conda")


def seeded(project: Path, tmp_path: Path, edits: dict[str, tuple[str, str]]) -> Path:
    """A copy of `project` with each file's first match of `old` replaced by `new`."""
    copy = copy_project(project, tmp_path)
    for name, (old, new) in edits.items():
        edit(copy / name, old, new)
    return copy


DISAGREEMENTS = {
    "only-in-requirements": (
        {"requirements.in": (r"^rich>=13$", "rich>=13\nscipy>=1.11")},
        [r"^requirements\.in:\d+: conda-agrees: `scipy>=1\.11` is not in environment\.yml; add"],
    ),
    "only-in-environment": (
        {"environment.yml": (r"^  - rich>=13$", "  - rich>=13\n  - pandas>=2")},
        [r"^environment\.yml:\d+: conda-agrees: `pandas>=2` is not in requirements\.in; add"],
    ),
    "different-range": (
        {"environment.yml": (r"^  - numpy>=1\.26$", "  - numpy>=1.26,<2")},
        [
            r"^requirements\.in:\d+: conda-agrees: numpy >=1\.26 here, but environment\.yml:\d+",
            r"^environment\.yml:\d+: conda-agrees: numpy <2,>=1\.26 here, but requirements\.in:\d+",
        ],
    ),
    "conda-pin-vs-range": (
        {"environment.yml": (r"^  - rich>=13$", "  - rich=13.7")},
        [r"^environment\.yml:\d+: conda-agrees: rich ==13\.7\.\* here, but requirements\.in"],
    ),
    "different-python": (
        {"environment.yml": (r"^  - python=3\.11$", "  - python=3.12")},
        [
            r"^environment\.yml:\d+: conda-agrees: `python=3\.12` here, but \.python-version:1",
            r"^\.python-version:1: conda-agrees: 3\.11 here, but environment\.yml:\d+",
        ],
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", DISAGREEMENTS, ids=list(DISAGREEMENTS))
def test_disagreement_fails_with_both_lines(conda_bake: Path, tmp_path: Path, case: str) -> None:
    """Each seeded disagreement exits 1 with the promised line(s) and a fix."""
    edits, patterns = DISAGREEMENTS[case]
    code, output = tool(seeded(conda_bake, tmp_path, edits), *CONDA_AGREES)
    assert code == 1, output
    for pattern in patterns:
        assert re.search(pattern, output, re.MULTILINE), f"{pattern!r} not in:\n{output}"
    assert all(re.match(LINE, line) for line in output.splitlines()), output


def test_malformed_python_version_is_one_line(conda_bake: Path, tmp_path: Path) -> None:
    """A .python-version that is not X.Y(.Z) gives one line with the fix, exit 1."""
    copy = seeded(conda_bake, tmp_path, {".python-version": (r"^3\.11$", "three eleven")})
    code, output = tool(copy, *CONDA_AGREES)
    assert code == 1, output
    assert re.fullmatch(
        r"\.python-version:1: conda-agrees: \.python-version holds 'three eleven', "
        r"not X\.Y or X\.Y\.Z; write e\.g\. 3\.11\n",
        output,
    ), output


@pytest.mark.slow
def test_flow_lists_are_read_as_yaml_means_them(conda_bake: Path, tmp_path: Path) -> None:
    """`channels: [conda-forge]` and a flow list of dependencies are valid YAML: they agree."""
    edits = {
        "environment.yml": (
            r"^channels:\n  - conda-forge\n",
            "channels: [conda-forge]\n",
        ),
    }
    project = seeded(conda_bake, tmp_path, edits)
    text = (project / "environment.yml").read_text(encoding="utf-8")
    assert "channels: [conda-forge]" in text
    text = re.sub(
        r"^dependencies:\n(?:  - .*\n)+",
        "dependencies: [python=3.11, pip, \"numpy>=1.26\", 'rich>=13']\n",
        text,
        flags=re.M,
    )
    (project / "environment.yml").write_text(text, encoding="utf-8")
    code, output = tool(project, *CONDA_AGREES)
    assert code == 0, output


@pytest.mark.slow
def test_conda_only_and_pip_section_agree(conda_bake: Path, tmp_path: Path) -> None:
    """A `# conda-only` native library and a `pip:` package that requirements.in names pass."""
    edits = {
        "environment.yml": (
            r"^  - rich>=13$",
            "  - rich>=13\n  - mkl>=2023  # conda-only\n  - pip:\n    - tiny-pkg==1.0",
        ),
        "requirements.in": (r"^rich>=13$", "rich>=13\ntiny-pkg==1.0"),
    }
    code, output = tool(seeded(conda_bake, tmp_path, edits), *CONDA_AGREES)
    assert code == 0, output


@pytest.mark.slow
def test_unreadable_environment_yml_is_one_line(conda_bake: Path, tmp_path: Path) -> None:
    """A scalar where a list belongs is refused with one line, exit 1."""
    edits = {"environment.yml": (r"^channels:\n  - conda-forge$", "channels: conda-forge")}
    code, output = tool(seeded(conda_bake, tmp_path, edits), *CONDA_AGREES)
    assert code == 1 and len(output.strip().splitlines()) == 1, output
    assert "environment.yml:" in output and "as a list" in output


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
        assert any(
            step.get("uses", "").startswith("mamba-org/setup-micromamba@v") for step in steps
        )
    validate_workflow(project)


@pytest.mark.parametrize("manager", choices("env_manager"))
def test_readme_and_tasks_name_the_project_env(tmp_path: Path, manager: str) -> None:
    """The README's first commands and tables name the env `make env` builds, not the other."""
    project = bake_into(tmp_path, env_manager=manager)
    readme = (project / "README.md").read_text(encoding="utf-8")
    env, other = (".conda-env", ".venv") if manager == "conda" else (".venv", ".conda-env")
    opening = readme.split("## What the files are")[0]
    assert re.search(rf"^make env +# build {re.escape(env)}", opening, re.M), opening
    assert other not in opening, opening
    for command in ("invoke check-env", "invoke test"):
        assert f"{env}/bin/{command}" in opening, opening
    commands_table = manual(project).split("## Commands")[1].split("### check-env")[0]
    env_row = next(row for row in commands_table.splitlines() if row.startswith("| `make env`"))
    assert f"syncs `{env}" in env_row and f"previous `{env}` back" in env_row, env_row
    check_row = next(row for row in commands_table.splitlines() if "`invoke check-env`" in row)
    assert f"checks `{env}` against" in check_row, check_row
    code, verbs = tool(project, "--help")
    assert code == 0, verbs
    assert f"make {env} exactly the locks" in verbs and other not in verbs, verbs
