"""Smoke tests of the example package."""

import subprocess
import sys

from {{ cookiecutter.package_name }}.__main__ import environment_summary, seeded_example


def test_seeded_example_is_repeatable() -> None:
    """The seeded example gives the same number twice."""
    assert seeded_example(0) == seeded_example(0)


{% set fw = {"none": "numpy", "pytorch": "torch", "jax": "jax"}[cookiecutter.framework] -%}
def test_summary_names_python_and_{{ fw }}() -> None:
    """The summary line names the interpreter version and {{ fw }}{% if cookiecutter.framework != "none" %}, and whether CUDA is available{% endif %}."""
    summary = environment_summary()
    assert sys.version.split()[0] in summary
    assert "{{ fw }} " in summary
{%- if cookiecutter.framework != "none" %}
    assert "CUDA available: " in summary
{%- endif %}


def test_module_runs() -> None:
    """`python -m {{ cookiecutter.package_name }}` prints the summary and the example."""
    run = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "seeded {{ fw }} example" in run.stdout
