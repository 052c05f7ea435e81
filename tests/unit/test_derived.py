"""tools/derived.py in-process: the file written from the dependency intent.

A venv project's environment.yml from requirements.in and .python-version; a
conda project's requirements.in from environment.yml."""

from __future__ import annotations

from types import ModuleType

import pytest
import yaml

from conftest import ToolsProject

HEADER = (
    "# Written by `invoke lock` from requirements.in and .python-version: add\n"
    "# dependencies there, not here. For conda users: `conda env create -f\n"
    "# environment.yml`, or `conda-lock -f environment.yml` for a conda lock.\n"
)
PLATFORMS = "platforms:\n  - linux-64\n  - osx-64\n  - osx-arm64\n  - win-64\n"


def derived(tools: ToolsProject) -> ModuleType:
    return tools.module("derived")


def parsed(tools: ToolsProject, requirements: str, python: str = "3.11") -> dict:
    return yaml.safe_load(derived(tools).render(requirements, python))


def test_plain_requirements_give_the_exact_file(tools: ToolsProject) -> None:
    """Comments and option lines are dropped; Python is X.Y; pip comes with it."""
    requirements = "# runtime\n-c constraints.txt\nnumpy>=1.26  # arrays\n\npandas\n"
    assert derived(tools).render(requirements, "3.11.7") == (
        HEADER + "name: my-ml-project\nchannels:\n  - conda-forge\ndependencies:\n"
        "  - python=3.11\n  - pip\n  - numpy>=1.26\n  - pandas\n" + PLATFORMS
    )


def test_the_file_parses_to_the_same_specs(tools: ToolsProject) -> None:
    assert parsed(tools, "numpy>=1.26,<3\npandas\n") == {
        "name": "my-ml-project",
        "channels": ["conda-forge"],
        "dependencies": ["python=3.11", "pip", "numpy>=1.26,<3", "pandas"],
        "platforms": ["linux-64", "osx-64", "osx-arm64", "win-64"],
    }


@pytest.mark.parametrize(
    ("requirement", "spec"),
    [
        ("torch==2.5.*", "pytorch=2.5"),
        ("opencv-python-headless>=4.9", "py-opencv>=4.9"),
        ("tables", "pytables"),
        ("Scikit_Learn>=1.4", "scikit-learn>=1.4"),
        ("numpy >= 1.26, < 2", "numpy>=1.26,<2"),
        ("scipy!=1.11.0", "scipy!=1.11.0"),
    ],
)
def test_requirements_become_conda_specs(tools: ToolsProject, requirement: str, spec: str) -> None:
    """PyPI names that conda-forge spells otherwise are renamed; `==X.*` is conda's `=X`."""
    assert derived(tools).conda_spec(requirement) == spec
    assert parsed(tools, requirement + "\n")["dependencies"][2:] == [spec]


@pytest.mark.parametrize(
    "requirement",
    [
        "requests[socks]>=2.31",
        "pywin32>=306; sys_platform == 'win32'",
        "mypkg @ https://example.org/mypkg-1.0-py3-none-any.whl",
        "legacy===1.0",
    ],
)
def test_what_conda_cannot_say_goes_under_pip_unchanged(
    tools: ToolsProject, requirement: str
) -> None:
    """Extras, markers, URLs and `===` are pip's: the pip list reads back exactly."""
    assert derived(tools).conda_spec(requirement) is None
    dependencies = parsed(tools, f"numpy\n{requirement}\n")["dependencies"]
    assert dependencies == ["python=3.11", "pip", "numpy", {"pip": [requirement]}]


def test_the_pip_section_comes_after_the_conda_specs(tools: ToolsProject) -> None:
    text = derived(tools).render('rich[jupyter]\nnumpy\nfoo; os_name == "nt"\n', "3.12")
    assert (
        '  - numpy\n  - pip:\n      - rich[jupyter]\n      - "foo; os_name == \\"nt\\""\nplatforms:'
    ) in text
    assert yaml.safe_load(text)["dependencies"][-1] == {
        "pip": ["rich[jupyter]", 'foo; os_name == "nt"']
    }


def test_a_gpu_project_adds_the_nvidia_channel_and_cuda_version(tools: ToolsProject) -> None:
    tools.answer(gpu="12.4", __cuda_version="12.4")
    environment = parsed(tools, "torch==2.5.*\n", python="3.12.1")
    assert environment["channels"] == ["conda-forge", "nvidia"]
    assert environment["dependencies"] == ["python=3.12", "pip", "cuda-version=12.4", "pytorch=2.5"]


def test_write_uses_requirements_in_and_python_version_and_writes_once(
    tools: ToolsProject,
) -> None:
    """True when written, False when already so; differs() follows requirements.in."""
    tools.write("requirements.in", "numpy\n")
    tools.write(".python-version", "3.12.3\n")
    module = derived(tools)
    target = tools.root / "environment.yml"
    assert module.differs(target)
    assert module.write(target) is True
    assert yaml.safe_load(target.read_text(encoding="utf-8"))["dependencies"] == [
        "python=3.12", "pip", "numpy"
    ]  # fmt: skip
    assert module.write(target) is False
    assert not module.differs(target)
    tools.write("requirements.in", "numpy\npandas\n")
    assert module.differs(target)


def test_the_default_target_is_the_projects_environment_yml(tools: ToolsProject) -> None:
    tools.write("requirements.in", "numpy\n")
    assert derived(tools).write() is True
    assert (tools.root / "environment.yml").read_text(encoding="utf-8").startswith(HEADER)


def test_a_missing_requirements_in_is_a_tool_error(tools: ToolsProject) -> None:
    module = derived(tools)
    with pytest.raises(module.ToolError) as error:
        module.write(tools.root / "environment.yml")
    assert str(error.value) == "requirements.in is missing; restore it from git"
    assert not (tools.root / "environment.yml").exists()


def test_in_a_venv_project_environment_yml_is_derived_from_requirements_in(
    tools: ToolsProject,
) -> None:
    module = derived(tools)
    assert module.INTENT == tools.root.resolve() / "requirements.in"
    assert module.DERIVED == tools.root.resolve() / "environment.yml"


CONDA_HEADER = (
    "# Written by `invoke lock` from environment.yml: add dependencies there, not\n"
    "# here. The pip locks (requirements.txt), nox and CI install from this file.\n"
)


def conda_derived(tools: ToolsProject, environment: str) -> ModuleType:
    tools.answer(env_manager="conda")
    tools.write("environment.yml", environment)
    return derived(tools)


def test_a_conda_project_writes_requirements_in_from_environment_yml(
    tools: ToolsProject,
) -> None:
    """PyPI names and pip ranges; conda's own packages and `# conda-only` lines left out;
    the `pip:` section copied as it is."""
    module = conda_derived(
        tools,
        "name: demo\nchannels: [conda-forge]\ndependencies:\n"
        "  - python=3.11\n  - pip\n  - cuda-version=12.4\n"
        "  - conda-forge::numpy>=1.26,<3\n  - pytorch=2.5\n  - rich=13.7.1\n"
        "  - mkl>=2023  # conda-only\n  - pip:\n      - tiny-pkg[extra]==1.0; python_version>'3'\n",
    )
    assert (module.INTENT.name, module.DERIVED.name) == ("environment.yml", "requirements.in")
    assert module.wanted_text() == CONDA_HEADER + (
        "numpy<3,>=1.26\ntorch==2.5.*\nrich==13.7.1.*\ntiny-pkg[extra]==1.0; python_version>'3'\n"
    )


def test_a_conda_write_and_then_a_hand_edit(tools: ToolsProject) -> None:
    module = conda_derived(tools, "dependencies:\n  - python=3.11\n  - rich>=13\n")
    assert module.write() is True and module.write() is False
    assert (tools.root / "requirements.in").read_text(
        encoding="utf-8"
    ) == CONDA_HEADER + "rich>=13\n"
    assert module.differs() is False
    (tools.root / "requirements.in").write_text(CONDA_HEADER + "rich>=14\n", encoding="utf-8")
    assert module.differs() is True


def test_a_conda_spec_that_cannot_be_read_names_its_line(tools: ToolsProject) -> None:
    module = conda_derived(tools, "dependencies:\n  - python=3.11\n  - '>=1.2'\n")
    with pytest.raises(tools.module("project").ToolError) as error:
        module.wanted_text()
    assert str(error.value).startswith("environment.yml:3: cannot read `>=1.2` as a conda spec")


@pytest.mark.parametrize(
    ("conda", "pip"),
    [(">=1.2", ">=1.2"), ("=1.2", "==1.2.*"), ("1.2", "==1.2"), ("1.2.*", "==1.2.*"),
     ("<2,>=1", "<2,>=1"), (">=1.2 py311_0", ">=1.2"), ("", "")],
)  # fmt: skip
def test_conda_version_specs_in_pip_terms(tools: ToolsProject, conda: str, pip: str) -> None:
    assert derived(tools).pip_range(conda) == pip
