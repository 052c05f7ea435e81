"""tools/pins_exact.py in-process: locks, base images and CI actions name exact versions."""

from __future__ import annotations

import pytest

from conftest import ToolsProject

HASH = "sha256:" + "a" * 64
SHA = "0123456789abcdef0123456789abcdef01234567"
RELOCK = "re-lock with `invoke lock` (locks are written by the tool, not by hand)"
TAG_FIX = "name a fixed tag such as `python:3.11-slim` (a `@sha256:` digest may follow)"
DOCKERFILE = """\
ARG PYTHON_VERSION=3.11
ARG BASE_IMAGE=python:${PYTHON_VERSION}-slim
FROM ${BASE_IMAGE} AS builder
FROM builder AS cpu
FROM scratch AS empty
FROM alpine@sha256:abcd AS tools
"""
WORKFLOW = f"""\
jobs:
  test:
    steps:
      - uses: actions/checkout@{SHA} # v4.2.1
      - uses: "actions/setup-python@{SHA}"
      - uses: astral-sh/setup-uv@{SHA}  # v3
      - uses: ./.github/actions/local
      - uses: docker://alpine:3.20
"""


def pinned_project(tools: ToolsProject) -> None:
    """Hashed `==` locks, a Dockerfile resolved to a fixed tag, actions on commit SHAs."""
    tools.write("requirements.txt", f"# input-sha256: x\nnumpy==1.26.4 \\\n    --hash={HASH}\n")
    tools.write("requirements-dev.txt", f"ruff==0.6.0 --hash={HASH}\n")
    tools.write("Dockerfile", DOCKERFILE)
    tools.write(".github/workflows/ci.yml", WORKFLOW)


def run_check(tools: ToolsProject, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = tools.module("lint").run_check("pins-exact")
    return code, capsys.readouterr().out.splitlines()


def test_a_pinned_project_passes(tools: ToolsProject, capsys: pytest.CaptureFixture[str]) -> None:
    pinned_project(tools)
    assert run_check(tools, capsys) == (
        0,
        ["pins-exact: ok (locks, base images and actions are pinned)"],
    )


def test_missing_locks_are_left_to_lock_fresh(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_check(tools, capsys)[0] == 0


def test_a_range_in_a_lock_is_not_a_pin(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    pinned_project(tools)
    tools.write("requirements-dev.txt", f"# header\nruff>=0.6 \\\n    --hash={HASH}\n")
    assert run_check(tools, capsys) == (
        1,
        [f"requirements-dev.txt:2: pins-exact: `ruff>=0.6` is not pinned with ==; {RELOCK}"],
    )


def test_a_pin_without_hash_fails(tools: ToolsProject, capsys: pytest.CaptureFixture[str]) -> None:
    pinned_project(tools)
    tools.write("requirements-dev.txt", "ruff==0.6.0\n")
    assert run_check(tools, capsys) == (
        1,
        [f"requirements-dev.txt:1: pins-exact: `ruff==0.6.0` has no --hash; {RELOCK}"],
    )


def test_an_editable_line_fails(tools: ToolsProject, capsys: pytest.CaptureFixture[str]) -> None:
    pinned_project(tools)
    tools.write("requirements.txt", f"numpy==1.26.4 --hash={HASH}\n-e ./src/pkg\n")
    assert run_check(tools, capsys) == (
        1,
        [f"requirements.txt:2: pins-exact: editable line `-e ./src/pkg`; {RELOCK}"],
    )


SOURCE_FIX = (
    "delete the line: indexes are set where installs run (pip.conf, uv.toml, PIP_INDEX_URL), "
    "never in a lock; `invoke lock` leaves them out"
)


@pytest.mark.parametrize(
    ("line", "option"),
    [
        ("--extra-index-url http://evil.example/simple", "--extra-index-url"),
        ("--index-url=https://mirror.example/simple", "--index-url"),
        ("-i https://mirror.example/simple", "-i"),
        ("  --find-links ./wheels", "--find-links"),
        ("-f https://example.org/wheels.html", "-f"),
        ("--trusted-host evil.example", "--trusted-host"),
    ],
)
def test_a_lock_that_names_a_package_source_fails(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str], line: str, option: str
) -> None:
    pinned_project(tools)
    tools.write("requirements.txt", f"{line}\nnumpy==1.26.4 --hash={HASH}\n")
    assert run_check(tools, capsys) == (
        1,
        [
            f"requirements.txt:1: pins-exact: `{option}` line: the lock names where packages "
            f"come from; {SOURCE_FIX}"
        ],
    )


def test_other_options_and_comments_naming_indexes_pass(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """`# from <index>` annotations (uv) and `--index-urlx`-like words are not options."""
    pinned_project(tools)
    text = f"numpy==1.26.4 --hash={HASH}\n    # from https://pypi.org/simple\n"
    tools.write("requirements.txt", text)
    assert run_check(tools, capsys)[0] == 0


def test_an_untagged_arg_default_is_reported_once_at_the_arg(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two stages FROM one ARG: one finding, on the ARG line, naming the first FROM."""
    pinned_project(tools)
    tools.write("Dockerfile", "ARG BASE=python\nFROM ${BASE} AS a\nFROM ${BASE} AS b\n")
    assert run_check(tools, capsys) == (
        1,
        [
            "Dockerfile:1: pins-exact: base image `python` has no tag, so it floats to latest "
            f"(used by FROM on line 2); {TAG_FIX}"
        ],
    )


def test_a_floating_tag_fails_even_in_capitals(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    pinned_project(tools)
    tools.write("Dockerfile.gpu", "# gpu\nFROM nvidia/cuda:LATEST\n")
    assert run_check(tools, capsys) == (
        1,
        [f"Dockerfile.gpu:2: pins-exact: base image `nvidia/cuda:LATEST` uses the floating tag "
         f"`LATEST`; {TAG_FIX}"],
    )  # fmt: skip


def test_an_arg_without_default_cannot_be_pinned(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    pinned_project(tools)
    tools.write("Dockerfile", "ARG BASE\nFROM ${BASE}\n")
    assert run_check(tools, capsys) == (
        1,
        [
            "Dockerfile:2: pins-exact: base image `${BASE}` uses ARG BASE, which has no default; "
            "give it a pinned default: `ARG BASE=python:3.X-slim`"
        ],
    )


def test_branch_and_missing_refs_of_actions_fail(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    pinned_project(tools)
    tools.write(
        ".github/workflows/release.yaml",
        "steps:\n  - uses: actions/checkout@main\n  - uses: actions/cache\n"
        f"  - uses: actions/cache@{SHA[:7]}\n  - uses: actions/setup-python@v5.1.0\n",
    )
    code, lines = run_check(tools, capsys)
    assert code == 1
    fix = "pin the release's full commit SHA, the tag as a comment: "
    assert lines == [
        ".github/workflows/release.yaml:2: pins-exact: `actions/checkout@main` is not pinned to "
        f"a commit SHA; {fix}`actions/checkout@<40-hex sha> # v4.2.1`",
        f".github/workflows/release.yaml:3: pins-exact: `actions/cache` has no ref; {fix}"
        "`actions/cache@<40-hex sha> # v4.2.1`",
        f".github/workflows/release.yaml:4: pins-exact: `actions/cache@{SHA[:7]}` is not pinned "
        f"to a commit SHA; {fix}`actions/cache@<40-hex sha> # v4.2.1`",
        # A release tag can be moved to other code: the auditors' `unpinned-uses`.
        ".github/workflows/release.yaml:5: pins-exact: `actions/setup-python@v5.1.0` is not "
        f"pinned to a commit SHA; {fix}`actions/setup-python@<40-hex sha> # v4.2.1`",
    ]


def test_every_kind_of_loose_pin_is_listed_in_one_run(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """Locks, then base images, then actions: all of them, not just the first."""
    pinned_project(tools)
    tools.write("requirements.txt", "numpy\n")
    tools.write("Dockerfile", "FROM python:latest\n")
    tools.write(".github/workflows/ci.yml", "- uses: actions/checkout@dev\n")
    code, lines = run_check(tools, capsys)
    assert code == 1
    assert [line.split(":")[0] for line in lines] == [
        "requirements.txt", "Dockerfile", ".github/workflows/ci.yml",
    ]  # fmt: skip
