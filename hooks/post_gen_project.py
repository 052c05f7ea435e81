"""Real actions after the files are written: record answers, chmod, git init."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from pathlib import Path

ANSWERS: dict = json.loads(r"""{{ cookiecutter | jsonify }}""")

# Keys cookiecutter fills with paths of the machine that baked the project:
# recording them would leak those paths into every generated repository.
MACHINE_KEYS = {"_output_dir", "_repo_dir", "_checkout", "_extensions", "__prompts__"}
REMOTE_PREFIXES = ("gh:", "gl:", "bb:", "https://", "http://", "git@", "git+", "ssh://")
EXECUTABLES = ("tools/*.py",)


def record_answers(project: Path) -> None:
    """Write .cookiecutter.json so the project can be re-baked or updated (cruft).

    `_template` is kept only when it names a remote repository: a local path
    would record the baking machine's folders.
    """
    kept = {key: value for key, value in ANSWERS.items() if key not in MACHINE_KEYS}
    if not str(kept.get("_template", "")).startswith(REMOTE_PREFIXES):
        kept.pop("_template", None)
    text = json.dumps(kept, indent=2, sort_keys=True) + "\n"
    (project / ".cookiecutter.json").write_text(text, encoding="utf-8")


def make_executable(project: Path) -> None:
    """Scripts (a `#!` first line) stay runnable where file modes were lost (zip downloads)."""
    for pattern in EXECUTABLES:
        for path in project.glob(pattern):
            if path.read_bytes().startswith(b"#!"):
                mode = path.stat().st_mode
                path.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


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


def git_init(project: Path) -> None:
    """Start history with one commit; the author's answers stand in for a missing identity.

    A git problem (old git, signing hooks...) must not cost the person their
    project: it is reported, and the project stays.
    """
    if shutil.which("git") is None or inside_work_tree(project):
        return
    identity = ["-c", f"user.name={ANSWERS['author_name']}"]
    identity += ["-c", f"user.email={ANSWERS['author_email']}", "-c", "commit.gpgsign=false"]
    message = "Initial commit from repro-template"
    commands = [
        ["git", "init", "--quiet"],
        # `git init --initial-branch` needs git 2.28+; this works with any git.
        ["git", "symbolic-ref", "HEAD", "refs/heads/main"],
        ["git", "add", "--all"],
        ["git", *identity, "commit", "--quiet", "--no-verify", "-m", message],
    ]
    for command in commands:
        result = subprocess.run(command, cwd=project, capture_output=True, text=True)
        if result.returncode != 0:
            print(
                f"WARNING: `{' '.join(command[:2])}` failed ({result.stderr.strip()}); "
                "the project is complete, run `git init` in it yourself"
            )
            return


if __name__ == "__main__":
    here = Path.cwd()
    record_answers(here)
    make_executable(here)
    remove_empty_folders(here)
    git_init(here)
