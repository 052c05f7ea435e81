"""tools/slurm.py in-process: the sbatch command slurm-submit builds, and its refusals.

The jobs themselves run on a real one-node Slurm in tests/test_slurm.py; here a
stand-in `sbatch` on PATH only answers what real sbatch prints (an id, or its
error lines), so that each outcome is checked in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import PROJECT_TEMPLATE, ToolsProject

SCRIPT = "#!/usr/bin/env bash\n#SBATCH --job-name=x\n"


def slurm_project(tools: ToolsProject, **answers: object) -> None:
    tools.answer(cluster="slurm", **answers)
    tools.write("slurm/job.sbatch", SCRIPT)


def main(tools: ToolsProject, *argv: str) -> int:
    return tools.module("cli").main(["slurm-submit", *argv])


def stand_in_sbatch(tools: ToolsProject, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    """An `sbatch` first on PATH that records its arguments and runs `body`."""
    folder = tools.root / "bin"
    folder.mkdir()
    script = folder / "sbatch"
    script.write_text(f'#!/bin/sh\necho "$@" > "{folder}/args"\n{body}\n', encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    return folder / "args"


def test_no_verb_without_the_slurm_answer(tools: ToolsProject) -> None:
    assert "slurm-submit" not in [verb.name for verb in tools.module("cli").verbs()]


def test_the_verb_comes_with_the_slurm_answer(tools: ToolsProject) -> None:
    slurm_project(tools)
    assert "slurm-submit" in [verb.name for verb in tools.module("cli").verbs()]


def test_the_command_follows_the_script(tools: ToolsProject) -> None:
    """`--` is the CLI's, not the job's; no option given leaves the script's defaults."""
    slurm_project(tools)
    args = tools.module("cli").parse(["slurm-submit", "--", "python", "-m", "pkg", "--x"])
    assert tools.module("slurm").sbatch_command(args) == [
        "sbatch", "--parsable", "slurm/job.sbatch", "python", "-m", "pkg", "--x",
    ]  # fmt: skip


def test_options_override_the_scripts_defaults(tools: ToolsProject) -> None:
    """An array gets one log per task; resources become sbatch's own options."""
    slurm_project(tools)
    argv = ["slurm-submit", "--array", "3", "--cpus", "8", "--mem", "16G", "--time", "2:00:00"]
    args = tools.module("cli").parse([*argv, "--", "run"])
    assert tools.module("slurm").sbatch_command(args) == [
        "sbatch", "--parsable", "--array=0-2", "--output=runs/slurm-%A_%a.out",
        "--cpus-per-task=8", "--mem=16G", "--time=2:00:00", "slurm/job.sbatch", "run",
    ]  # fmt: skip


def test_gpus_only_in_a_gpu_project(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    slurm_project(tools)
    assert main(tools, "--gpus", "2", "--", "run") == 2
    assert "unrecognized arguments: --gpus" in capsys.readouterr().err


def test_gpus_in_a_gpu_project(tools: ToolsProject) -> None:
    slurm_project(tools, gpu="13.0", __cuda_version="13.0")
    args = tools.module("cli").parse(["slurm-submit", "--gpus", "2", "--", "run"])
    assert "--gpus=2" in tools.module("slurm").sbatch_command(args)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "slurm-submit: no command given; e.g. `slurm-submit -- python -m PKG`"),
        (("--array", "-1", "--", "run"), "slurm-submit: --array -1: give a number of tasks"),
    ],
)
def test_usage_errors(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    slurm_project(tools)
    assert main(tools, *argv) == 2
    assert capsys.readouterr().err.startswith(message)


def test_dry_run_prints_the_command_and_the_script(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    slurm_project(tools)
    assert main(tools, "--dry-run", "--", "python", "-c", "print('a b')") == 0
    out = capsys.readouterr().out
    assert (
        out
        == f"$ sbatch --parsable slurm/job.sbatch python -c 'print('\"'\"'a b'\"'\"')'\n\n{SCRIPT}"
    )


def test_no_sbatch_is_one_line_with_the_fix(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    slurm_project(tools)
    monkeypatch.setenv("PATH", str(tools.root / "empty"))
    assert main(tools, "--", "run") == 1
    assert capsys.readouterr().err == (
        "ERROR: sbatch is not on PATH: this machine is not a Slurm login node; run this where "
        "`sbatch --version` answers (`--dry-run` prints the command)\n"
    )


def test_a_refusal_is_sbatchs_last_line(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    slurm_project(tools)
    body = 'echo "sbatch: error: first" >&2; echo "sbatch: error: Invalid partition" >&2; exit 1'
    stand_in_sbatch(tools, monkeypatch, body)
    assert main(tools, "--", "run") == 1
    assert capsys.readouterr().err == (
        "ERROR: sbatch refused the job: sbatch: error: Invalid partition; fix what it names "
        "(`sinfo` shows the partitions and limits here)\n"
    )


def test_a_submitted_job_names_its_id_and_folder(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The id of `--parsable` (`id;cluster` on a federation), submitted from the root."""
    slurm_project(tools)
    args = stand_in_sbatch(tools, monkeypatch, "echo '4242;local'")
    assert main(tools, "--array", "2", "--", "run", "it") == 0
    assert capsys.readouterr().out == (
        "slurm: submitted job 4242; report and output in runs/slurm-4242_<task>/\n"
    )
    assert args.read_text(encoding="utf-8").split()[-3:] == ["slurm/job.sbatch", "run", "it"]
    assert (tools.root / "runs").is_dir()


def test_a_missing_script_is_named(tools: ToolsProject, capsys: pytest.CaptureFixture[str]) -> None:
    tools.answer(cluster="slurm")
    assert main(tools, "--", "run") == 1
    assert capsys.readouterr().err == "ERROR: slurm/job.sbatch is missing; restore it from git\n"


def test_the_template_ships_the_script() -> None:
    """The job script is a file of the template, chosen by its name."""
    assert [path.parent.name for path in PROJECT_TEMPLATE.glob("slurm/*job.sbatch*")] == ["slurm"]
