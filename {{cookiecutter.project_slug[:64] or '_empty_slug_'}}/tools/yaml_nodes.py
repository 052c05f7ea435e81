"""YAML files read through pyyaml's node tree, so that every value keeps its line.

pyyaml comes with pre-commit in requirements-dev.txt and is a pinned dependency
of the hooks that read YAML, so these checks run where it is installed. The
node tree also keeps `on:` a string (a loaded workflow would make it True).
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
        raise ToolError(
            f"reading {name} needs pyyaml, which this Python lacks; run the pin checks "
            "with the project env (`invoke lint --pins`) or through pre-commit"
        ) from None
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise ToolError(f"{name} is not valid YAML ({' '.join(str(error).split())})") from None


def read(path: Path) -> Any:
    return compose(path.read_text(encoding="utf-8"), path.name)


def pairs(node: Any) -> Iterator[tuple[str, Any]]:
    """(key, value node) of every mapping in the tree, depth first, in file order."""
    if node is None:
        return
    if node.id == "mapping":
        for key, value in node.value:
            yield str(key.value), value
            yield from pairs(value)
    elif node.id == "sequence":
        for item in node.value:
            yield from pairs(item)


def line(node: Any) -> int:
    """The 1-based line a node starts on."""
    return node.start_mark.line + 1
