"""tools/env_state.py in-process: what check-env's checks share, on small inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ToolsProject


def test_problem_reads_as_one_line_with_its_fix(tools: ToolsProject) -> None:
    """`<subject>: expected <x>, found <y>; fix: <how>`."""
    problem = tools.module("results").Problem(
        "numpy", "1.26.4 (requirements.txt)", "1.25.0", "run it"
    )
    assert str(problem) == "numpy: expected 1.26.4 (requirements.txt), found 1.25.0; fix: run it"


def test_installed_versions_are_canonical_and_the_first_copy_wins(
    tools: ToolsProject, tmp_path: Path
) -> None:
    """Names are PEP 503 normalised; of two copies the first on the path counts."""
    env_state, dist_files = tools.module("env_state"), tools.module("dist_files")
    dists = [
        dist_files.Dist(tmp_path / "a", "Foo_Bar", "2.0"),
        dist_files.Dist(tmp_path / "b", "foo.bar", "1.0"),
        dist_files.Dist(tmp_path / "c", "Rich", "13.7.1"),
        dist_files.Dist(tmp_path / "d", "", "9"),
    ]
    assert env_state.installed_versions(dists) == {"foo-bar": "2.0", "rich": "13.7.1"}


def test_belongs_to_project_inside_root_or_declared(
    tools: ToolsProject, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An env inside the project belongs to it; another one only when $REPRO_PROJECT_ENV
    names it."""
    env_state = tools.module("env_state")
    outside = tmp_path_factory.mktemp("elsewhere") / "env"
    outside.mkdir()
    monkeypatch.delenv("REPRO_PROJECT_ENV", raising=False)
    assert env_state.belongs_to_project(tools.root / ".venv")
    assert not env_state.belongs_to_project(outside)
    monkeypatch.setenv("REPRO_PROJECT_ENV", str(outside))
    assert env_state.belongs_to_project(outside)


def test_foreign_env_is_a_warning_naming_the_prefix(tools: ToolsProject, tmp_path: Path) -> None:
    env_state = tools.module("env_state")
    result = env_state.foreign_env(tmp_path)
    assert (result.name, result.status) == ("isolated", "warn")
    (problem,) = result.problems
    assert problem.subject == str(tmp_path)
    assert problem.found == "another project's environment"


def test_marker_applies_evaluates_markers_and_extras(tools: ToolsProject) -> None:
    """No marker applies; a marker is evaluated for this interpreter, with `extra`."""
    env_state = tools.module("env_state")
    assert env_state.marker_applies("") is True
    assert env_state.marker_applies('python_version >= "3"') is True
    assert env_state.marker_applies('python_version < "3"') is False
    assert env_state.marker_applies('extra == "ui"', extra="ui") is True
    assert env_state.marker_applies('extra == "ui"') is False


def test_requirement_met_compares_with_the_installed_version(tools: ToolsProject) -> None:
    """(normalised requirement, installed version, satisfied); None when its marker
    excludes it here."""
    env_state = tools.module("env_state")
    installed = {"numpy": "1.25.0", "rich": "13.7.1"}
    assert env_state.requirement_met("numpy >= 1.26", installed) == ("numpy>=1.26", "1.25.0", False)
    assert env_state.requirement_met("Rich>=13", installed) == ("Rich>=13", "13.7.1", True)
    assert env_state.requirement_met("absent-pkg", installed) == ("absent-pkg", None, False)
    assert env_state.requirement_met('numpy ; python_version < "3"', installed) is None


def test_packaging_memo_keeps_answers_for_the_same_interpreter(
    tools: ToolsProject, tmp_path: Path
) -> None:
    """Saved answers are read back by a new memo; a file of another interpreter is ignored."""
    env_state = tools.module("env_state")
    path = tmp_path / "cache.json"
    memo = env_state.PackagingMemo(path)
    assert memo.marker('python_version < "3"', "") is False
    assert memo.requirement("Numpy_X>=1") == ["numpy-x", "Numpy_X>=1", True]
    memo.save()
    again = env_state.PackagingMemo(path)
    assert again.markers == {'python_version < "3"\0': False}
    assert again.requirements == {"Numpy_X>=1": ["numpy-x", "Numpy_X>=1", True]}
    assert not again.changed
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "identity": "another python"}), encoding="utf-8")
    assert env_state.PackagingMemo(path).markers == {}


def test_packaging_memo_save_without_changes_writes_nothing(
    tools: ToolsProject, tmp_path: Path
) -> None:
    env_state = tools.module("env_state")
    path = tmp_path / "cache.json"
    env_state.PackagingMemo(path).save()
    assert not path.exists()


def test_context_pins_follow_markers_and_the_first_lock(
    tools: ToolsProject, tmp_path: Path
) -> None:
    """Only exact pins whose marker holds here; a name pinned in two locks keeps the first."""
    env_state = tools.module("env_state")
    runtime = tools.write(
        "requirements.txt",
        "numpy==1.26.4 \\\n    --hash=sha256:aaa\n"
        'old-only==1.0 ; python_version < "3"\n'
        "unpinned>=2\n",
    )
    dev = tools.write("requirements-dev.txt", "NumPy==2.0.0\npytest==8.3.3  # via -r x\n")
    ctx = env_state.Context([runtime, dev], strict=False)
    assert ctx.pins == {
        "numpy": ("1.26.4", "requirements.txt"),
        "pytest": ("8.3.3", "requirements-dev.txt"),
    }


def test_default_locks_are_the_pip_locks_or_the_dev_lock_in_conda(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without $REPRO_LOCKS: both pip locks in a venv, only the dev lock in a conda env."""
    env_state = tools.module("env_state")
    monkeypatch.delenv("REPRO_LOCKS", raising=False)
    root = tools.root
    assert env_state.default_locks(False) == [
        root / "requirements.txt",
        root / "requirements-dev.txt",
    ]
    assert env_state.default_locks(True) == [root / "requirements-dev.txt"]


def test_default_locks_follow_repro_locks(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An image's $REPRO_LOCKS (space-separated) wins, in a venv and in conda alike."""
    env_state = tools.module("env_state")
    monkeypatch.setenv("REPRO_LOCKS", " requirements.txt  requirements-gpu.txt ")
    expected = [tools.root / "requirements.txt", tools.root / "requirements-gpu.txt"]
    assert env_state.default_locks(False) == expected
    assert env_state.default_locks(True) == expected
    monkeypatch.setenv("REPRO_LOCKS", "   ")
    assert len(env_state.default_locks(False)) == 2


def test_default_locks_of_an_env_built_as_the_gpu_env(
    tools: ToolsProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make env GPU=1` left its locks in the env's stamp: check-env checks against those."""
    tools.answer(gpu="13.0", __cuda_version="13.0")
    env_state = tools.module("env_state")
    monkeypatch.delenv("REPRO_LOCKS", raising=False)
    prefix = tools.root / ".venv"
    prefix.mkdir()
    names = ["requirements.txt", "requirements-gpu.txt", "requirements-dev.txt"]
    (prefix / tools.module("env_swap").STAMP).write_text(json.dumps({"lock_files": names}))
    monkeypatch.setattr(env_state.sys, "prefix", str(prefix))
    assert env_state.default_locks(False) == [tools.root / name for name in names]
