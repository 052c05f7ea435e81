"""Fast tier: every supported combination bakes into a clean, parseable project."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from conftest import (
    DEFAULT_SLUG,
    OPTIONS,
    TEMPLATE,
    TOOLS_BIN,
    answers,
    assert_files_parse,
    bake_into,
    choices,
    manual,
    project_module,
)

# Small override dicts; ids say what differs from the defaults.
SUPPORTED = {
    "defaults": {},
    "uv": {"lock_tool": "uv"},
    "python310": {"python_version": "3.10"},
    "python313-patch": {"python_version": "3.13.0"},
    "no-docker-no-ci": {"docker": "no", "ci": "none"},
    "gpu-docker": {"gpu": "12.1"},
    "conda": {"env_manager": "conda"},
    "conda-gpu-no-docker": {"env_manager": "conda", "gpu": "12.4", "docker": "no"},
    # A GPU env without images: `make env GPU=1` installs requirements-gpu.txt.
    "venv-gpu-no-docker": {"gpu": "12.4", "docker": "no"},
    "exercises": {"exercises": "yes"},
    "slurm": {"cluster": "slurm"},
    "slurm-gpu-conda": {"cluster": "slurm", "gpu": "13.0", "env_manager": "conda"},
    "kubernetes": {"cluster": "kubernetes"},
    "all-clusters-gpu": {"cluster": "all", "gpu": "13.0", "framework": "jax"},
    # The longest README and manual: every optional section at once.
    "everything": {
        "cluster": "all",
        "gpu": "13.0",
        "framework": "jax",
        "exercises": "yes",
        "env_manager": "conda",
    },
    **{f"license-{name}": {"license": name} for name in choices("license")},
    "custom-names": {"project_name": "Jet Engine", "package_name": "jet_engine_core"},
    # Every framework with and without its GPU variant, for each lock tool and env manager
    # (pytorch with uv only: the pre-gen hook refuses it with pip-tools).
    **{
        f"{framework}-gpu{gpu}-{lock_tool}-{env_manager}": {
            "framework": framework,
            "gpu": gpu,
            "lock_tool": lock_tool,
            "env_manager": env_manager,
        }
        for framework in ("pytorch", "jax")
        for gpu in ("no", "13.0")
        for lock_tool in choices("lock_tool")
        for env_manager in choices("env_manager")
        if (framework, lock_tool) != ("pytorch", "pip-tools")
    },
}
ALWAYS = [
    ".cruft.json", ".gitignore", ".python-version", "LICENSE", "Makefile", "README.md",
    "noxfile.py", "pyproject.toml", "requirements.in", "requirements-dev.in", "tasks.py",
    "tools/__init__.py", "tools/__main__.py", "tools/cli.py", "tools/check_env.py",
    "tools/make_env.py", "tools/lock.py", "tests/test_package.py",
]  # fmt: skip


# Files present exactly when the predicate on the answers holds.
OPTIONAL: dict[str, Callable[[dict[str, str]], bool]] = {
    "Dockerfile": lambda a: a["docker"],
    ".dockerignore": lambda a: a["docker"],
    "tools/container.py": lambda a: a["docker"],
    "requirements-gpu.in": lambda a: a["gpu"] != "no",
    ".github/workflows/ci.yml": lambda a: a["ci"] == "github",
    ".github/workflows/pylock-sync.yml": lambda a: a["ci"] == "github",
    ".github/dependabot.yml": lambda a: a["ci"] == "github",
    "EXERCISES.md": lambda a: a["exercises"],
    "tools/check_exercises.py": lambda a: a["exercises"],
    "environment.yml": lambda a: True,
    "virtual-packages.yml": lambda a: a["env_manager"] == "conda",
    **{
        f"tools/{name}.py": (lambda a: a["env_manager"] == "conda")
        for name in ("conda_meta", "conda_env", "check_conda")
    },
    "tools/derived.py": lambda a: True,
    "slurm/job.sbatch": lambda a: a["cluster"] in ("slurm", "all"),
    "tools/slurm.py": lambda a: a["cluster"] in ("slurm", "all"),
    "tools/k8s.py": lambda a: a["cluster"] in ("kubernetes", "all"),
    ".pre-commit-config.yaml": lambda a: True,
}


def project_files(project: Path) -> list[Path]:
    return [p for p in project.rglob("*") if p.is_file() and ".git" not in p.parts]


@pytest.fixture(scope="module", params=list(SUPPORTED.values()), ids=list(SUPPORTED))
def baked(
    request: pytest.FixtureRequest, module_tmp: Callable[[str], Path]
) -> tuple[Path, dict[str, str]]:
    """One bake per combination, shared by every test of this module (they only read it)."""
    return bake_into(module_tmp("baked"), **request.param), request.param


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
    package = answers(project)["package_name"]
    missing = [name for name in ALWAYS if not (project / name).is_file()]
    assert missing == []
    assert (project / "src" / package / "__main__.py").is_file()


def test_optional_files_follow_the_answers(baked) -> None:
    """Each optional file is there exactly when its option asks for it."""
    project, _ = baked
    chosen = answers(project)
    wrong = {name: wanted(chosen) for name, wanted in OPTIONAL.items()
             if (project / name).is_file() != wanted(chosen)}  # fmt: skip
    assert wrong == {}, "file -> expected presence"


def test_the_same_pin_check_hooks_in_every_project(baked) -> None:
    """No conda hook: in either kind of project one dependency file is written from the other,
    and lock-fresh checks that; the hooks that read YAML pin pyyaml."""
    project, _ = baked
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    pin_hooks = [name for name, hook in hooks.items() if "-m tools lint" in hook["entry"]]
    assert pin_hooks == [
        "lock-fresh",
        "pins-exact",
        "python-agrees",
        "hooks-agree",
        "pylock-agrees",
    ]
    for name in ("pins-exact", "hooks-agree"):
        assert hooks[name]["additional_dependencies"] == [f"pyyaml=={OPTIONS['__pyyaml_version']}"]


def test_readme_is_about_the_project(baked) -> None:
    """The README is short (the two commands, everyday commands, where the manual is)."""
    project, _ = baked
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 100
    assert "make env" in readme and "docs/environment.md" in readme
    assert (project / "docs" / "environment.md").is_file()


def test_no_empty_folders(baked) -> None:
    """A folder whose optional files were all left out is not left behind empty."""
    project, _ = baked
    empty = [str(path.relative_to(project)) for path in project.rglob("*")
             if path.is_dir() and ".git" not in path.parts and not any(path.iterdir())]  # fmt: skip
    assert empty == []


def test_structured_files_parse(baked) -> None:
    """Every YAML, TOML, JSON and Python file of the project parses."""
    assert_files_parse(baked[0])


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


def git(*arguments: str, cwd: Path) -> str:
    return subprocess.run(["git", *arguments], cwd=cwd, capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip


def test_post_gen_records_answers_and_commits(bake) -> None:
    """.cruft.json records the answers (no machine paths) and the template's commit; git
    has one commit and a clean tree."""
    project = bake()
    record = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    recorded = record["context"]["cookiecutter"]
    assert recorded["project_slug"] == DEFAULT_SLUG
    assert recorded["docker"] is True and recorded["exercises"] is False
    assert not {"_output_dir", "_repo_dir", "_checkout"} & set(recorded)
    if (TEMPLATE / ".git").exists():
        assert record["commit"] == git("rev-parse", "HEAD", cwd=TEMPLATE)
        origin = subprocess.run(["git", "remote", "get-url", "origin"], cwd=TEMPLATE,
                                capture_output=True, text=True).stdout.strip()  # fmt: skip
        assert record["template"] == (origin or str(TEMPLATE))
    assert "Initial commit" in git("log", "--oneline", cwd=project)
    assert git("status", "--porcelain", cwd=project) == ""


def test_first_commit_uses_the_git_identity(bake) -> None:
    """Where git knows who you are, the first commit is yours, not the answers'."""
    project = bake(author_name="Answer Name", author_email="answer@example.org")
    assert git("log", "--format=%an <%ae>", cwd=project) == "Test Baker <baker@example.org>"


def test_first_commit_falls_back_to_the_answers(bake, monkeypatch) -> None:
    """Where git has no identity, the answers stand in for it."""
    for key in ("AUTHOR", "COMMITTER"):
        monkeypatch.delenv(f"GIT_{key}_NAME")
        monkeypatch.delenv(f"GIT_{key}_EMAIL")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    project = bake(author_name="Ada O'Hara", author_email="ada@example.org")
    assert git("log", "--format=%an <%ae>", cwd=project) == "Ada O'Hara <ada@example.org>"


def test_success_prints_the_next_commands(tmp_path: Path, capfd) -> None:
    bake_into(tmp_path)
    out = capfd.readouterr().out
    assert f"cd {DEFAULT_SLUG} && make env" in out and "make test" in out


# Project names as people type them -> the slug and package the bake derives.
DERIVED = {
    "Bob's ML Project": ("bobs-ml-project", "bobs_ml_project"),
    "CS 229: ML": ("cs-229-ml", "cs_229_ml"),
    "Protein Folding (v2)": ("protein-folding-v2", "protein_folding_v2"),
    "ML  Project": ("ml-project", "ml_project"),
    "2025 Course": ("2025-course", "pkg_2025_course"),
    "Café Análisis": ("cafe-analisis", "cafe_analisis"),
    "Dr. Who’s Lab.": ("dr-whos-lab", "dr_whos_lab"),
}


@pytest.mark.parametrize("name", DERIVED, ids=range(len(DERIVED)))
def test_slug_and_package_derive_from_any_name(tmp_path: Path, name: str) -> None:
    """A name with apostrophes, colons, parentheses, dots, repeated spaces, a leading
    digit or accents bakes, with a valid slug and package derived from it."""
    project = bake_into(tmp_path, project_name=name)
    slug, package = DERIVED[name]
    assert project.name == slug
    assert (project / "src" / package / "__init__.py").is_file()
    assert answers(project)["project_name"] == name


def test_no_git_init_inside_a_work_tree(tmp_path: Path) -> None:
    """A project baked inside an existing repository is not made a nested repository."""
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    project = bake_into(tmp_path)
    assert not (project / ".git").exists()


def test_tables_are_written_from_the_cli(baked) -> None:
    """The README lists every verb of the baked CLI with its help; the manual every pin check."""
    project, _ = baked
    readme = (project / "README.md").read_text(encoding="utf-8")
    text = manual(project)
    assert "@@" not in readme and "@@" not in text
    for verb in project_module(project, "cli").verbs():
        assert re.search(
            rf"^\| (`make {verb.name}` / )?`invoke {verb.name}` \| {re.escape(verb.help)}",
            readme,
            re.M,
        ), verb
    for verb in project_module(project, "cli").verbs():
        assert f"| `invoke {verb.name}` | {verb.help}" in text and f"| {verb.fails} |" in text
    for name in project_module(project, "lint").pin_checks():
        assert f"| `python -m tools lint --only {name}` |" in text, name


@pytest.mark.parametrize("framework", choices("framework"))
def test_each_image_stage_carries_the_locks_of_its_env_variant(bake, framework: str) -> None:
    """The Dockerfile's REPRO_LOCKS of the cpu and gpu stages are what `make env` installs
    for each variant (project.runtime_locks), so check-env compares the same locks."""
    project = bake(framework=framework, gpu="13.0", lock_tool="uv")
    facts = project_module(project, "project")
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    declared = re.findall(r'REPRO_LOCKS="([^"]*)"', dockerfile)
    assert sorted(declared) == sorted(" ".join(facts.runtime_locks(v)) for v in ("cpu", "gpu"))


@pytest.mark.parametrize("framework", choices("framework"))
def test_gpu_yes_takes_the_frameworks_default_cuda_build(bake, framework: str) -> None:
    """`gpu=yes` needs no CUDA version: the bake records the framework's default build
    and the GPU intent names it."""
    project = bake(framework=framework, gpu="yes", lock_tool="uv", docker="no")
    assert answers(project)["__cuda_version"] == "13.2"
    assert "CUDA 13.2" in (project / "requirements-gpu.in").read_text(encoding="utf-8")


# The README's size table: its row label -> the answers of that bake.
SIZE_ROWS = {
    "default (venv, pip-tools, docker, CI)": {},
    "conda": {"env_manager": "conda"},
    "every option (conda, uv, jax, GPU, Slurm and Kubernetes, exercises)": {
        "env_manager": "conda", "lock_tool": "uv", "framework": "jax", "gpu": "yes",
        "cluster": "all", "exercises": "yes",
    },
}  # fmt: skip


def tooling_lines(project: Path) -> int:
    """What the README counts: tools/, tasks.py, noxfile.py and Makefile, in lines."""
    files = [
        *(project / "tools").glob("*.py"),
        *map(project.joinpath, ("tasks.py", "noxfile.py", "Makefile")),
    ]
    return sum(len(path.read_text(encoding="utf-8").splitlines()) for path in files)


@pytest.mark.parametrize("row", SIZE_ROWS)
def test_readme_states_what_each_bake_hands_over(bake_once, row: str) -> None:
    readme = (TEMPLATE / "README.md").read_text(encoding="utf-8")
    assert f"| {row} | {tooling_lines(bake_once(**SIZE_ROWS[row])):,} |" in readme


@pytest.fixture(scope="session")
def pyproject_validator() -> Callable[[dict], object]:
    """validate-pyproject's validator as its command builds it (every installed plugin's
    schema), built once: the command spent 0.3 s a file building it."""
    from validate_pyproject.api import Validator

    return Validator()


def test_pyproject_validates(baked, pyproject_validator) -> None:
    """validate-pyproject (PEP 621 and the build backends' own tables) accepts every bake."""
    project, _ = baked
    # What the command does with the file; an invalid table raises with the reason.
    pyproject_validator(tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8")))


def test_pytest_ruff_and_nox_follow_the_usual_conventions(baked) -> None:
    """Strict pytest settings, strict mypy on src/ and tests/, ruff's target read from
    requires-python (stated once), and a noxfile that names its nox version, its default
    sessions and runs as a script."""
    project, _ = baked
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    pytest_options = pyproject["tool"]["pytest"]["ini_options"]
    assert pytest_options["minversion"] == "8.0" and pytest_options["xfail_strict"] is True
    assert {"--strict-config", "--strict-markers"} <= set(pytest_options["addopts"])
    assert pytest_options["log_level"] == "INFO"
    assert "target-version" not in pyproject["tool"]["ruff"]
    mypy = pyproject["tool"]["mypy"]
    assert mypy["files"] == ["src", "tests"] and mypy["strict"] is True
    assert "python_version" not in mypy  # the env's Python: stated once, in .python-version
    noxfile = (project / "noxfile.py").read_text(encoding="utf-8")
    assert 'nox.needs_version = ">=2024.3.2"' in noxfile
    assert noxfile.count("default=True)") == 2 and "nox.options.sessions" not in noxfile
    assert noxfile.rstrip().endswith('if __name__ == "__main__":  # `python noxfile.py -s tests` '
                                      "runs nox on this file\n    nox.main()")  # fmt: skip


def test_zizmor_finds_nothing_in_the_workflow(baked) -> None:
    """The field's workflow auditor, offline: no unpinned action, no persisted token, no
    template injection, no Dependabot update without a cooldown, for every combination of
    answers (the project's own zizmor hook runs the same)."""
    project, answers = baked
    if answers.get("ci") == "none":
        pytest.skip("ci=none: this bake has no workflow to audit")
    result = subprocess.run(
        [str(TOOLS_BIN / "zizmor"), "--offline", "--no-progress", ".github/"],
        cwd=project, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_action_pins_come_from_the_one_table(baked) -> None:
    """Each `uses:` is the SHA and release of cookiecutter.json's __actions table."""
    project, answers = baked
    if answers.get("ci") == "none":
        pytest.skip("ci=none: this bake has no workflow")
    table = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))["__actions"]
    workflow = (project / ".github/workflows/ci.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"uses: ([\w./-]+)@([0-9a-f]{40} # v[\d.]+)", workflow))
    assert used and all(table[action] == pin for action, pin in used)
    assert len(re.findall(r"uses: ", workflow)) == len(
        re.findall(r"uses: \S+@[0-9a-f]{40} # v", workflow)
    )


@pytest.mark.parametrize(
    ("overrides", "env_dir", "gpus"),
    [({}, ".venv", False), ({"gpu": "13.0", "env_manager": "conda"}, ".conda-env", True)],
    ids=["cpu-venv", "gpu-conda"],
)
def test_the_slurm_job_script_follows_the_answers(
    bake, overrides: dict[str, str], env_dir: str, gpus: bool
) -> None:
    """bash reads the job script; it runs the project's env and asks for a GPU only in a GPU
    project; the README tells how to submit."""
    project = bake(cluster="slurm", **overrides)
    script = project / "slurm" / "job.sbatch"
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text(encoding="utf-8")
    assert f'python=("$PWD/{env_dir}/bin/python")' in text
    assert "#SBATCH --job-name=my-ml-project\n" in text
    assert ("#SBATCH --gpus=1\n" in text) is gpus
    assert script.stat().st_mode & 0o111, "the script is executable"
    assert "invoke slurm-submit" in (project / "README.md").read_text(encoding="utf-8")
