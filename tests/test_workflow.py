"""The generated GitHub Actions workflow: valid, pinned, and running what people run.

Fast tier: the workflow validates against GitHub's schema (check-jsonschema's
vendored copy, offline), pins every action, and every `run:` step is a
command of the generated README. Slow tier: the `run:` steps of the lint,
test and re-lock jobs, executed in order in a baked project on this machine.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import (
    answers,
    bake_into,
    check_jsonschema,
    choices,
    copy_project,
    manual,
    run,
    validate_workflow,
)

WORKFLOW = Path(".github/workflows/ci.yml")
PINNED = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")


@pytest.fixture(scope="module")
def workflow(default_project: Path) -> dict:
    return yaml.safe_load((default_project / WORKFLOW).read_text(encoding="utf-8"))


def steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def test_workflow_validates_against_the_github_schema(default_project: Path) -> None:
    """check-jsonschema's vendored GitHub workflow schema accepts the workflow (offline)."""
    validate_workflow(default_project)


def test_every_action_is_pinned(workflow: dict) -> None:
    """Every `uses:` names a full commit SHA (a tag can move)."""
    used = [
        step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step
    ]
    assert used
    assert [uses for uses in used if not PINNED.fullmatch(uses)] == []


def test_github_expressions_survive_rendering(default_project: Path) -> None:
    """`${{ }}` expressions reach the workflow; no Jinja is left in it."""
    text = (default_project / WORKFLOW).read_text(encoding="utf-8")
    assert "${{ matrix.os }}" in text and "hashFiles(" in text
    assert "{%" not in text and "{#" not in text


def test_workflow_is_safe_and_bounded(workflow: dict) -> None:
    """Read-only token, superseded runs cancelled, a timeout on every job."""
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["cancel-in-progress"] is True
    for name, job in workflow["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), name


def test_python_and_caches_come_from_the_project_files(workflow: dict) -> None:
    """setup-python reads .python-version; caches are keyed on the lock files."""
    for name, job in workflow["jobs"].items():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/setup-python@"):
                assert step["with"] == {"python-version-file": ".python-version"}, name
            if step.get("uses", "").startswith("actions/cache@"):
                key = step["with"]["key"]
                assert "hashFiles(" in key and "requirements.txt" in key, name
                assert "requirements-dev.txt" in key, name


def test_jobs_lint_test_on_three_systems_and_relock_weekly(workflow: dict) -> None:
    """lint, a test matrix on Linux, macOS and Windows, and a scheduled re-lock."""
    assert {"lint", "test", "relock"} <= set(workflow["jobs"])
    assert set(workflow["jobs"]["test"]["strategy"]["matrix"]["os"]) == {
        "ubuntu-latest",
        "macos-latest",
        "windows-latest",
    }
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as True
    assert triggers["schedule"][0]["cron"]
    assert "schedule" in workflow["jobs"]["relock"]["if"]


@pytest.fixture(scope="module", params=choices("env_manager"))
def managed(request: pytest.FixtureRequest, session_tmp: Path) -> tuple[Path, dict]:
    """A bake for each env manager, with Docker and a GPU lock: every job, every lock."""
    chosen = {"env_manager": request.param, "docker": "yes", "gpu": "12.4"}
    project = bake_into(session_tmp / f"workflow-{request.param}", **chosen)
    return project, yaml.safe_load((project / WORKFLOW).read_text(encoding="utf-8"))


def test_every_run_step_is_in_the_readme(managed: tuple[Path, dict]) -> None:
    """CI runs only commands that the environment manual documents, for either env manager."""
    project, workflow = managed
    readme = manual(project)
    commands = [
        step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step
    ]
    assert commands
    assert [command for command in commands if command.strip() not in readme] == []


def test_relock_job_can_lock_and_diffs_every_lock(managed: tuple[Path, dict]) -> None:
    """The weekly re-lock has a solver when it re-locks conda-lock.yml, and diffs every lock."""
    project, workflow = managed
    conda = answers(project)["env_manager"] == "conda"
    relock = steps(workflow, "relock")
    uses = [step["uses"].split("@")[0] for step in relock if "uses" in step]
    assert ("mamba-org/setup-micromamba" in uses) == conda, uses
    runs = [step["run"] for step in relock if "run" in step]
    assert runs[-2] == ".venv/bin/invoke lock --upgrade"
    command = shlex.split(runs[-1])
    assert command[:4] == ["git", "diff", "--exit-code", "--"], runs[-1]
    locks = [path.with_suffix(".txt").name for path in project.glob("requirements*.in")]
    assert "requirements-gpu.txt" in locks
    locks += ["conda-lock.yml"] if conda else []
    for lock in locks:
        assert any(fnmatch.fnmatch(lock, spec) for spec in command[4:]), (lock, runs[-1])
    if not conda:
        assert "conda-lock.yml" not in runs[-1]


def test_pylock_sync_runs_only_on_the_bots_branches_and_pushes_only_pylock(
    default_project: Path,
) -> None:
    """The job that mends a Dependabot PR: only the bot's branches of this repository, a
    token that may push only there, the documented command, and a commit of pylock.toml."""
    path = default_project / ".github/workflows/pylock-sync.yml"
    sync = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert sync[True] == {"pull_request": {"paths": ["requirements.txt"]}}  # YAML 1.1's `on`
    assert sync["permissions"] == {}
    job = sync["jobs"]["pylock"]
    assert job["permissions"] == {"contents": "write"}
    assert "github.event.pull_request.user.login == 'dependabot[bot]'" in job["if"]
    assert "head.repo.full_name == github.repository" in job["if"]
    checkout = job["steps"][0]
    assert checkout["with"]["persist-credentials"] is False
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert runs[0] == "python -m tools lock --pylock-only"
    assert f"`{runs[0]}`" in manual(default_project)
    assert "-- pylock.toml" in runs[1] and "${TOKEN}" in runs[1] and "${{" not in runs[1]


def test_readme_says_what_the_relock_job_diffs(managed: tuple[Path, dict]) -> None:
    """The manual's CI section quotes the re-lock job's diff command, not an older one."""
    project, workflow = managed
    readme = manual(project)
    ci_section = readme.split("### CI")[1].split("\n## ")[0]
    assert f"`{steps(workflow, 'relock')[-1]['run']}`" in ci_section, ci_section


def test_no_workflow_without_ci(tmp_path: Path) -> None:
    """With ci=none no workflow (and no Dependabot config, nothing on GitHub) is generated."""
    project = bake_into(tmp_path, ci="none")
    assert not (project / WORKFLOW).exists()
    assert not (project / ".github").exists()


def runs_here(step: dict) -> bool:
    """Whether a step runs on a Linux runner; a condition not known here fails the test."""
    condition = step.get("if")
    if condition is None:
        return True
    known = {"runner.os != 'Windows'": True, "runner.os == 'Windows'": False}
    assert condition in known, f"teach this test the condition {condition!r}"
    return known[condition]


def run_job(workflow: dict, job: str, project: Path) -> list[str]:
    """Run the job's `run:` steps in order, as a Linux runner would (bash -e).

    `uses:` steps are what this machine already has: the checkout is the
    project, setup-python is the Python on PATH, caches are the local ones.
    """
    ran = []
    for step in steps(workflow, job):
        if "run" not in step or not runs_here(step):
            continue
        run(["bash", "-e", "-c", step["run"]], cwd=project)
        ran.append(step["run"])
    return ran


@pytest.mark.slow
def test_ci_jobs_run_here(locked_project: Path, tmp_path: Path) -> None:
    """The lint, test and re-lock jobs' steps pass in order on a checkout of a locked project."""
    ignore = (".venv", ".venv.previous", ".nox", ".cache")
    checkout = copy_project(locked_project, tmp_path / "checkout", ignore=ignore)
    run(["git", "commit", "--quiet", "--no-verify", "-m", "locks"], cwd=checkout)
    assert shutil.which("python"), "setup-python's stand-in: a `python` on PATH"
    workflow = yaml.safe_load((checkout / WORKFLOW).read_text(encoding="utf-8"))
    ran = run_job(workflow, "test", checkout)
    assert ran == ["python -m tools env", ".venv/bin/nox -s check_env tests"]
    assert run_job(workflow, "lint", checkout)[-1] == ".venv/bin/invoke lint"
    assert run_job(workflow, "relock", checkout)[-1].startswith("git diff --exit-code")


@pytest.mark.parametrize(
    "overrides",
    [{}, {"env_manager": "conda", "docker": "no"}],
    ids=["venv-docker", "conda-no-docker"],
)
def test_dependabot_config_validates_and_covers_each_ecosystem(
    tmp_path: Path, overrides: dict[str, str]
) -> None:
    """Dependabot's schema (check-jsonschema's vendored copy, offline) accepts the config;
    actions, the pip locks, and conda or docker where the answers chose them, are updated."""
    project = bake_into(tmp_path, **overrides)
    config = project / ".github" / "dependabot.yml"
    check_jsonschema("--builtin-schema", "vendor.dependabot", str(config))
    updates = yaml.safe_load(config.read_text(encoding="utf-8"))["updates"]
    ecosystems = [update["package-ecosystem"] for update in updates]
    expected = ["github-actions", "pip", "conda"] if overrides else ["github-actions", "pip"]
    assert ecosystems == expected + ([] if overrides else ["docker"])
    assert all(update["schedule"]["interval"] == "weekly" for update in updates)
