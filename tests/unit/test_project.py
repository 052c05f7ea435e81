"""tools/project.py in-process: the facts the answers give, .python-version, the error contract."""

from __future__ import annotations

import signal
import sys

import pytest

from conftest import OPTIONS, ToolsProject

MISSING_PYTHON_VERSION = (
    ".python-version is missing; write the project's Python (e.g. 3.11) into it"
)


def test_default_answers_give_the_default_facts(tools: ToolsProject) -> None:
    """A venv + pip-tools + docker project without a GPU: its names, tools and two locks."""
    project = tools.module("project")
    assert (project.PACKAGE, project.DISTRIBUTION) == ("my_ml_project", "my-ml-project")
    assert (project.LOCK_TOOL, project.ENV_MANAGER) == ("pip-tools", "venv")
    assert project.DOCKER is True and project.EXERCISES is False
    assert project.CUDA_VERSION == ""
    assert project.LOCK_TOOL_VERSION == OPTIONS["__pip_tools_version"]
    assert project.GPU is False
    assert project.ALL_LOCKS == project.LOCKS
    assert project.FRAMEWORK == "none" and project.TORCH_BACKENDS == {}


@pytest.mark.parametrize(
    ("cuda", "backends"),
    [
        ("", {"requirements.txt": "cpu"}),
        ("12.6", {"requirements.txt": "cpu", "requirements-gpu.txt": "cu126"}),
        ("13.2", {"requirements.txt": "cpu"}),
    ],
)
def test_pytorch_locks_name_their_pytorch_index(
    tools: ToolsProject, cuda: str, backends: dict
) -> None:
    """The CPU lock's torch comes from the cpu index; a CUDA 12 GPU lock's from cu12X."""
    tools.answer(framework="pytorch", gpu=cuda or "no", __cuda_version=cuda)
    project = tools.module("project")
    assert project.FRAMEWORK == "pytorch" and project.TORCH_BACKENDS == backends


@pytest.mark.parametrize(
    ("answer", "value", "fact", "expected"),
    [
        ("package_name", "other_pkg", "PACKAGE", "other_pkg"),
        ("project_slug", "other-slug", "DISTRIBUTION", "other-slug"),
        ("lock_tool", "uv", "LOCK_TOOL", "uv"),
        ("env_manager", "conda", "ENV_MANAGER", "conda"),
        ("docker", False, "DOCKER", False),
        ("exercises", True, "EXERCISES", True),
        ("__cuda_version", "12.4", "CUDA_VERSION", "12.4"),
        ("framework", "jax", "FRAMEWORK", "jax"),
    ],
)
def test_each_answer_sets_its_fact(
    tools: ToolsProject, answer: str, value: object, fact: str, expected: object
) -> None:
    tools.answer(**{answer: value})
    assert getattr(tools.module("project"), fact) == expected


def test_lock_tool_version_follows_the_lock_tool(tools: ToolsProject) -> None:
    """A uv project bootstraps the template's uv version, not pip-tools'."""
    tools.answer(lock_tool="uv", __uv_version="0.9.9", __pip_tools_version="1.2.3")
    assert tools.module("project").LOCK_TOOL_VERSION == "0.9.9"


@pytest.mark.parametrize("docker", [True, False])
def test_a_gpu_answer_adds_the_gpu_lock_with_or_without_docker(
    tools: ToolsProject, docker: bool
) -> None:
    """The GPU lock is the last of all locks; `make env GPU=1` needs no image."""
    tools.answer(docker=docker, gpu="12.4")
    project = tools.module("project")
    assert project.GPU is True
    assert project.ALL_LOCKS == (*project.LOCKS, ("requirements-gpu.txt", "requirements-gpu.in"))


@pytest.mark.parametrize(
    ("framework", "gpu_runtime"),
    [
        ("none", ("requirements.txt", "requirements-gpu.txt")),
        ("jax", ("requirements.txt", "requirements-gpu.txt")),
        ("pytorch", ("requirements-gpu.txt",)),  # torch's CUDA build replaces its CPU build
    ],
)
def test_env_locks_of_each_variant(
    tools: ToolsProject, framework: str, gpu_runtime: tuple[str, ...]
) -> None:
    tools.answer(framework=framework, gpu="13.0", __cuda_version="13.0")
    project = tools.module("project")
    assert project.runtime_locks("cpu") == ("requirements.txt",)
    assert project.runtime_locks("gpu") == gpu_runtime
    assert project.env_locks("cpu") == ("requirements.txt", "requirements-dev.txt")
    assert project.env_locks("gpu") == (*gpu_runtime, "requirements-dev.txt")


def test_an_unknown_fact_is_an_attribute_error(tools: ToolsProject) -> None:
    """Only the upper-case facts are looked up in the answers; anything else is missing."""
    project = tools.module("project")
    with pytest.raises(AttributeError, match="has no attribute 'NOT_A_FACT'"):
        _ = project.NOT_A_FACT
    with pytest.raises(AttributeError, match="has no attribute 'package'"):
        _ = project.package


def test_a_missing_answers_file_is_a_tool_error_when_a_fact_is_read(tools: ToolsProject) -> None:
    """Importing works without .cruft.json; reading a fact says how to restore it."""
    (tools.root / ".cruft.json").unlink()
    project = tools.module("project")
    with pytest.raises(project.ToolError) as error:
        _ = project.LOCK_TOOL
    assert str(error.value) == (
        ".cruft.json is missing: the tools read the project's answers from it; "
        "restore it with `git checkout -- .cruft.json`"
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "Expecting property name enclosed in double quotes"),
        ('{"context": {}}', "'cookiecutter'"),
        ("[]", "list indices must be integers or slices, not str"),
    ],
)
def test_a_corrupt_answers_file_is_a_tool_error_with_the_fix(
    tools: ToolsProject, text: str, reason: str
) -> None:
    tools.write(".cruft.json", text)
    project = tools.module("project")
    with pytest.raises(project.ToolError) as error:
        project.answers()
    message = str(error.value)
    assert message.startswith(".cruft.json does not hold the answers (")
    assert reason in message
    assert message.endswith("; restore it with `git checkout -- .cruft.json`")


@pytest.mark.parametrize("text", ["3.11\n", "3.12.4", "  3.10 \n"])
def test_wanted_python_reads_x_y_or_x_y_z(tools: ToolsProject, text: str) -> None:
    tools.write(".python-version", text)
    assert tools.module("project").wanted_python() == text.strip()


@pytest.mark.parametrize("text", ["3", "3.11.2.1", "three", "3.x", "", "3.11\n3.12", "py3.11"])
def test_wanted_python_refuses_anything_else(tools: ToolsProject, text: str) -> None:
    tools.write(".python-version", text)
    project = tools.module("project")
    with pytest.raises(project.ToolError) as error:
        project.wanted_python()
    assert str(error.value) == (
        f".python-version holds '{text.strip()}', not X.Y or X.Y.Z; write e.g. 3.11"
    )


def test_wanted_python_says_a_missing_file_is_missing(tools: ToolsProject) -> None:
    (tools.root / ".python-version").unlink()
    project = tools.module("project")
    with pytest.raises(project.ToolError) as error:
        project.wanted_python()
    assert str(error.value) == MISSING_PYTHON_VERSION


@pytest.mark.parametrize(
    ("found", "wanted", "matches"),
    [
        ("3.11.7", "3.11", True),
        ("3.11.7", "3.11.7", True),
        ("3.12.0", "3.11", False),
        ("3.11.7", "3.11.8", False),
        ("3.1.0", "3.11", False),
        ("3.11", "3.11.7", False),
    ],
)
def test_version_matches_compares_only_the_wanted_parts(
    tools: ToolsProject, found: str, wanted: str, matches: bool
) -> None:
    assert tools.module("project").version_matches(found, wanted) is matches


@pytest.mark.parametrize(("version", "minor"), [("3.11.7", "3.11"), ("3.12", "3.12")])
def test_python_minor_keeps_x_y(tools: ToolsProject, version: str, minor: str) -> None:
    assert tools.module("project").python_minor(version) == minor


def test_paths_are_under_the_root_that_holds_tools(tools: ToolsProject) -> None:
    """ROOT is the copied project; a venv project's env Python is .venv's."""
    project = tools.module("project")
    assert project.ROOT == tools.root.resolve()
    assert project.env_python() == tools.root.resolve() / ".venv" / "bin" / "python"


def test_workflows_lists_yml_and_yaml_files_sorted(tools: ToolsProject) -> None:
    for name in ("b.yaml", "a.yml", "notes.txt"):
        tools.write(f".github/workflows/{name}", "")
    names = [path.name for path in tools.module("project").workflows(tools.root)]
    assert names == ["a.yml", "b.yaml"]


def test_termination_signals_become_keyboard_interrupts(tools: ToolsProject) -> None:
    """After handle_termination, SIGTERM's handler raises KeyboardInterrupt naming it."""
    project = tools.module("project")
    project.handle_termination()
    handler = signal.getsignal(signal.SIGTERM)
    assert callable(handler)
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
        handler(signal.SIGTERM, None)


def test_crash_log_holds_the_traceback_and_the_project_line(tools: ToolsProject) -> None:
    project = tools.module("project")
    try:
        raise RuntimeError("kaboom")
    except RuntimeError:
        where = project.write_crash_log()
    assert where.startswith(".cache/errors/") and where.endswith(".log")
    text = (tools.root / where).read_text(encoding="utf-8")
    assert text.startswith(f"command: {' '.join(sys.argv)}\npython: {sys.version}\n")
    assert "project: my-ml-project (pip-tools, venv)\n" in text
    assert "Traceback" in text and "RuntimeError: kaboom" in text


def test_crash_log_without_answers_names_the_answers_problem(tools: ToolsProject) -> None:
    (tools.root / ".cruft.json").unlink()
    project = tools.module("project")
    try:
        raise ValueError("x")
    except ValueError:
        where = project.write_crash_log()
    text = (tools.root / where).read_text(encoding="utf-8")
    assert "project: .cruft.json is missing: the tools read" in text


def test_crash_log_goes_to_stderr_when_it_cannot_be_written(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """A .cache that is a file (like a read-only checkout) cannot hold the log."""
    tools.write(".cache", "not a folder")
    project = tools.module("project")
    try:
        raise RuntimeError("unwritable")
    except RuntimeError:
        where = project.write_crash_log()
    assert where == "the output above"
    assert "RuntimeError: unwritable" in capsys.readouterr().err
