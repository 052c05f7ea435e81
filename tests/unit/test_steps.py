"""tools/steps.py in-process: a step's echo, output, heartbeat, and how a failure is read; a
lock tool is found in its cache venv, or bootstrapped; find_python asks every candidate its
version and trusts none by name.

Stand-in interpreters are small shell scripts that print a version and a base
path, the two lines a real Python prints for the probe.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from conftest import ToolsProject


@pytest.mark.parametrize(
    ("output", "cause", "detail"),
    [
        (
            "OSError: [Errno 28] No space left on device\nMax retries exceeded",
            "disk",
            "OSError: [Errno 28] No space left on device",
        ),
        ("THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE", "hash", None),
        ("ERROR: ResolutionImpossible: for help visit", "resolution", None),
        ("ERROR: Package 'x' requires a different Python: 3.11 not in '>=3.12'", "python", None),
        ("error: metadata-generation-failed", "build", None),
        ("nothing telling\nlast words", "other", "last words"),
        ("", "other", ""),
    ],
)
def test_cause_of_reads_the_installers_own_words(
    tools: ToolsProject, output: str, cause: str, detail: str | None
) -> None:
    """The first matching cause wins (disk before network); detail is its last line."""
    found = tools.module("steps").cause_of(output, env={})
    assert found == (cause, output.splitlines()[-1].strip() if detail is None else detail)


def test_a_network_failure_without_a_host_names_the_configured_index(tools: ToolsProject) -> None:
    steps = tools.module("steps")
    output = "WARNING: Retrying ... /simple/numpy/\nRead timed out."
    assert steps.cause_of(output, {"UV_DEFAULT_INDEX": "https://mirror.example.com/simple"}) == (
        "network",
        "mirror.example.com",
    )
    assert steps.cause_of(output, {})[1].startswith("the package index (pypi.org")


def test_network_env_keeps_a_persons_own_settings(tools: ToolsProject) -> None:
    """Defaults only bound what is unset; PIP_DEFAULT_TIMEOUT replaces the PIP_TIMEOUT bound."""
    env = tools.module("steps").network_env({"PIP_RETRIES": "7", "PIP_DEFAULT_TIMEOUT": "99"})
    assert env["PIP_RETRIES"] == "7" and env["UV_HTTP_RETRIES"] == "1"
    assert "PIP_TIMEOUT" not in env and env["PIP_DEFAULT_TIMEOUT"] == "99"


def test_explain_gives_one_sentence_per_cause(tools: ToolsProject) -> None:
    explain = tools.module("steps").explain
    assert explain("disk", "[Errno 28]", "locking") == (
        "locking failed: the disk is full ([Errno 28]); free some space"
    )
    assert explain("resolution", "ResolutionImpossible", "locking") == (
        "locking failed: no versions satisfy the requirements (ResolutionImpossible)"
    )
    assert explain("other", "", "locking") == "locking failed: see the output above"


def test_shown_shortens_paths_to_their_names(tools: ToolsProject) -> None:
    """Machine paths stay out of logs; arguments without a separator are kept."""
    command = ["/opt/py/bin/python", "-m", "pip", "install", "-r", "/home/me/p/requirements.txt"]
    assert tools.module("steps").shown(command) == "python -m pip install -r requirements.txt"


PYTHON = Path(sys.executable).name


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_step_is_echoed_and_its_output_passed_through_and_returned(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command is echoed with the interpreter's path shortened to its name."""
    output = tools.module("steps").run_step("env", python("print('hello')"), "saying hello")
    assert output == "hello\n"
    assert capsys.readouterr().out == f"env: $ {PYTHON} -c print('hello')\nhello\n"


def test_stderr_is_part_of_the_output(tools: ToolsProject) -> None:
    code = "import sys; print('to err', file=sys.stderr)"
    assert tools.module("steps").run_step("env", python(code), "x") == "to err\n"


def test_a_failing_step_names_its_last_error_line(tools: ToolsProject) -> None:
    steps = tools.module("steps")
    code = "import sys; print('ERROR: first'); print('ERROR: it broke'); print('done'); sys.exit(3)"
    with pytest.raises(steps.StepFailed) as error:
        steps.run_step("env", python(code), "installing the locks")
    assert isinstance(error.value, tools.module("project").ToolError)
    assert error.value.cause == "other"
    assert str(error.value) == "installing the locks failed: ERROR: it broke"


def test_a_silent_failure_points_at_the_output(tools: ToolsProject) -> None:
    steps = tools.module("steps")
    with pytest.raises(steps.StepFailed) as error:
        steps.run_step("env", python("raise SystemExit(1)"), "locking requirements.in")
    assert str(error.value) == "locking requirements.in failed: see the output above"


def test_a_network_failure_names_the_host(tools: ToolsProject) -> None:
    steps = tools.module("steps")
    code = "print(\"Failed to establish a new connection host='pypi.example.org'\"); exit(1)"
    with pytest.raises(steps.StepFailed) as error:
        steps.run_step("lock", python(code), "locking requirements.in")
    assert error.value.cause == "network"
    assert str(error.value) == (
        "locking requirements.in failed: cannot reach pypi.example.org; "
        "check the network or your index settings"
    )


def test_the_step_gets_the_given_env_with_bounded_retries(tools: ToolsProject) -> None:
    code = (
        "import os; "
        "print(os.environ['MARK'], os.environ['PIP_RETRIES'], os.environ['UV_HTTP_RETRIES'])"
    )
    output = tools.module("steps").run_step("env", python(code), "x", env={"MARK": "here"})
    assert output == "here 1 1\n"


def test_the_step_runs_in_the_given_folder(tools: ToolsProject) -> None:
    output = tools.module("steps").run_step(
        "env", python("import os; print(os.getcwd())"), "x", cwd=tools.root
    )
    assert Path(output.strip()).resolve() == tools.root.resolve()


def test_only_the_last_lines_are_returned(tools: ToolsProject) -> None:
    steps = tools.module("steps")
    output = steps.run_step("env", python("for n in range(250): print(n)"), "counting")
    lines = output.splitlines()
    assert len(lines) == steps.TAIL_LINES and lines[0] == "50" and lines[-1] == "249"


def test_a_quiet_step_says_it_is_still_running(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no heartbeat interval, any wait for the tool prints the `still` notice."""
    steps = tools.module("steps")
    monkeypatch.setattr(steps, "HEARTBEAT_SECONDS", 0.0)
    steps.run_step("env", python("pass"), "resolving")
    assert "env: still resolving (0s)\n" in capsys.readouterr().out


def test_a_quick_step_prints_no_notice(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    tools.module("steps").run_step("env", python("pass"), "resolving")
    assert "still" not in capsys.readouterr().out


def test_run_steps_stops_at_the_first_failure(tools: ToolsProject) -> None:
    """(env_swap.run_steps) Steps run in order in cwd; a failing one stops the rest."""
    env_swap = tools.module("env_swap")
    steps = [python("open('a', 'w')"), python("raise SystemExit(1)"), python("open('c', 'w')")]
    with pytest.raises(tools.module("steps").StepFailed, match="^building failed"):
        env_swap.run_steps("env", steps, tools.root, "building")
    assert (tools.root / "a").exists() and not (tools.root / "c").exists()


RUNNING = ".".join(map(str, sys.version_info[:3]))
RUNNING_MINOR = ".".join(map(str, sys.version_info[:2]))


def assert_not_installed(tools: ToolsProject, version: str, *asked: str) -> None:
    """find_python(*asked) fails with the one line that says how to install `version`."""
    with pytest.raises(tools.module("project").ToolError) as error:
        tools.module("steps").find_python(*asked)
    assert str(error.value) == (
        f"Python {version} (named by .python-version) is not installed; install it "
        f"(`pyenv install {version}`, `uv python install {version}` or python.org), "
        "or write an installed version into .python-version"
    )


def stand_in(path: Path, *lines: str, code: int = 0) -> Path:
    """An executable that answers the version probe with `lines` and exits `code`."""
    if os.name == "nt":
        pytest.skip("stand-in interpreters are sh scripts")
    path.parent.mkdir(parents=True, exist_ok=True)
    echoes = "".join(f"echo '{line}'\n" for line in lines)
    path.write_text(f"#!/bin/sh\n{echoes}exit {code}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def only_here(tools: ToolsProject, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH and PYENV_ROOT hold only this test's stand-ins (no uv, no real pythons)."""
    if os.name == "nt":
        pytest.skip("stand-in interpreters are sh scripts")
    bin_dir = tools.root / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("PYENV_ROOT", str(tools.root / "pyenv"))
    return bin_dir


def test_the_running_interpreter_reports_its_version_and_base(tools: ToolsProject) -> None:
    found = tools.module("steps").interpreter_version(sys.executable)
    assert found is not None
    assert found[0] == RUNNING
    assert Path(found[1]).is_file()


def test_a_candidate_that_does_not_start_is_none(tools: ToolsProject) -> None:
    """A missing file, a non-executable one, a failing or half-answering one: no version."""
    interpreter_version = tools.module("steps").interpreter_version
    assert interpreter_version(tools.root / "nope") is None
    assert interpreter_version(tools.write("plain", "not a program")) is None
    assert interpreter_version(stand_in(tools.root / "fails", "3.11.0", "/x", code=1)) is None
    assert interpreter_version(stand_in(tools.root / "half", "3.11.0")) is None


def test_the_running_interpreter_is_found_for_its_own_version(
    tools: ToolsProject, only_here: Path
) -> None:
    """.python-version naming this Python's X.Y finds it first, as its base interpreter."""
    tools.write(".python-version", RUNNING_MINOR)
    steps = tools.module("steps")
    base = steps.interpreter_version(sys.executable)
    assert base is not None
    assert steps.find_python() == base[1]


def test_an_absent_version_is_a_tool_error_with_the_install_commands(
    tools: ToolsProject, only_here: Path
) -> None:
    tools.write(".python-version", "3.99")
    assert_not_installed(tools, "3.99")


def test_a_shim_that_starts_another_version_does_not_pass(
    tools: ToolsProject, only_here: Path
) -> None:
    """`python3.99` on PATH that is really a 3.98 is not a 3.99."""
    stand_in(only_here / "python3.99", "3.98.0", "/opt/python3.98/bin/python3.98")
    assert_not_installed(tools, "3.99", "3.99")


def test_a_matching_candidate_on_path_gives_its_base_interpreter(
    tools: ToolsProject, only_here: Path
) -> None:
    stand_in(only_here / "python3.99", "3.98.0", "/wrong")
    stand_in(only_here / "python3", "3.99.1", "/opt/python3.99/bin/python3.99")
    assert tools.module("steps").find_python("3.99") == "/opt/python3.99/bin/python3.99"


def test_a_pyenv_version_is_a_candidate(tools: ToolsProject, only_here: Path) -> None:
    """PYENV_ROOT/versions/<X.Y.Z>/bin/python is asked when nothing on PATH matches."""
    pyenv_python = tools.root / "pyenv" / "versions" / "3.99.4" / "bin" / "python"
    stand_in(pyenv_python, "3.99.4", "/pyenv/3.99.4")
    assert tools.module("steps").find_python("3.99") == "/pyenv/3.99.4"


def test_a_patch_version_must_match_exactly(tools: ToolsProject, only_here: Path) -> None:
    """.python-version 3.99.2 is not satisfied by a 3.99.1 on PATH."""
    stand_in(only_here / "python3.99", "3.99.1", "/opt/3.99.1")
    assert_not_installed(tools, "3.99.2", "3.99.2")


def test_a_bad_python_version_file_is_reported_before_any_search(
    tools: ToolsProject, only_here: Path
) -> None:
    tools.write(".python-version", "latest")
    with pytest.raises(tools.module("project").ToolError, match="holds 'latest', not X.Y"):
        tools.module("steps").find_python()


def unused_python() -> str:
    raise AssertionError("no interpreter is needed when the tool is cached")


def cache_venv(tools: ToolsProject, name: str) -> Path:
    return tools.root.resolve() / ".cache" / "lock-tools" / name


def test_a_cached_tool_is_returned_without_installing(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """The venv is named <package>-<version>-py<tag>; its command is in bin/."""
    executable = tools.write(".cache/lock-tools/uv-0.4.0-py3.11/bin/uv", "")
    found = tools.module("steps").cached_tool("uv", "0.4.0", "uv", "3.11", unused_python)
    assert found == executable.resolve()
    assert capsys.readouterr().out == ""


def test_another_version_or_python_is_another_venv(tools: ToolsProject) -> None:
    """A cached uv 0.4.0 for 3.11 does not serve 0.5.0, nor 0.4.0 for 3.12."""
    tools.write(".cache/lock-tools/uv-0.4.0-py3.11/bin/uv", "")
    cached_tool = tools.module("steps").cached_tool
    error = tools.module("project").ToolError

    def no_python() -> str:
        raise error("no such Python")

    for version, tag in (("0.5.0", "3.11"), ("0.4.0", "3.12")):
        with pytest.raises(error, match="no such Python"):
            cached_tool("uv", version, "uv", tag, no_python)


def test_no_interpreter_for_the_venv_is_the_finders_error_and_leaves_nothing(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """find_python's ToolError comes through unchanged; no half venv is left in the cache."""
    error = tools.module("project").ToolError

    def no_python() -> str:
        raise error("Python 3.11 (named by .python-version) is not installed")

    with pytest.raises(error, match=r"^Python 3\.11 \(named by"):
        tools.module("steps").cached_tool("pip-tools", "7.4.1", "pip-compile", "3.11", no_python)
    assert capsys.readouterr().out == (
        "tools: installing pip-tools==7.4.1 into .cache/lock-tools/pip-tools-7.4.1-py3.11 "
        "(once per version)\n"
    )
    assert not cache_venv(tools, "pip-tools-7.4.1-py3.11").exists()


NOT_POSIX = pytest.mark.skipif(os.name == "nt", reason="stand-in interpreters are sh scripts")

# `python -m venv DIR` stand-in: makes DIR/bin/python, whose `-m pip install PKG==V`
# writes the tool's command next to it.
FAKE_BASE = """#!/bin/sh
mkdir -p "$3/bin"
cat > "$3/bin/python" <<'EOS'
#!/bin/sh
echo "pip got: $*"
touch "$(dirname "$0")/pip-compile"
EOS
chmod +x "$3/bin/python"
"""
FAILING_BASE = """#!/bin/sh
mkdir -p "$3/bin"
echo "ERROR: cannot make a venv here"
exit 1
"""


def script(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)
    return str(path)


@NOT_POSIX
def test_a_missing_tool_is_installed_once_into_its_venv(
    tools: ToolsProject, capsys: pytest.CaptureFixture[str]
) -> None:
    base = script(tools.root / "base-python", FAKE_BASE)
    found = tools.module("steps").cached_tool(
        "pip-tools", "7.4.1", "pip-compile", "3.11", lambda: base
    )
    venv = tools.root.resolve() / ".cache" / "lock-tools" / "pip-tools-7.4.1-py3.11"
    assert found == venv / "bin" / "pip-compile" and found.exists()
    out = capsys.readouterr().out
    assert "tools: $ base-python -m venv pip-tools-7.4.1-py3.11\n" in out
    assert "tools: $ python -m pip install pip-tools==7.4.1\n" in out
    assert "pip got: -m pip install pip-tools==7.4.1" in out


@NOT_POSIX
def test_a_failed_install_is_a_tool_error_and_removes_the_half_venv(tools: ToolsProject) -> None:
    base = script(tools.root / "base-python", FAILING_BASE)
    project = tools.module("project")
    with pytest.raises(project.ToolError) as error:
        tools.module("steps").cached_tool("uv", "0.4.0", "uv", "3.11", lambda: base)
    assert type(error.value) is project.ToolError
    assert str(error.value) == (
        "installing uv==0.4.0 failed: ERROR: cannot make a venv here; "
        "run the command again once that is fixed"
    )
    assert not (tools.root / ".cache" / "lock-tools" / "uv-0.4.0-py3.11").exists()
