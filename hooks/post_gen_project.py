"""Real actions after the files are written: drop unchosen tools, record answers, git init."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ANSWERS: dict = json.loads(r"""{{ cookiecutter | jsonify }}""")

# Keys cookiecutter fills with paths of the machine that baked the project:
# recording them would leak those paths into every generated repository.
MACHINE_KEYS = {"_output_dir", "_repo_dir", "_checkout", "_extensions", "__prompts__"}
REMOTE_PREFIXES = ("gh:", "gl:", "bb:", "https://", "http://", "git@", "git+", "ssh://")


def template_source() -> tuple[str, str | None]:
    """(where the template comes from, its commit) for `cruft update`.

    A git checkout gives both: its `origin` remote when it has one, else its
    own folder (a person's local template). Anything else (a zip, a plain
    folder) records no source; updating needs a git template.
    """
    repo_dir = ANSWERS.get("_repo_dir") or ""
    template = str(ANSWERS.get("_template", ""))
    commit = git_output(["rev-parse", "HEAD"], repo_dir) if repo_dir else None
    if commit is None:
        return (template if template.startswith(REMOTE_PREFIXES) else "", None)
    origin = git_output(["remote", "get-url", "origin"], repo_dir)
    return (origin or str(Path(repo_dir).resolve()), commit)


def git_output(arguments: list[str], cwd: str | Path) -> str | None:
    if shutil.which("git") is None:
        return None
    result = subprocess.run(["git", *arguments], cwd=cwd, capture_output=True, text=True)
    return result.stdout.strip() or None if result.returncode == 0 else None


def record_answers(project: Path) -> None:
    """Write .cruft.json: the answers, and the template and commit they were baked from,
    in the form `cruft update` reads, so that template fixes can reach the project."""
    answers = {key: value for key, value in ANSWERS.items() if key not in MACHINE_KEYS}
    template, commit = template_source()
    answers["_template"] = template
    record = {
        "template": template,
        "commit": commit,
        "checkout": None,
        "context": {"cookiecutter": answers},
        "directory": None,
    }
    text = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
    (project / ".cruft.json").write_text(text, encoding="utf-8", newline="\n")


def unchosen_modules() -> list[str]:
    """The modules of the tools package that these answers do not need.

    The package ships whole in the template (so its tests import it as it is),
    and a project keeps only what its answers chose.
    """
    conda = ANSWERS["env_manager"] == "conda"
    needed = {
        "conda_meta.py": conda,
        "conda_env.py": conda,
        "check_conda.py": conda,
        "container.py": bool(ANSWERS["docker"]),
        "check_exercises.py": bool(ANSWERS["exercises"]),
        "slurm.py": ANSWERS["cluster"] in ("slurm", "all"),
        "k8s.py": ANSWERS["cluster"] in ("kubernetes", "all"),
    }
    return [f"tools/{name}" for name, keep in needed.items() if not keep]


def remove_unchosen(project: Path) -> None:
    for name in unchosen_modules():
        (project / name).unlink()


def write_tables(project: Path) -> None:
    """The README's table of commands and the manual's table of pin checks, written from
    the baked CLI itself (its verbs, their help, their options), never kept by hand."""
    sys.path.insert(0, str(project))
    try:
        from tools import project as facts

        # The answers are recorded after this (and by cruft itself in its renders).
        facts.answers = lambda: ANSWERS
        from tools import cli, lint

        fill(project / "README.md", "@@VERBS_TABLE@@", verbs_table(project, cli))
        manual = project / "docs" / "environment.md"
        fill(manual, "@@COMMANDS_TABLE@@", verbs_table(project, cli, with_fails=True))
        fill(manual, "@@PIN_CHECKS_TABLE@@", pin_table(lint))
    finally:
        sys.path.remove(str(project))
        for name in [name for name in sys.modules if name.split(".")[0] == "tools"]:
            del sys.modules[name]


def fill(path: Path, placeholder: str, table: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(placeholder, table), encoding="utf-8", newline="\n")


def verbs_table(project: Path, cli, with_fails: bool = False) -> str:
    """One row per verb, with the options its invoke task takes (and, for the manual, when
    it fails); then the make targets."""
    rows = ["| command | does | exits 1 when |", "|---|---|---|"] if with_fails else []
    rows = rows or ["| command | does |", "|---|---|"]
    for verb in cli.verbs():
        options = [
            f"`{action.option_strings[0] if action.option_strings else '--' + action.dest}`"
            for action in cli.verb_parser(verb)._actions
            if action.dest != "help"
        ]
        does = "; ".join([verb.help, *([", ".join(options)] if options else [])])
        fails = f" {verb.fails} |" if with_fails else ""
        rows.append(f"| `invoke {verb.name}` | {does} |{fails}")
    makefile = (project / "Makefile").read_text(encoding="utf-8")
    targets = [f"`make {name}`" for name in re.findall(r"^([a-z][\w-]*):", makefile, re.M)]
    rows += ["", f"{', '.join(targets)}: the same, with no options (`make env FORCE=1`)."]
    return "\n".join(rows)


def pin_table(lint) -> str:
    rows = ["| check | what it holds to |", "|---|---|"]
    for name, module in lint.pin_checks().items():
        docstring = importlib.import_module(f"tools.{module}").__doc__
        holds = docstring.splitlines()[0].split(": ", 1)[1].rstrip(".")  # "<name>: <what>."
        rows.append(f"| `python -m tools lint --only {name}` | {holds} |")
    return "\n".join(rows)


def remove_empty_folders(project: Path) -> None:
    """Optional files are chosen by file name; a folder left with none of them goes."""
    for folder in sorted(project.rglob("*"), key=lambda path: len(path.parts), reverse=True):
        if folder.is_dir() and ".git" not in folder.parts and not any(folder.iterdir()):
            folder.rmdir()


def inside_work_tree(project: Path) -> bool:
    probe = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"],
        cwd=project.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.returncode == 0 and probe.stdout.strip() == "true"


def git_identity() -> list[str]:
    """`-c` options for what git's configuration does not know of the author. Its own
    identity wins: configured values stay, and GIT_AUTHOR_*/GIT_COMMITTER_* outrank `-c`."""
    options = []
    for key, answer in (("user.name", "author_name"), ("user.email", "author_email")):
        if git_output(["config", "--get", key], ".") is None:
            options += ["-c", f"{key}={ANSWERS[answer]}"]
    return options


def git_init(project: Path) -> None:
    """Start history with one commit, by git's identity, or the answers where it has none.

    A git problem (old git, signing hooks...) must not cost the person their
    project: it is reported, and the project stays.
    """
    if shutil.which("git") is None or inside_work_tree(project):
        return
    message = "Initial commit from repro-template"
    commands = [
        ["git", "init", "--quiet"],
        # `git init --initial-branch` needs git 2.28+; this works with any git.
        ["git", "symbolic-ref", "HEAD", "refs/heads/main"],
        ["git", "add", "--all"],
        ["git", *git_identity(), "-c", "commit.gpgsign=false", "commit", "--quiet",
         "--no-verify", "-m", message],
    ]  # fmt: skip
    for command in commands:
        result = subprocess.run(command, cwd=project, capture_output=True, text=True)
        if result.returncode != 0:
            print(
                f"WARNING: `{' '.join(command[:2])}` failed ({result.stderr.strip()}); "
                "the project is complete, run `git init` in it yourself"
            )
            return


def rendered_by_cruft() -> bool:
    """cruft renders the template into temporary folders to diff two versions; it alone
    sets `_commit`. Those copies must stay plain files: no .git, no record of their own."""
    return "_commit" in ANSWERS


def print_next_steps(project: Path) -> None:
    print(f"Created {project.name}. Next:")
    print(f"  cd {project.name} && make env   # the env, exactly the locks")
    print("  make test")


if __name__ == "__main__":
    here = Path.cwd()
    remove_unchosen(here)
    remove_empty_folders(here)
    write_tables(here)
    if not rendered_by_cruft():
        record_answers(here)
        git_init(here)
        print_next_steps(here)
