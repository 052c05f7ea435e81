"""Validate the answers before any file is written.

Each bad answer prints ONE line, `ERROR: <field> '<value>' <what is wrong>;
<fix>`; every bad answer is reported, then the hook exits 1 and cookiecutter
removes the half-made project folder. Plain `if` checks only: `assert`
disappears under `python -O`. Patterns are matched whole (`fullmatch`): `$`
would let a trailing newline through.
"""

from __future__ import annotations

import json
import keyword
import re
import sys

# Import and distribution names of the generated project's own dependencies
# (everything in a default bake's locks) and files: a package of the same name
# under src/ would hide them. tests/test_make_env.py checks it covers the locks.
PROJECT_MODULES = {
    "argcomplete", "attr", "attrs", "build", "cfgv", "click", "colorama", "colorlog",
    "dependency_groups", "distlib", "editables", "filelock", "hatchling", "humanize",
    "identify", "iniconfig", "invoke", "markdown_it", "mdurl", "nodeenv", "nox", "numpy",
    "packaging", "pathspec", "pip", "piptools", "platformdirs", "pluggy", "pre_commit",
    "pre_commit_hooks", "py", "pygments", "pyproject_hooks", "pytest", "python_discovery",
    "rich", "ruamel", "ruff", "setuptools", "tomli", "tomlkit", "trove_classifiers", "uv",
    "uv_build", "virtualenv", "wheel", "yaml", "pyyaml", "markdown_it_py", "pip_tools",
    "tasks", "noxfile", "tools", "_pytest", "pkg_resources", "_distutils_hack", "_yaml",
    "ruamel_yaml", "zizmor", "mypy", "mypyc", "mypy_extensions", "librt", "typing_extensions",
    "ast_serialize",
}  # fmt: skip
# Names Windows cannot give a file or folder, whatever the extension.
WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {
    f"{d}{n}" for d in ("com", "lpt") for n in "123456789"
}
SLUG_RE = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
PACKAGE_RE = re.compile(r"[a-z_][a-z0-9_]*")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z0-9-]{2,}")
PYTHON_RE = re.compile(r"\d+\.\d+(?:\.\d+)?")
MAX_SLUG = 64  # a folder name, an image name and a distribution name; all hold 64
MAX_TEXT = 500

# Raw string: answers may contain backslashes; JSON literals need json.loads.
ANSWERS: dict = json.loads(r"""{{ cookiecutter | jsonify }}""")
# The supported versions live in cookiecutter.json, next to the options.
SUPPORTED_PYTHONS: list[str] = ANSWERS["__supported_pythons"]
FREE_TEXT = ("project_name", "description", "author_name", "author_email")


def shown(value: object) -> str:
    """The answer as one printable line: control characters appear as escapes."""
    text = str(value)
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def error(field: str, problem: str, fix: str) -> str:
    return f"ERROR: {field} '{shown(ANSWERS.get(field, ''))}' {problem}; {fix}"


def check_text(field: str, value: str) -> list[str]:
    """Free text: any character a line of text can hold (quotes, braces, colons, non-ASCII)."""
    if not value.strip():
        return [error(field, "is empty", "give it a value")]
    if not value.isprintable():
        return [error(field, "holds a line break or control character", "write it on one line")]
    if value != value.strip():
        return [error(field, "starts or ends with spaces", "remove them")]
    if len(value) > MAX_TEXT:
        return [error(field, f"is longer than {MAX_TEXT} characters", "shorten it")]
    return []


def check_slug(slug: str) -> list[str]:
    fix = "use lowercase letters and digits joined by single dashes, e.g. my-project"
    if not slug:
        return [error("project_slug", "is empty", f"the project name gave no letters; {fix}")]
    if not SLUG_RE.fullmatch(slug):
        return [error("project_slug", "is not a valid folder/distribution name", fix)]
    if len(slug) > MAX_SLUG:
        return [error("project_slug", f"is longer than {MAX_SLUG} characters", "shorten it")]
    if slug.split(".")[0] in WINDOWS_RESERVED:
        return [error("project_slug", "is a name Windows cannot create", "add a word to it")]
    if slug.replace("-", "_") in PROJECT_MODULES:
        return [error("project_slug", "is the name of a dependency", "add a word to it")]
    return []


def check_package(name: str) -> list[str]:
    fix = "choose a lowercase identifier such as my_project"
    if not name.isascii():
        # Python folds identifiers with NFKC on import (`ﬁ` -> `fi`): the folder would not match.
        return [error("package_name", "holds non-ASCII letters", fix)]
    if not PACKAGE_RE.fullmatch(name):
        return [error("package_name", "is not a lowercase Python identifier", fix)]
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return [error("package_name", "is a Python keyword", fix)]
    # `test` is the CPython test suite: not in stdlib_module_names, still shadowed.
    if name in sys.stdlib_module_names or name in {"test", "tests", "site"}:
        return [error("package_name", "shadows a standard-library module", f"{fix} (prefix it)")]
    if name in PROJECT_MODULES:
        return [
            error("package_name", "shadows a module the project depends on", f"{fix} (prefix it)")
        ]
    if name in WINDOWS_RESERVED:
        return [error("package_name", "is a name Windows cannot create", fix)]
    if len(name) > MAX_SLUG:
        return [error("package_name", f"is longer than {MAX_SLUG} characters", "shorten it")]
    return []


def check_email(email: str) -> list[str]:
    if not EMAIL_RE.fullmatch(email):
        return [error("author_email", "is not an e-mail address", "use the form name@example.org")]
    return []


def check_python(version: str) -> list[str]:
    if not PYTHON_RE.fullmatch(version):
        return [
            error("python_version", "is not a version like 3.11 or 3.11.9", "give X.Y or X.Y.Z")
        ]
    minor = ".".join(version.split(".")[:2])
    if minor not in SUPPORTED_PYTHONS:
        choices = ", ".join(SUPPORTED_PYTHONS)
        return [error("python_version", "is not supported", f"choose one of {choices}")]
    return []


def check_combinations(answers: dict) -> list[str]:
    found = []
    # Only CUDA versions the framework ships wheels for can be locked (without a
    # framework, every offered CUDA runtime can).
    builds = answers["__cuda_builds"].get(answers["framework"])
    if builds and answers["gpu"] != "no" and answers["__cuda_version"] not in builds:
        found.append(
            error(
                "gpu",
                f"is not a CUDA version {answers['framework']} ships wheels for",
                f"choose one of {', '.join(builds)}, or gpu=no",
            )
        )
    # pip-compile can only add PyTorch's index for every package: any package could then
    # come from it (dependency confusion). uv keeps that index to the torch family.
    if answers["framework"] == "pytorch" and answers["lock_tool"] == "pip-tools":
        found.append(
            error(
                "lock_tool",
                "cannot keep PyTorch's wheel index to the torch packages (pip-compile "
                "takes any package from any index)",
                "answer lock_tool=uv with framework=pytorch",
            )
        )
    # A Kubernetes Job runs the project's image: there is none without docker.
    if answers["cluster"] in ("kubernetes", "all") and not answers["docker"]:
        found.append(
            error(
                "cluster",
                "runs the project's image, and docker=no builds none",
                "answer docker=yes, or cluster=slurm or none",
            )
        )
    return found


def problems(answers: dict) -> list[str]:
    found = [line for field in FREE_TEXT for line in check_text(field, answers[field])]
    if not any(line.startswith("ERROR: author_email ") for line in found):
        found += check_email(answers["author_email"])
    found += check_slug(answers["project_slug"])
    found += check_package(answers["package_name"])
    found += check_python(answers["python_version"])
    return found + check_combinations(answers)


def main() -> int:
    found = problems(ANSWERS)
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
