"""YAML files read through pyyaml's node tree, so that every value keeps its line.

pyyaml comes with pre-commit in requirements-dev.txt. The node tree also keeps `on:` a string
(a loaded workflow would make it True).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .project import ToolError


def compose(text: str, name: str) -> Any:
    """The root node of `text` (the file `name`), or None for an empty file."""
    try:
        import yaml
    except ModuleNotFoundError:
        what = f"reading {name} needs pyyaml, which this Python lacks"
        fix = "run the pin checks with the project env (`invoke lint --pins`) or through pre-commit"
        raise ToolError(what, fix) from None
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise ToolError(f"{name} is not valid YAML ({' '.join(str(error).split())})") from None


def read(path: Path) -> Any:
    return compose(path.read_text(encoding="utf-8"), path.name)


def scalars(node: Any, key: str) -> Iterator[tuple[int, str]]:
    """(line, text) of each scalar value of `key` in the tree, or scalar item of its list."""
    if node is None or node.id == "scalar":
        return
    for item in node.value:
        name, value = item if node.id == "mapping" else (None, item)
        if name is not None and name.value == key:
            items = value.value if value.id == "sequence" else [value]
            yield from ((i.start_mark.line + 1, str(i.value)) for i in items if i.id == "scalar")
        yield from scalars(value, key)
