{%- set fw = {"none": "numpy", "pytorch": "torch", "jax": "jax"}[cookiecutter.framework] -%}
"""`python -m {{ cookiecutter.package_name }}`: the environment in one line, then a seeded {{ fw }} run{% if cookiecutter.framework != "none" %}
on the best device there is (a GPU when one is visible, else the CPU){% endif %}."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

{% if cookiecutter.framework == "pytorch" -%}
import torch


def best_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def framework_summary() -> str:
    build = f"CUDA {torch.version.cuda} build" if torch.version.cuda else "CPU build"
    available = torch.cuda.is_available()
    return f"torch {metadata.version('torch')} ({build}) | CUDA available: {available}"


def seeded_example(seed: int = 0) -> float:
    """Mean of a seeded matrix product: the same number on every machine with the same locks."""
    generator = torch.Generator().manual_seed(seed)
    matrix = torch.randn(64, 64, generator=generator, dtype=torch.float64).to(best_device())
    return float((matrix @ matrix.T).trace() / 64)
{%- elif cookiecutter.framework == "jax" -%}
import jax


def best_device() -> str:
    return jax.default_backend()  # "gpu" when jax's CUDA plugin sees a GPU, else "cpu"


def framework_summary() -> str:
    return f"jax {metadata.version('jax')} | CUDA available: {best_device() == 'gpu'}"


def seeded_example(seed: int = 0) -> float:
    """Mean of a seeded matrix product: the same number on every machine with the same locks."""
    matrix = jax.random.normal(jax.random.key(seed), (64, 64))
    return float((matrix @ matrix.T).trace() / 64)
{%- else -%}
import numpy as np


def best_device() -> str:
    return "cpu"


def framework_summary() -> str:
    return f"numpy {metadata.version('numpy')}"


def seeded_example(seed: int = 0) -> float:
    """Mean of a seeded matrix product: the same number on every machine with the same locks."""
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((64, 64))
    return float((matrix @ matrix.T).trace() / 64)
{%- endif %}


def environment_summary() -> str:
    env = "venv" if sys.prefix != sys.base_prefix else "NOT ISOLATED"
    return (
        f"{{ cookiecutter.package_name }}: Python {platform.python_version()} on "
        f"{platform.system()} {platform.machine()} | {env} {sys.prefix} | {framework_summary()}"
    )


def main() -> int:
    print(environment_summary())
    print(f"seeded {{ fw }} example (seed 0, {best_device()}): {seeded_example():.6f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
