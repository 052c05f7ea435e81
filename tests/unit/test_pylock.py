"""tools/pylock.py in-process: pylock-agrees, pylock.toml lists requirements.txt's pins."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import ToolsProject

WHEEL, SDIST = "a" * 64, "b" * 64
FIX = "run `invoke lock`, which writes pylock.toml from requirements.txt, then commit both"
LOCK = f"""\
numpy==1.26.4 ; python_version < "3.12" \\
    --hash=sha256:{WHEEL} \\
    --hash=sha256:{SDIST}
numpy==2.1.0 ; python_version >= "3.12" \\
    --hash=sha256:{"c" * 64}
"""


def package(name: str, version: str, *wheels: str, sdist: str = "") -> str:
    """One `[[packages]]` table as uv writes it (url and hashes; sizes and times left out)."""
    files = ", ".join(
        f'{{ url = "https://x/{h[:4]}.whl", hashes = {{ sha256 = "{h}" }} }}' for h in wheels
    )
    table = f'\n[[packages]]\nname = "{name}"\nversion = "{version}"\nwheels = [{files}]\n'
    if sdist:
        table += (
            f'sdist = {{ url = "https://x/{name}.tar.gz", hashes = {{ sha256 = "{sdist}" }} }}\n'
        )
    return table


def agreeing(tools: ToolsProject) -> Path:
    """requirements.txt with two pins of numpy (by marker), and pylock.toml agreeing."""
    tools.write("requirements.txt", LOCK)
    return tools.write(
        "pylock.toml",
        'lock-version = "1.0"\n'
        + package("numpy", "1.26.4", WHEEL, sdist=SDIST)
        + package("numpy", "2.1.0", "c" * 64),
    )


def found(tools: ToolsProject) -> list[str]:
    return [problem.located("pylock-agrees") for problem in tools.module("pylock").problems()]


def test_the_same_pins_and_hashes_agree(tools: ToolsProject) -> None:
    """Each (name, version) carries the lock's hashes, wheels and sdist together."""
    agreeing(tools)
    assert found(tools) == []


def test_a_missing_pylock_is_named_at_requirements_txt(tools: ToolsProject) -> None:
    tools.write("requirements.txt", LOCK)
    assert found(tools) == [f"requirements.txt:1: pylock-agrees: pylock.toml is missing; {FIX}"]


def test_without_requirements_txt_there_is_nothing_to_compare(tools: ToolsProject) -> None:
    """pylock-agrees names the missing lock itself; pylock.toml adds nothing."""
    assert found(tools) == []


def test_a_tampered_hash_is_named_at_its_package(tools: ToolsProject) -> None:
    pylock = agreeing(tools)
    pylock.write_text(pylock.read_text(encoding="utf-8").replace(SDIST, "d" * 64), encoding="utf-8")
    assert found(tools) == [
        f"pylock.toml:4: pylock-agrees: numpy==1.26.4 lists file hashes that requirements.txt "
        f"does not; {FIX}"
    ]


def test_a_wheel_left_out_still_agrees(tools: ToolsProject) -> None:
    """uv leaves out wheels the Python range cannot use: fewer files, each one allowed."""
    pylock = agreeing(tools)
    lines = pylock.read_text(encoding="utf-8").splitlines(keepends=True)
    pylock.write_text("".join(line for line in lines if SDIST not in line), encoding="utf-8")
    assert found(tools) == []


def test_a_pin_without_files_fails(tools: ToolsProject) -> None:
    pylock = agreeing(tools)
    lines = pylock.read_text(encoding="utf-8").splitlines(keepends=True)
    text = "".join("wheels = []\n" if "c" * 64 in line else line for line in lines)
    pylock.write_text(text, encoding="utf-8")
    assert found(tools) == [
        f"pylock.toml:10: pylock-agrees: numpy==2.1.0 lists no file to install; {FIX}"
    ]


def test_another_version_is_one_missing_and_one_extra(tools: ToolsProject) -> None:
    pylock = agreeing(tools)
    pylock.write_text(
        pylock.read_text(encoding="utf-8").replace("2.1.0", "2.2.0"), encoding="utf-8"
    )
    assert found(tools) == [
        f"pylock.toml:1: pylock-agrees: lacks numpy==2.1.0, which requirements.txt pins; {FIX}",
        f"pylock.toml:10: pylock-agrees: has numpy==2.2.0, which requirements.txt does not "
        f"pin; {FIX}",
    ]


def test_a_package_the_lock_does_not_pin_is_named(tools: ToolsProject) -> None:
    pylock = agreeing(tools)
    with pylock.open("a", encoding="utf-8") as file:
        file.write(package("Rich", "13.7.1", "e" * 64))
    assert found(tools) == [
        f"pylock.toml:15: pylock-agrees: has rich==13.7.1, which requirements.txt does not "
        f"pin; {FIX}"
    ]


def test_toml_that_is_not_a_pep_751_lock_is_one_problem(tools: ToolsProject) -> None:
    tools.write("requirements.txt", LOCK)
    tools.write("pylock.toml", 'packages = ["numpy"]\n')
    assert found(tools) == [
        f"pylock.toml:1: pylock-agrees: is not a PEP 751 lock (`[[packages]]` tables); {FIX}"
    ]


def test_invalid_toml_is_one_problem(tools: ToolsProject) -> None:
    tools.write("requirements.txt", LOCK)
    tools.write("pylock.toml", "[[packages]\n")
    (problem,) = found(tools)
    assert problem.startswith("pylock.toml:1: pylock-agrees: is not valid TOML (")
    assert problem.endswith(f"; {FIX}")


def test_an_untracked_pylock_fails_until_it_is_added(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """A clone would not get it: named with the `git add` that fixes it."""
    agreeing(tools)
    subprocess.run(["git", "init", "-q"], cwd=tools.root, check=True)
    lint = tools.module("lint")
    assert lint.run_check("pylock-agrees") == 1
    assert capsys.readouterr().out == (
        "pylock.toml:1: pylock-agrees: not tracked by git; "
        "`git add pylock.toml` and commit it with its input file\n"
    )
    subprocess.run(["git", "add", "pylock.toml"], cwd=tools.root, check=True)
    assert lint.run_check("pylock-agrees") == 0
    assert capsys.readouterr().out == (
        "pylock-agrees: ok (pylock.toml lists the pins of requirements.txt)\n"
    )
