"""tools/report.py in-process: what a report records, what a comparison calls a difference."""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

from conftest import ToolsProject

KEYS = {"created", "python", "implementation", "platform", "prefix", "image", "variant", "cuda",
        "cudnn", "cuda_driver", "devices", "locks", "packages"}  # fmt: skip


def base_report() -> dict:
    return {
        "created": "2024-01-01T00:00:00Z",
        "python": "3.11.7",
        "implementation": "CPython",
        "platform": "Linux-x86_64",
        "prefix": "/a/.venv",
        "image": "",
        "variant": "cpu",
        "cuda": None,
        "cudnn": None,
        "cuda_driver": None,
        "devices": [],
        "locks": {"requirements.txt": "aaa"},
        "packages": {"numpy": "1.26.4", "pandas": "2.2.0"},
    }


@pytest.fixture
def no_gpu(tools: ToolsProject, monkeypatch: pytest.MonkeyPatch) -> None:
    """No nvidia-smi on PATH, and no image name: the report of a plain machine."""
    monkeypatch.setenv("PATH", str(tools.root / "empty-bin"))
    monkeypatch.delenv("REPRO_IMAGE", raising=False)


def test_collect_records_this_interpreter_and_its_packages(
    tools: ToolsProject, no_gpu: None
) -> None:
    report = tools.module("report").collect()
    assert set(report) == KEYS
    assert report["python"] == platform.python_version()
    assert report["implementation"] == platform.python_implementation()
    assert report["platform"] == f"{platform.system()}-{platform.machine()}"
    assert report["prefix"] == sys.prefix and report["image"] == "" and report["cuda"] is None
    # The template's test env is a CPU env with no GPU: nothing CUDA to record.
    assert (report["variant"], report["cudnn"], report["cuda_driver"], report["devices"]) == (
        "cpu", None, None, [],
    )  # fmt: skip
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", report["created"])
    assert report["packages"]["pytest"] == metadata.version("pytest")
    assert list(report["packages"]) == sorted(report["packages"])


def test_collect_hashes_only_the_locks_that_exist(tools: ToolsProject, no_gpu: None) -> None:
    lock = tools.write("requirements.txt", "numpy==2.0.0\n")
    report = tools.module("report").collect()
    assert report["locks"] == {"requirements.txt": tools.module("lockfile").content_sha256(lock)}


def test_collect_names_the_image_it_runs_in(
    tools: ToolsProject, no_gpu: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPRO_IMAGE", "my-ml-project:abc123")
    assert tools.module("report").collect()["image"] == "my-ml-project:abc123"


def test_the_same_report_has_no_differences(tools: ToolsProject) -> None:
    assert list(tools.module("report").differences(base_report(), base_report())) == []


def test_informational_fields_do_not_count(tools: ToolsProject) -> None:
    """When, where and on which GPUs, driver or image a report was made: not a difference."""
    mine = {**base_report(), "created": "2025-05-05T00:00:00Z", "prefix": "/b/.venv",
            "cuda_driver": "550.54", "devices": ["GPU 0: A100"], "image": "other:tag"}  # fmt: skip
    assert list(tools.module("report").differences(mine, base_report())) == []


def test_variant_and_cuda_count(tools: ToolsProject) -> None:
    """A GPU env's report differs from a CPU env's, and CUDA 13.0 from 12.8."""
    gpu = {**base_report(), "variant": "gpu", "cuda": "13.0", "cudnn": "9.28.1.4"}
    assert list(tools.module("report").differences(gpu, base_report())) == [
        "cuda: None -> 13.0", "cudnn: None -> 9.28.1.4", "variant: cpu -> gpu",
    ]  # fmt: skip


def test_differences_read_other_to_mine(tools: ToolsProject) -> None:
    """Top-level fields (sorted) first, then locks, then packages; absent is `absent`."""
    mine = base_report()
    mine["python"] = "3.12.1"
    mine["platform"] = "Darwin-arm64"
    mine["locks"] = {"requirements.txt": "bbb", "requirements-dev.txt": "ccc"}
    mine["packages"] = {"numpy": "2.0.0", "scipy": "1.13.0"}
    assert list(tools.module("report").differences(mine, base_report())) == [
        "platform: Linux-x86_64 -> Darwin-arm64",
        "python: 3.11.7 -> 3.12.1",
        "lock requirements-dev.txt: absent -> ccc",
        "lock requirements.txt: aaa -> bbb",
        "package numpy: 1.26.4 -> 2.0.0",
        "package pandas: 2.2.0 -> absent",
        "package scipy: absent -> 1.13.0",
    ]


def test_a_field_an_older_report_lacks_is_a_difference(tools: ToolsProject) -> None:
    other = base_report()
    del other["implementation"], other["packages"]
    assert list(tools.module("report").differences(base_report(), other)) == [
        "implementation: None -> CPython",
        "package numpy: absent -> 1.26.4",
        "package pandas: absent -> 2.2.0",
    ]


def test_load_reads_a_written_report(tools: ToolsProject) -> None:
    path = tools.write("old.json", json.dumps(base_report()))
    assert tools.module("report").load(path) == base_report()


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("broken.json", "{not json", "Expecting property name enclosed in double quotes"),
        ("empty.json", "", "Expecting value: line 1 column 1 (char 0)"),
        ("missing.json", None, "No such file or directory"),
    ],
)
def test_load_of_a_bad_file_is_a_tool_error(
    tools: ToolsProject, name: str, text: str | None, reason: str
) -> None:
    path = tools.write(name, text) if text is not None else tools.root / name
    report = tools.module("report")
    with pytest.raises(report.ToolError) as error:
        report.load(path)
    message = str(error.value)
    assert message.startswith(f"cannot read report {path} (") and reason in message
    assert message.endswith("); give a file written by `invoke report`")


def test_run_writes_the_report_where_told(
    tools: ToolsProject, no_gpu: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The output's folder is made; the summary names the file, the count and the Python."""
    report = tools.module("report")
    output = tools.root / "results" / "env-report.json"
    assert report.run(argparse.Namespace(output=output, compare=None)) == 0
    written = json.loads(output.read_text(encoding="utf-8"))
    assert set(written) == KEYS and written["python"] == platform.python_version()
    assert capsys.readouterr().out == (
        f"report: wrote {output} ({len(written['packages'])} packages, "
        f"Python {platform.python_version()}, CPU env)\n"
    )


def test_a_differing_report_exits_1_and_lists_the_differences(
    tools: ToolsProject, no_gpu: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty report differs in every field that matters and every package."""
    report = tools.module("report")
    path = tools.write("other.json", "{}")
    assert report.run(argparse.Namespace(output=Path("unused"), compare=path)) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        f"implementation: None -> {platform.python_implementation()}",
        f"platform: None -> {platform.system()}-{platform.machine()}",
        f"python: None -> {platform.python_version()}",
    ]
    assert f"package pytest: absent -> {metadata.version('pytest')}" in out
    assert out[-1] == f"report: {len(out) - 1} difference(s) from {path}"
