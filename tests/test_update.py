"""Slow tier: a fix in the template reaches a baked project through `cruft update`.

The round trip a project owner makes: bake from a git checkout of the template,
work and commit in the project, the template gains a commit, `cruft update -y`
(the README's recipe) brings the change in and keeps the owner's own edit.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import TEMPLATE, TOOLS_BIN, bake_from, run

pytestmark = pytest.mark.slow

SLUG_DIR = "{{cookiecutter.project_slug[:64] or '_empty_slug_'}}"


def git(*arguments: str, cwd: Path) -> str:
    return run(["git", *arguments], cwd=cwd).stdout.strip()


def template_repo(into: Path) -> Path:
    """A local git repository holding this template's files, as a person's checkout would."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=TEMPLATE, capture_output=True,
                            text=True, check=True).stdout.split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = TEMPLATE / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    git("init", "--quiet", cwd=into)
    git("add", "--all", cwd=into)
    git("commit", "--quiet", "-m", "template v1", cwd=into)
    return into


def cruft(*arguments: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run([str(TOOLS_BIN / "cruft"), *arguments], cwd=cwd, check=check)


def test_cruft_update_brings_a_template_fix_and_keeps_the_owners_edit(tmp_path: Path) -> None:
    template = template_repo(tmp_path / "template")
    project = bake_from(template, tmp_path / "work", project_name="Update Probe")
    record = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    assert record["template"] == str(template)
    assert record["commit"] == git("rev-parse", "HEAD", cwd=template)
    assert cruft("check", cwd=project, check=False).returncode == 0

    # The owner's own work, committed.
    readme = project / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nOur own notes.\n", encoding="utf-8")
    git("commit", "--quiet", "-am", "our notes", cwd=project)

    # The template gains a fix.
    gitignore = template / SLUG_DIR / ".gitignore"
    gitignore.write_text(gitignore.read_text(encoding="utf-8") + "# from template v2\n",
                         encoding="utf-8")  # fmt: skip
    git("commit", "--quiet", "-am", "template v2", cwd=template)
    assert cruft("check", cwd=project, check=False).returncode != 0, "cruft sees the new commit"

    result = cruft("update", "-y", cwd=project)
    assert "as clean as possible" in result.stdout
    assert "# from template v2" in (project / ".gitignore").read_text(encoding="utf-8")
    assert "Our own notes." in readme.read_text(encoding="utf-8")
    assert not (project / ".git" / ".git").exists() and not list(project.glob("*.rej"))
    updated = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    assert updated["commit"] == git("rev-parse", "HEAD", cwd=template)
    assert updated["context"]["cookiecutter"]["project_name"] == "Update Probe"
    assert cruft("check", cwd=project, check=False).returncode == 0
