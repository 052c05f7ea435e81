"""Fast tier: bad answers stop the bake with one ERROR line and leave nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException

from conftest import bake_into

# answer overrides -> the start of the ERROR line the pre-gen hook prints
UNSUPPORTED = {
    "slug-space": ({"project_slug": "my project"}, "ERROR: project_slug 'my project'"),
    "slug-upper": ({"project_slug": "MyProject"}, "ERROR: project_slug 'MyProject'"),
    "slug-leading-digit": ({"project_slug": "1project"}, "ERROR: project_slug '1project'"),
    "slug-empty": ({"project_slug": ""}, "ERROR: project_slug ''"),
    "package-dash": ({"package_name": "my-pkg"}, "ERROR: package_name 'my-pkg'"),
    "package-keyword": ({"package_name": "class"}, "ERROR: package_name 'class' is a"),
    "package-stdlib-json": ({"package_name": "json"}, "ERROR: package_name 'json' shadows"),
    "package-stdlib-test": ({"package_name": "test"}, "ERROR: package_name 'test' shadows"),
    "package-stdlib-typing": ({"package_name": "typing"}, "ERROR: package_name 'typing' shadows"),
    "package-dependency": (
        {"package_name": "numpy"},
        "ERROR: package_name 'numpy' shadows a module",
    ),
    "email-malformed": ({"author_email": "me-at-example"}, "ERROR: author_email 'me-at-example'"),
    "python-malformed": ({"python_version": "three"}, "ERROR: python_version 'three'"),
    "python-too-old": ({"python_version": "3.9"}, "ERROR: python_version '3.9' is not supported"),
    "python-two": ({"python_version": "2.7"}, "ERROR: python_version '2.7' is not supported"),
    "cuda-malformed": ({"cuda_version": "12"}, "ERROR: cuda_version '12'"),
    "cuda-unsupported": ({"cuda_version": "10.2"}, "ERROR: cuda_version '10.2' is not supported"),
    "gpu-without-runtime": (
        {"gpu": "yes", "docker": "no", "env_manager": "venv"},
        "ERROR: gpu 'yes' needs a CUDA runtime",
    ),
}
BAD_CHOICES = {
    "lock-tool": {"lock_tool": "poetry"},
    "env-manager": {"env_manager": "pixi"},
    "docker": {"docker": "maybe"},
}


@pytest.mark.parametrize(("overrides", "line"), UNSUPPORTED.values(), ids=UNSUPPORTED.keys())
def test_bad_answer_stops_the_bake(tmp_path: Path, capfd, overrides, line) -> None:
    """The pre-gen hook prints one ERROR line with a fix, and no folder is left."""
    with pytest.raises(FailedHookException):
        bake_into(tmp_path, **overrides)
    errors = [text for text in capfd.readouterr().err.splitlines() if text.startswith("ERROR: ")]
    hook_lines = [text for text in errors if "Stopping generation" not in text]
    assert len(hook_lines) == 1, errors
    assert hook_lines[0].startswith(line)
    assert "; " in hook_lines[0], "the line must say how to fix it"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("overrides", BAD_CHOICES.values(), ids=BAD_CHOICES.keys())
def test_choice_outside_list_is_refused(tmp_path: Path, overrides) -> None:
    """cookiecutter refuses an answer outside a choice list, naming the choices, before any hook."""
    with pytest.raises(ValueError) as refused:
        bake_into(tmp_path, **overrides)
    ((_, value),) = overrides.items()
    assert value in str(refused.value)
    assert list(tmp_path.iterdir()) == []
