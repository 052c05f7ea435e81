"""tools/sbom.py in-process: the CycloneDX SBOM written from the locks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from conftest import ToolsProject

RICH = "sha256:" + "1" * 64
RICH_TOO = "sha256:" + "2" * 64
PYGMENTS = "sha256:" + "3" * 64
LOCK = (
    "# input-sha256: abc (requirements.in) python=3.11\n"
    f"pygments==2.18.0 \\\n    --hash={PYGMENTS}\n    # via rich\n"
    f"rich==13.7.1 \\\n    --hash={RICH_TOO} \\\n    --hash={RICH}\n"
    "    # via -r requirements.in\n"
)


def written(tools: ToolsProject, lock: str = LOCK) -> tuple[dict, str]:
    """The SBOM of requirements.txt holding `lock`: as a dict, and as the text it writes."""
    tools.write("pyproject.toml", '[project]\nname = "my-ml-project"\nversion = "0.3.0"\n')
    tools.write("requirements.txt", lock)
    sbom, cli = tools.module("sbom"), tools.module("cli")
    assert cli.main(["sbom"]) == 0
    text = (tools.root / sbom.DEFAULT_OUTPUT).read_text(encoding="utf-8")
    return json.loads(text), text


def test_every_pin_is_a_component_with_purl_and_sorted_hashes(tools: ToolsProject) -> None:
    document, _ = written(tools)
    assert [c["bom-ref"] for c in document["components"]] == [
        "pkg:pypi/pygments@2.18.0",
        "pkg:pypi/rich@13.7.1",
    ]
    rich = document["components"][1]
    assert (rich["name"], rich["version"], rich["purl"]) == (
        "rich",
        "13.7.1",
        "pkg:pypi/rich@13.7.1",
    )
    assert rich["hashes"] == [
        {"alg": "SHA-256", "content": "1" * 64},
        {"alg": "SHA-256", "content": "2" * 64},
    ]


def test_via_annotations_are_the_dependency_graph(tools: ToolsProject) -> None:
    """The project needs what its `.in` asks for; rich needs what names it in `# via`."""
    document, _ = written(tools)
    graph = {item["ref"]: item["dependsOn"] for item in document["dependencies"]}
    assert graph == {
        "my-ml-project": ["pkg:pypi/rich@13.7.1"],
        "pkg:pypi/pygments@2.18.0": [],
        "pkg:pypi/rich@13.7.1": ["pkg:pypi/pygments@2.18.0"],
    }
    assert document["metadata"]["component"] == {
        "type": "application",
        "bom-ref": "my-ml-project",
        "name": "my-ml-project",
        "version": "0.3.0",
    }


def test_the_same_lock_gives_the_same_bytes(tools: ToolsProject) -> None:
    """No serial number, no timestamp: nothing but the locks decides the text."""
    _, first = written(tools)
    _, second = written(tools)
    assert first == second
    assert "serialNumber" not in first and "timestamp" not in first


def test_the_sbom_names_its_locks_and_their_hash(tools: ToolsProject) -> None:
    """The hash an image's tag and label carry, so an SBOM and an image can be matched."""
    document, _ = written(tools)
    lock_sha = tools.module("lockfile").content_sha256(tools.root / "requirements.txt")
    assert document["metadata"]["properties"] == [
        {"name": "repro:locks", "value": "requirements.txt"},
        {"name": "repro:lock-sha256", "value": lock_sha},
    ]


def test_it_validates_against_the_cyclonedx_schema(tools: ToolsProject) -> None:
    _, text = written(tools)
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, error.data.message if error else ""


def test_a_pin_listed_twice_is_one_component(tools: ToolsProject) -> None:
    """A universal lock pins one version under two markers: one component, both hashes once."""
    twice = LOCK + (
        f'rich==13.7.1 ; sys_platform == "win32" \\\n    --hash={RICH}\n    # via pygments\n'
    )
    document, _ = written(tools, twice)
    assert len(document["components"]) == 2
    assert len(document["components"][1]["hashes"]) == 2


def test_an_image_describes_the_locks_it_declares(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPRO_LOCKS", "requirements.txt requirements-gpu.txt")
    assert tools.module("sbom").default_locks() == ["requirements.txt", "requirements-gpu.txt"]
    monkeypatch.delenv("REPRO_LOCKS")
    assert tools.module("sbom").default_locks() == ["requirements.txt"]


def test_a_missing_lock_is_one_error_line(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    assert tools.module("cli").main(["sbom"]) == 1
    assert capsys.readouterr().err.strip() == (
        "ERROR: requirements.txt not found; run `invoke lock` first"
    )
    assert not (tools.root / "sbom.cdx.json").exists()


def test_stdout_instead_of_a_file(tools: ToolsProject, capsys: pytest.CaptureFixture[str]) -> None:
    tools.write("pyproject.toml", '[project]\nname = "my-ml-project"\nversion = "0.3.0"\n')
    tools.write("requirements.txt", LOCK)
    assert tools.module("cli").main(["sbom", "--output", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["bomFormat"] == "CycloneDX"
    assert not Path(tools.root / "sbom.cdx.json").exists()
