"""tools/dockerfile.py in-process: instructions, ARGs, base images (ARGs resolved), stage ENVs."""

from __future__ import annotations

import pytest

from conftest import ToolsProject

MULTI_STAGE = """\
# syntax=docker/dockerfile:1
ARG PYTHON_VERSION=3.11
ARG BASE_IMAGE=python:${PYTHON_VERSION}-slim

FROM --platform=$BUILDPLATFORM ${BASE_IMAGE} AS builder
ARG PYTHON_VERSION
ENV PIP_NO_CACHE_DIR=1 \\
    # a comment inside the continuation
    GREETING="hello world"
RUN echo building

FROM builder AS cpu
ENV PATH=/opt/venv/bin:$PATH
ENV LEGACY some spaced value

FROM scratch AS empty
FROM ${MIRROR:-docker.io/library/alpine:3.20}
"""


def test_instructions_join_continuations_and_drop_comments(tools: ToolsProject) -> None:
    """Each instruction starts at its first line; the keyword is upper-cased."""
    path = tools.write("Dockerfile", MULTI_STAGE)
    found = tools.module("dockerfile").instructions(path)
    assert [(line, keyword) for line, keyword, _ in found] == [
        (2, "ARG"), (3, "ARG"), (5, "FROM"), (6, "ARG"), (7, "ENV"), (10, "RUN"),
        (12, "FROM"), (13, "ENV"), (14, "ENV"), (16, "FROM"), (17, "FROM"),
    ]  # fmt: skip
    assert found[4][2] == 'PIP_NO_CACHE_DIR=1  GREETING="hello world"'


def test_lowercase_keywords_are_instructions_too(tools: ToolsProject) -> None:
    path = tools.write("Dockerfile", "from python:3.11\nrun true\n")
    assert tools.module("dockerfile").instructions(path) == [
        (1, "FROM", "python:3.11"),
        (2, "RUN", "true"),
    ]


def test_args_keep_defaults_unquoted_and_none_without_one(tools: ToolsProject) -> None:
    dockerfile = tools.module("dockerfile")
    path = tools.write("Dockerfile", 'ARG A=1\nARG B="x y"\nARG C\nARG D=\nFROM python:3.11\n')
    assert dockerfile.args(path) == [
        dockerfile.Arg("A", "1", 1),
        dockerfile.Arg("B", "x y", 2),
        dockerfile.Arg("C", None, 3),
        dockerfile.Arg("D", "", 4),
    ]


def test_base_image_resolves_nested_args_and_points_at_the_arg(tools: ToolsProject) -> None:
    """`ARG BASE=python:${PYTHON_VERSION}-slim` then `FROM ${BASE}`: the value is written on
    the BASE line; a re-declared ARG without default keeps the global one; stages, scratch
    and `--platform` are not images; `${X:-default}` falls back to its default."""
    dockerfile = tools.module("dockerfile")
    images = dockerfile.base_images(tools.write("Dockerfile", MULTI_STAGE))
    assert images == [
        dockerfile.BaseImage(5, "${BASE_IMAGE}", "python:3.11-slim", 3),
        dockerfile.BaseImage(
            17, "${MIRROR:-docker.io/library/alpine:3.20}", "docker.io/library/alpine:3.20", 17
        ),
    ]


def test_base_image_with_an_arg_without_default_is_unresolved(tools: ToolsProject) -> None:
    dockerfile = tools.module("dockerfile")
    path = tools.write("Dockerfile", "ARG BASE\nFROM $BASE AS app\n")
    (image,) = dockerfile.base_images(path)
    assert (image.image, image.unresolved, image.line, image.source_line) == (None, "BASE", 2, 2)


def test_an_alternative_value_is_used_only_when_the_arg_is_set(tools: ToolsProject) -> None:
    """`${X:+word}` is word when X has a value and empty when not, as Docker reads it."""
    dockerfile = tools.module("dockerfile")
    path = tools.write(
        "Dockerfile",
        "ARG REG=mirror\nFROM ${REG:+local/}python:3.11 AS a\nFROM ${NONE:+x/}alpine:3 AS b\n",
    )
    assert [i.image for i in dockerfile.base_images(path)] == ["local/python:3.11", "alpine:3"]


def test_a_later_arg_default_overrides_an_earlier_one(tools: ToolsProject) -> None:
    """An ARG re-declared with a default changes what a later FROM resolves to."""
    dockerfile = tools.module("dockerfile")
    path = tools.write(
        "Dockerfile", "ARG IMG=python:3.11\nFROM $IMG AS a\nARG IMG=python:3.12\nFROM $IMG AS b\n"
    )
    assert [(i.image, i.source_line) for i in dockerfile.base_images(path)] == [
        ("python:3.11", 1),
        ("python:3.12", 3),
    ]


def test_stage_env_inherits_from_the_stage_it_is_built_from(tools: ToolsProject) -> None:
    """Values stay as written ($PATH unexpanded, quotes removed); legacy `ENV A x y` is one
    variable; an unnamed stage is not recorded."""
    envs = tools.module("dockerfile").stage_env(tools.write("Dockerfile", MULTI_STAGE))
    assert envs == {
        "builder": {"PIP_NO_CACHE_DIR": "1", "GREETING": "hello world"},
        "cpu": {
            "PIP_NO_CACHE_DIR": "1",
            "GREETING": "hello world",
            "PATH": "/opt/venv/bin:$PATH",
            "LEGACY": "some spaced value",
        },
        "empty": {},
    }


def test_stage_env_of_a_child_does_not_leak_into_its_parent(tools: ToolsProject) -> None:
    path = tools.write(
        "Dockerfile", "FROM python:3.11 AS base\nENV A=1\nFROM base AS app\nENV B=2\n"
    )
    envs = tools.module("dockerfile").stage_env(path)
    assert envs["base"] == {"A": "1"} and envs["app"] == {"A": "1", "B": "2"}


@pytest.mark.parametrize(
    ("image", "parts"),
    [
        ("python:3.11-slim@sha256:ab", ("python", "3.11-slim", "sha256:ab")),
        ("python", ("python", None, None)),
        ("python@sha256:ab", ("python", None, "sha256:ab")),
        ("localhost:5000/team/python", ("localhost:5000/team/python", None, None)),
        ("localhost:5000/python:3.12", ("localhost:5000/python", "3.12", None)),
    ],
)
def test_split_image_separates_repository_tag_and_digest(
    tools: ToolsProject, image: str, parts: tuple
) -> None:
    """A registry port is not a tag."""
    assert tools.module("dockerfile").split_image(image) == parts


def test_dockerfiles_finds_every_pattern_sorted(tools: ToolsProject) -> None:
    for name in ("Dockerfile", "Dockerfile.gpu", "app.Dockerfile", "docker/dev/Dockerfile",
                 "notes/Dockerfile.md", "Dockerfile-old"):  # fmt: skip
        tools.write(name, "FROM python:3.11\n")
    found = tools.module("dockerfile").dockerfiles(tools.root)
    assert [path.relative_to(tools.root).as_posix() for path in found] == [
        "Dockerfile", "Dockerfile.gpu", "app.Dockerfile", "docker/dev/Dockerfile",
    ]  # fmt: skip
