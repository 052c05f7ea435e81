"""Fast tier: free-text answers, whatever characters they hold, bake into files that
parse and carry the text unchanged; what no file can hold is refused (test_pre_gen).

On the command line (`--no-input` with answers), cookiecutter renders an answer
as Jinja before any hook sees it; typed at a prompt it stays text. So the
Jinja-looking answers are given here wrapped in `{% raw %}`, which cookiecutter
renders to exactly the text a person would type.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from conftest import PROJECT_TEMPLATE, answers, assert_files_parse, bake_into

# One answer per character class.
HOSTILE = {
    "quotes": "O'Brien's \"quoted\" `tick`",
    "triple-quotes": "triple \"\"\" and ''' quotes",
    "backslashes": "back\\slash \\n \\u00e9 C:\\path\\",
    "non-ascii": "Ünïcödé 中文 😀 ﬁne",
    "jinja": "{{ cookiecutter.project_slug }} {% if x %} {#",
    "yaml": "key: value # not a comment - [list] {map: 1} & *anchor !tag |",
    "toml": 'a = "toml" [table] # x',
    "markdown": "*emphasis* _under_ <b>html</b> [link](x) # | ~strike~ &amp;",
    "list-like": "- starts like a list",
    "numbered-like": "1. starts like a numbered list",
}
FIELDS = ("project_name", "description", "author_name")


def as_typed(text: str) -> str:
    """The extra-context value that cookiecutter renders to exactly `text`."""
    return "{% raw %}" + text + "{% endraw %}" if "{" in text else text


def rendered_text(readme: str) -> tuple[str, str]:
    """(title, first paragraph) as a reader sees them: the rendered HTML's text."""

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.blocks: list[str] = []
            self.current: list[str] | None = None

        def handle_starttag(self, tag, attrs):
            if tag in {"h1", "p"} and self.current is None:
                self.current = []

        def handle_endtag(self, tag):
            if tag in {"h1", "p"} and self.current is not None:
                self.blocks.append("".join(self.current))
                self.current = None

        def handle_data(self, data):
            if self.current is not None:
                self.current.append(data)

    html = MarkdownIt("commonmark").render(readme.split("```", 1)[0])
    parser = Text()
    parser.feed(html)
    return parser.blocks[0], parser.blocks[1]


@pytest.fixture(scope="module")
def hostile_bake(module_tmp: Callable[[str], Path]) -> Callable[[str], Path]:
    """Factory: the bake of one kind of text, given as every free-text field at once.

    One bake per kind, not per kind and field: each field's test reads its own
    field of it. No template line holds two of the fields (test_fields_stay_apart).
    """
    baked: dict[str, Path] = {}

    def bake(kind: str) -> Path:
        if kind not in baked:
            overrides = {field: as_typed(HOSTILE[kind]) for field in FIELDS}
            # The slug's derivation from a name is test_bake's.
            overrides["project_slug"] = "hostile-name"
            baked[kind] = bake_into(module_tmp(kind), **overrides)
        return baked[kind]

    return bake


def test_fields_stay_apart() -> None:
    """No template line renders two free-text fields: a bake with all of them hostile tests
    each as a bake with that one alone would (two unescaped quotes on a line can pair up)."""
    pattern = re.compile(r"cookiecutter\.(" + "|".join(FIELDS) + r")\b")
    for path in PROJECT_TEMPLATE.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                assert len(set(pattern.findall(line))) <= 1, f"{path.name}:{number}: {line}"


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("kind", HOSTILE)
def test_free_text_is_carried_unchanged(
    hostile_bake: Callable[[str], Path], field: str, kind: str
) -> None:
    text = HOSTILE[kind]
    project = hostile_bake(kind)
    assert_files_parse(project)
    assert answers(project)[field] == text
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    readme = (project / "README.md").read_text(encoding="utf-8")
    title, paragraph = rendered_text(readme)
    if field == "project_name":
        assert title == text
    elif field == "description":
        assert paragraph == text
        assert pyproject["project"]["description"] == text
    else:
        assert pyproject["project"]["authors"][0]["name"] == text
        assert text in (project / "LICENSE").read_text(encoding="utf-8")


@pytest.mark.parametrize("email", ["o'hara+ml@example.org", "ünï@例え.jp"])
def test_unusual_emails_are_carried(tmp_path: Path, email: str) -> None:
    project = bake_into(tmp_path, author_email=email)
    assert_files_parse(project)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["authors"][0]["email"] == email
