"""tools/hooks_agree.py in-process: pre-commit hooks pin what requirements-dev.txt pins."""

from __future__ import annotations

import pytest

from conftest import ToolsProject

HASH = "sha256:" + "a" * 64
OK = "hooks-agree: ok (hook versions equal requirements-dev.txt)"
CONFIG = """\
repos:
  - repo: local
    hooks:
      - id: ruff-check
        language: python
        additional_dependencies: ["ruff==0.6.0"]  # same as the lock
      - id: check-yaml
        additional_dependencies:
          - 'Pre_Commit_Hooks==4.6.0'
          - tomli==2.0.1
        types: [yaml]
  - repo: meta
    hooks:
      - id: check-hooks-apply
"""


def agreeing_project(tools: ToolsProject, config: str = CONFIG) -> None:
    """A dev lock and a pre-commit config whose hooks pin the same versions."""
    pins = ("ruff==0.6.0", "pre-commit-hooks==4.6.0", "tomli==2.0.1")
    tools.write("requirements-dev.txt", "".join(f"{pin} \\\n    --hash={HASH}\n" for pin in pins))
    tools.write(".pre-commit-config.yaml", config)


def tree(tools: ToolsProject, text: str) -> object:
    """The config's YAML node tree, as hooks-agree reads it."""
    return tools.module("yaml_nodes").compose(text, ".pre-commit-config.yaml")


def dependencies(tools: ToolsProject, root: object) -> list[tuple[int, str]]:
    return list(tools.module("yaml_nodes").scalars(root, "additional_dependencies"))


def run_check(tools: ToolsProject, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = tools.module("lint").run_check("hooks-agree")
    return code, capsys.readouterr().out.splitlines()


def test_hook_dependencies_reads_flow_and_block_lists(tools: ToolsProject) -> None:
    """Quotes and comments go; a block list ends at the next key."""
    assert dependencies(tools, tree(tools, CONFIG)) == [
        (6, "ruff==0.6.0"),
        (9, "Pre_Commit_Hooks==4.6.0"),
        (10, "tomli==2.0.1"),
    ]


def test_hook_dependencies_of_several_items_in_one_flow_list(tools: ToolsProject) -> None:
    text = "- id: x\n  additional_dependencies: [ 'a==1', \"b==2\" ,c==3]\n"
    assert dependencies(tools, tree(tools, text)) == [
        (2, "a==1"), (2, "b==2"), (2, "c==3"),
    ]  # fmt: skip


def test_a_block_list_ends_at_a_less_indented_item(tools: ToolsProject) -> None:
    """The next hook's `- id:` is not a dependency of the previous one."""
    text = (
        "hooks:\n"
        "  - id: a\n"
        "    additional_dependencies:\n"
        "    - mypy==1.11.0\n"
        "  - id: b\n"
        "    entry: b\n"
    )
    assert dependencies(tools, tree(tools, text)) == [(4, "mypy==1.11.0")]


def test_repos_are_read_unquoted_at_their_lines(tools: ToolsProject) -> None:
    """Skipping `local` and `meta` is held by the cloned-repository test below."""
    text = CONFIG + "  - repo: 'https://github.com/psf/black'  # old\n    rev: 24.1.0\n"
    assert list(tools.module("yaml_nodes").scalars(tree(tools, text), "repo")) == [
        (2, "local"),
        (12, "meta"),
        (15, "https://github.com/psf/black"),
    ]


def test_agreeing_hooks_pass(tools: ToolsProject, capsys: pytest.CaptureFixture[str]) -> None:
    """Names compare canonically: Pre_Commit_Hooks is pre-commit-hooks."""
    agreeing_project(tools)
    assert run_check(tools, capsys) == (0, [OK])


def test_a_project_without_config_passes(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_check(tools, capsys) == (0, [OK])


def test_a_drifted_hook_version_fails(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    agreeing_project(tools, CONFIG.replace('"ruff==0.6.0"', '"ruff==0.5.7"'))
    assert run_check(tools, capsys) == (
        1,
        [
            ".pre-commit-config.yaml:6: hooks-agree: hook pins ruff==0.5.7, requirements-dev.txt "
            "pins 0.6.0; write `ruff==0.6.0` here, or change requirements-dev.in and re-lock"
        ],
    )


def test_an_unpinned_hook_dependency_fails(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    agreeing_project(tools, CONFIG.replace("tomli==2.0.1", "tomli>=2"))
    assert run_check(tools, capsys) == (
        1,
        [
            ".pre-commit-config.yaml:10: hooks-agree: hook dependency `tomli>=2` is not pinned "
            "with ==; write `tomli==2.0.1` (the version in requirements-dev.txt)"
        ],
    )


def test_a_marker_does_not_change_the_compared_pin(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tomli==2.0.1; python_version < '3.11'` compares as tomli==2.0.1, both ways."""
    hook = "  - id: x\n    additional_dependencies: [\"tomli==%s; python_version < '3.11'\"]\n"
    agreeing_project(tools, hook % "2.0.1")
    assert run_check(tools, capsys) == (0, [OK])
    agreeing_project(tools, hook % "2.0.2")
    code, lines = run_check(tools, capsys)
    assert code == 1
    assert lines[0].startswith(
        ".pre-commit-config.yaml:2: hooks-agree: hook pins tomli==2.0.2, "
        "requirements-dev.txt pins 2.0.1;"
    )


def test_a_hook_dependency_missing_from_the_lock_fails(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    agreeing_project(tools, CONFIG.replace('["ruff==0.6.0"]', '["ruff==0.6.0", "Black==24.1.0"]'))
    assert run_check(tools, capsys) == (
        1,
        [
            ".pre-commit-config.yaml:6: hooks-agree: hook dependency `Black==24.1.0` is not in "
            "requirements-dev.txt; add black to requirements-dev.in, run `invoke lock`, "
            "pin the same version here"
        ],
    )


def test_a_cloned_hook_repository_fails_even_without_a_lock(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without requirements-dev.txt only the remote repository is reported (lock-fresh
    reports the missing lock)."""
    tools.write(
        ".pre-commit-config.yaml",
        CONFIG + "  - repo: https://github.com/astral-sh/ruff-pre-commit\n    rev: v0.6.0\n",
    )
    assert run_check(tools, capsys) == (
        1,
        [
            ".pre-commit-config.yaml:15: hooks-agree: hook repository "
            "https://github.com/astral-sh/ruff-pre-commit is cloned from the network; use "
            "`repo: local` with `language: python` and a pinned `additional_dependencies`"
        ],
    )


def test_a_dependency_with_a_marker_keeps_its_quotes(tools: ToolsProject) -> None:
    """YAML's own quoting: the marker's closing quote stays."""
    text = "- additional_dependencies: [\"tomli==2.0.1; python_version < '3.11'\"]\n"
    assert dependencies(tools, tree(tools, text)) == [(1, "tomli==2.0.1; python_version < '3.11'")]


def test_invalid_yaml_is_one_error_naming_the_file(tools: ToolsProject) -> None:
    agreeing_project(tools, "repos: [\n")
    with pytest.raises(tools.module("project").ToolError) as error:
        tools.module("lint").run_check("hooks-agree")
    assert str(error.value).startswith(".pre-commit-config.yaml is not valid YAML (")
