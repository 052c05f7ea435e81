"""Validate the free-text answers before any file is written.

A bad answer prints ONE line, `ERROR: <field> '<value>' <what is wrong>; <fix>`,
and exits 1; cookiecutter then removes the half-made project folder.
Plain `if` checks only: `assert` disappears under `python -O`.
"""

from __future__ import annotations

import json
import keyword
import re
import sys

# Import names of the generated project's own dependencies and files: a
# package of the same name under src/ would hide them.
PROJECT_MODULES = {
    "numpy", "rich", "pytest", "nox", "invoke", "ruff", "hatchling", "editables", "uv_build",
    "pre_commit", "piptools", "uv", "tasks", "noxfile", "tools", "packaging",
}  # fmt: skip
SLUG_RE = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z0-9-]{2,}$")
PYTHON_RE = re.compile(r"^\d+\.\d+(?:\.\d+)?$")
CUDA_RE = re.compile(r"^\d+\.\d+$")

# Raw string: answers may contain backslashes; JSON literals need json.loads.
ANSWERS: dict = json.loads(r"""{{ cookiecutter | jsonify }}""")
# The supported versions live in cookiecutter.json, next to the options.
SUPPORTED_PYTHONS: list[str] = ANSWERS["__supported_pythons"]
SUPPORTED_CUDA: list[str] = ANSWERS["__supported_cuda"]


class AnswerError(Exception):
    """An answer that cannot produce a working project."""

    def __init__(self, field: str, problem: str, fix: str) -> None:
        value = ANSWERS.get(field, "")
        super().__init__(f"ERROR: {field} '{value}' {problem}; {fix}")


def check_project_name(name: str) -> None:
    if not name.strip():
        raise AnswerError("project_name", "is empty", "give the project a name")


def check_slug(slug: str) -> None:
    if not SLUG_RE.match(slug):
        raise AnswerError(
            "project_slug",
            "is not a valid folder/distribution name",
            "use lowercase letters and digits, joined by single dashes or underscores, "
            "starting with a letter (e.g. my-project)",
        )


def check_package(name: str) -> None:
    fix = "choose a lowercase identifier such as my_project"
    if not name.isidentifier() or name != name.lower():
        raise AnswerError("package_name", "is not a lowercase Python identifier", fix)
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise AnswerError("package_name", "is a Python keyword", fix)
    # `test` is the CPython test suite: not in stdlib_module_names, still shadowed.
    if name in sys.stdlib_module_names or name in {"test", "tests", "site"}:
        raise AnswerError("package_name", "shadows a standard-library module", f"{fix} (prefix it)")
    if name in PROJECT_MODULES:
        raise AnswerError(
            "package_name", "shadows a module the project depends on", f"{fix} (prefix it)"
        )


def check_email(email: str) -> None:
    if not EMAIL_RE.match(email):
        raise AnswerError(
            "author_email", "is not an e-mail address", "use the form name@example.org"
        )


def check_python(version: str) -> None:
    if not PYTHON_RE.match(version):
        raise AnswerError(
            "python_version", "is not a version like 3.11 or 3.11.9", "give X.Y or X.Y.Z"
        )
    minor = ".".join(version.split(".")[:2])
    if minor not in SUPPORTED_PYTHONS:
        raise AnswerError(
            "python_version",
            "is not supported",
            f"choose one of {', '.join(SUPPORTED_PYTHONS)}",
        )


def check_cuda(version: str) -> None:
    if not CUDA_RE.match(version):
        raise AnswerError("cuda_version", "is not a version like 12.4", "give X.Y")
    if version not in SUPPORTED_CUDA:
        raise AnswerError(
            "cuda_version", "is not supported", f"choose one of {', '.join(SUPPORTED_CUDA)}"
        )


def check_combinations(answers: dict[str, str]) -> None:
    # The CUDA runtime must come from somewhere: the gpu image stage or conda's
    # nvidia channel. A bare venv cannot provide it.
    if answers["gpu"] == "yes" and answers["docker"] == "no" and answers["env_manager"] != "conda":
        raise AnswerError(
            "gpu",
            "needs a CUDA runtime, but docker=no and env_manager=venv",
            "set docker=yes or env_manager=conda, or gpu=no",
        )


def main() -> int:
    try:
        check_project_name(ANSWERS["project_name"])
        check_slug(ANSWERS["project_slug"])
        check_package(ANSWERS["package_name"])
        check_email(ANSWERS["author_email"])
        check_python(ANSWERS["python_version"])
        check_cuda(ANSWERS["cuda_version"])
        check_combinations(ANSWERS)
    except AnswerError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
