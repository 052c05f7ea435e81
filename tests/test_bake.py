"""Fast tier: every supported combination bakes into a clean, parseable project."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from conftest import DEFAULT_SLUG, TOOLS_BIN, bake_into, choices

# Small override dicts; ids say what differs from the defaults.
SUPPORTED = {
    "defaults": {},
    "uv": {"lock_tool": "uv"},
    "python310": {"python_version": "3.10"},
    "python313-patch": {"python_version": "3.13.0"},
    "no-docker-no-ci": {"docker": "no", "ci": "none"},
    "gpu-docker": {"gpu": "yes", "cuda_version": "12.1"},
    "conda": {"env_manager": "conda"},
    "conda-gpu-no-docker": {"env_manager": "conda", "gpu": "yes", "docker": "no"},
    "exercises": {"exercises": "yes"},
    **{f"license-{name}": {"license": name} for name in choices("license")},
    "custom-names": {"project_name": "Jet Engine", "package_name": "jet_engine_core"},
}
ALWAYS = [
    ".cookiecutter.json", ".gitignore", ".python-version", "LICENSE", "Makefile", "README.md",
    "noxfile.py", "pyproject.toml", "requirements.in", "requirements-dev.in", "tasks.py",
    "tools/check_env.py", "tools/make_env.py", "tools/lock.py", "tests/test_package.py",
]  # fmt: skip


# Files present exactly when the predicate on the answers holds.
OPTIONAL: dict[str, Callable[[dict[str, str]], bool]] = {
    "Dockerfile": lambda a: a["docker"] == "yes",
    ".dockerignore": lambda a: a["docker"] == "yes",
    "tools/container.py": lambda a: a["docker"] == "yes",
    "requirements-gpu.in": lambda a: a["docker"] == "yes" and a["gpu"] == "yes",
    ".github/workflows/ci.yml": lambda a: a["ci"] == "github",
    "EXERCISES.md": lambda a: a["exercises"] == "yes",
    "tools/check_exercises.py": lambda a: a["exercises"] == "yes",
    "environment.yml": lambda a: True,
    ".pre-commit-config.yaml": lambda a: True,
}


def project_files(project: Path) -> list[Path]:
    return [p for p in project.rglob("*") if p.is_file() and ".git" not in p.parts]


@pytest.fixture(params=list(SUPPORTED.values()), ids=list(SUPPORTED))
def baked(request: pytest.FixtureRequest, bake) -> tuple[Path, dict[str, str]]:
    return bake(**request.param), request.param


def test_bakes_without_leftover_jinja(baked) -> None:
    """No rendered file keeps a `{{` or `{%` of the template."""
    project, _ = baked
    leftovers = [
        str(path.relative_to(project))
        for path in project_files(project)
        if re.search(r"\{\{ ?cookiecutter|\{%", path.read_text(encoding="utf-8"))
    ]
    assert leftovers == []


def test_expected_files_present(baked) -> None:
    """The files every project needs are there, with the package under src/."""
    project, _ = baked
    package = json.loads((project / ".cookiecutter.json").read_text())["package_name"]
    missing = [name for name in ALWAYS if not (project / name).is_file()]
    assert missing == []
    assert (project / "src" / package / "__main__.py").is_file()


def test_optional_files_follow_the_answers(baked) -> None:
    """Each optional file is there exactly when its option asks for it."""
    project, _ = baked
    answers = json.loads((project / ".cookiecutter.json").read_text())
    wrong = {name: wanted(answers) for name, wanted in OPTIONAL.items()
             if (project / name).is_file() != wanted(answers)}  # fmt: skip
    assert wrong == {}, "file -> expected presence"


def test_no_empty_folders(baked) -> None:
    """A folder whose optional files were all left out is not left behind empty."""
    project, _ = baked
    empty = [str(path.relative_to(project)) for path in project.rglob("*")
             if path.is_dir() and ".git" not in path.parts and not any(path.iterdir())]  # fmt: skip
    assert empty == []


def test_structured_files_parse(baked) -> None:
    """Every YAML, TOML, JSON and Python file of the project parses."""
    project, _ = baked
    for path in project_files(project):
        text = path.read_text(encoding="utf-8")
        if path.suffix in {".yml", ".yaml"}:
            list(yaml.safe_load_all(text))
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix == ".json":
            json.loads(text)
        elif path.suffix == ".py":
            ast.parse(text, filename=str(path))


def test_ruff_passes(baked) -> None:
    """ruff lint and format checks pass on the baked project."""
    project, _ = baked
    for command in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
        result = subprocess.run([str(TOOLS_BIN / "ruff"), *command], cwd=project,
                                capture_output=True, text=True)  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr


def test_python_version_recorded(baked) -> None:
    """.python-version and requires-python carry the answer."""
    project, overrides = baked
    version = overrides.get("python_version", "3.11")
    assert (project / ".python-version").read_text().strip() == version
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == ">=" + ".".join(version.split(".")[:2])


def test_post_gen_records_answers_and_commits(bake) -> None:
    """The answers are recorded without machine paths, tools are executable, git has a commit."""
    project = bake()
    answers = json.loads((project / ".cookiecutter.json").read_text())
    assert answers["project_slug"] == DEFAULT_SLUG
    assert not {"_output_dir", "_repo_dir", "_template", "_checkout"} & set(answers)
    scripts = [p for p in (project / "tools").glob("*.py") if p.read_bytes().startswith(b"#!")]
    assert scripts and all(path.stat().st_mode & 0o111 for path in scripts)
    log = subprocess.run(["git", "log", "--oneline"], cwd=project, capture_output=True, text=True)
    assert "Initial commit" in log.stdout
    status = subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True,
                            text=True)  # fmt: skip
    assert status.stdout == ""


def test_no_git_init_inside_a_work_tree(tmp_path: Path) -> None:
    """A project baked inside an existing repository is not made a nested repository."""
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    project = bake_into(tmp_path)
    assert not (project / ".git").exists()
