"""Fast tier: bad answers stop the bake with one ERROR line and leave nothing behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException

from conftest import TEMPLATE, bake_into

# answer overrides -> the start of the ERROR line the pre-gen hook prints
UNSUPPORTED = {
    "slug-space": ({"project_slug": "my project"}, "ERROR: project_slug 'my project'"),
    "slug-upper": ({"project_slug": "MyProject"}, "ERROR: project_slug 'MyProject'"),
    "slug-trailing-newline": ({"project_slug": "my-project\n"},
                              "ERROR: project_slug 'my-project\\n'"),
    "slug-windows-con": ({"project_slug": "con", "package_name": "con_tools"},
                         "ERROR: project_slug 'con' is a name Windows cannot create"),
    "slug-windows-lpt1": ({"project_slug": "lpt1", "package_name": "lpt_tools"},
                          "ERROR: project_slug 'lpt1' is a name Windows cannot create"),
    "slug-too-long": ({"project_slug": "a" * 300, "package_name": "long_one"},
                      "ERROR: project_slug '" + "a" * 300 + "' is longer than"),
    "slug-dependency": ({"project_slug": "numpy", "package_name": "my_numpy"},
                        "ERROR: project_slug 'numpy' is the name of a dependency"),
    "package-dash": ({"package_name": "my-pkg"}, "ERROR: package_name 'my-pkg'"),
    "package-keyword": ({"package_name": "class"}, "ERROR: package_name 'class' is a"),
    "package-stdlib-json": ({"package_name": "json"}, "ERROR: package_name 'json' shadows"),
    "package-stdlib-test": ({"package_name": "test"}, "ERROR: package_name 'test' shadows"),
    "package-stdlib-typing": ({"package_name": "typing"}, "ERROR: package_name 'typing' shadows"),
    "package-dependency": ({"package_name": "numpy"}, "ERROR: package_name 'numpy' shadows"),
    "package-locked-dependency": ({"package_name": "yaml"}, "ERROR: package_name 'yaml' shadows"),
    "package-nfkc": ({"package_name": "\ufb01le_tools"},
                     "ERROR: package_name '\ufb01le_tools' holds non-ASCII"),
    "package-trailing-newline": ({"package_name": "my_pkg\n"},
                                 "ERROR: package_name 'my_pkg\\n'"),
    "name-newline": ({"project_name": "Two\nLines", "project_slug": "two-lines"},
                     "ERROR: project_name 'Two\\nLines' holds a line break"),
    "name-trailing-newline": ({"project_name": "Name\n", "project_slug": "name"},
                              "ERROR: project_name 'Name\\n' holds a line break"),
    "name-empty": ({"project_name": " ", "project_slug": "x"}, "ERROR: project_name ' ' is empty"),
    "description-newline": ({"description": "one\ntwo"}, "ERROR: description 'one\\ntwo' holds"),
    "author-control": ({"author_name": "Ada\x00"}, "ERROR: author_name 'Ada\\x00' holds"),
    "email-malformed": ({"author_email": "me-at-example"}, "ERROR: author_email 'me-at-example'"),
    "email-trailing-newline": ({"author_email": "me@example.org\n"}, "ERROR: author_email"),
    "python-malformed": ({"python_version": "three"}, "ERROR: python_version 'three'"),
    "python-trailing-newline": ({"python_version": "3.11\n"}, "ERROR: python_version '3.11\\n'"),
    "python-too-old": ({"python_version": "3.9"}, "ERROR: python_version '3.9' is not supported"),
    "python-two": ({"python_version": "2.7"}, "ERROR: python_version '2.7' is not supported"),
    "pytorch-cuda-11.8": ({"framework": "pytorch", "gpu": "11.8", "lock_tool": "uv"},
                          "ERROR: gpu '11.8' is not a CUDA version pytorch ships wheels for"),
    "pytorch-cuda-12.4": ({"framework": "pytorch", "gpu": "12.4", "lock_tool": "uv"},
                          "ERROR: gpu '12.4' is not a CUDA version pytorch ships wheels for"),
    "pytorch-pip-tools": ({"framework": "pytorch", "lock_tool": "pip-tools"},
                          "ERROR: lock_tool 'pip-tools' cannot keep PyTorch's wheel index to the "
                          "torch packages (pip-compile takes any package from any index); "
                          "answer lock_tool=uv with framework=pytorch"),
    "jax-cuda-11.8": ({"framework": "jax", "gpu": "11.8"},
                      "ERROR: gpu '11.8' is not a CUDA version jax ships wheels for"),
    "kubernetes-no-docker": ({"cluster": "kubernetes", "docker": "no"},
                             "ERROR: cluster 'kubernetes' runs the project's image, and "
                             "docker=no builds none; answer docker=yes, or cluster=slurm or none"),
    "all-clusters-no-docker": ({"cluster": "all", "docker": "no"},
                               "ERROR: cluster 'all' runs the project's image"),
}  # fmt: skip
BAD_CHOICES = {
    "lock-tool": {"lock_tool": "poetry"},
    "env-manager": {"env_manager": "pixi"},
    "gpu-true": {"gpu": "true"},
    "framework-tensorflow": {"framework": "tensorflow"},
    "cuda-unsupported": {"gpu": "10.2"},
    "cluster-lsf": {"cluster": "lsf"},
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


def test_a_yes_no_answer_must_be_yes_or_no(tmp_path: Path) -> None:
    """docker and exercises are booleans: `maybe` is refused, naming the option."""
    with pytest.raises(ValueError, match="docker"):
        bake_into(tmp_path, docker="maybe")
    assert list(tmp_path.iterdir()) == []


def test_every_bad_answer_is_reported_at_once(tmp_path: Path, capfd) -> None:
    """Three bad answers: three ERROR lines in one run, not one per attempt."""
    with pytest.raises(FailedHookException):
        bake_into(tmp_path, package_name="json", author_email="nobody", python_version="3.9")
    errors = [line for line in capfd.readouterr().err.splitlines()
              if line.startswith("ERROR: ") and "Stopping generation" not in line]  # fmt: skip
    assert [line.split()[1] for line in errors] == ["author_email", "package_name",
                                                     "python_version"]  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_each_cuda_label_names_the_frameworks_that_ship_it() -> None:
    """The gpu prompt offers every CUDA version; one some framework has no wheels for says
    which frameworks it serves, so a person does not learn it from the hook's refusal."""
    template = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
    labels, builds = template["__prompts__"]["gpu"], template["__cuda_builds"]
    names = {framework: template["__prompts__"]["framework"][framework] for framework in builds}
    for version in template["gpu"][2:]:
        serving = [names[framework] for framework in builds if version in builds[framework]]
        if len(serving) == len(builds):
            assert labels[version] == f"CUDA {version}"
        else:
            assert labels[version].startswith(f"CUDA {version} ("), version
            assert all((name in labels[version]) == (name in serving) for name in names.values())
