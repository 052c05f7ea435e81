"""invoke tasks: one door per verb of `python -m tools` (tools/cli.py), each made from its
verb's argparse parser, so an option's name, default and help are written once, in tools/.
"""

from __future__ import annotations

import argparse
import inspect
import shlex
import subprocess
import sys
from pathlib import Path

from invoke import Collection, Exit, Task

# invoke puts this file's folder on sys.path, so the tools package imports.
from tools import cli
from tools.project import EXIT_INTERRUPTED, ROOT, ToolError, env_python


def invoke_default(action: argparse.Action) -> object:
    """What invoke needs to see to offer the same option: a flag, a list or a string."""
    if action.nargs == 0:
        return bool(action.default)
    if isinstance(action, argparse._AppendAction):
        return None
    no_default = action.default is None or action.nargs in ("*", argparse.REMAINDER)
    return "" if no_default else str(action.default)


def to_argv(action: argparse.Action, value: object) -> list[str]:
    """One option's value, given to invoke, as the verb's command line."""
    if not action.option_strings:  # a positional: words, and after `--` for a command
        words = shlex.split(value or "")
        return (["--"] if action.nargs == argparse.REMAINDER and words else []) + words
    flag = action.option_strings[0]
    if action.nargs == 0:  # --x, or --no-x for a flag that is on by default
        if bool(value) == bool(action.default):
            return []
        return [flag] if value else [f"--no-{flag[2:]}"]
    # `--flag=value`: a value that starts with `-` (`--args=--no-cache`) stays a value.
    if isinstance(action, argparse._AppendAction):
        values = value or []
    else:
        values = [] if value in ("", str(action.default)) else [value]
    if action.type is Path:  # typed where invoke was started, as the tools (run from ROOT) see it
        paths = [Path(item).resolve() for item in values]
        values = [str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in paths]
    return [f"{flag}={item}" for item in values]


def invoke_help(action: argparse.Action) -> str:
    """The option's help; trailing words of the CLI are one quoted string for invoke."""
    if action.option_strings:
        return action.help or ""
    words = (action.help or "").replace(" (after `--`)", "")
    return f"{words}; as one quoted string: --{action.dest.replace('_', '-')}='...'"


def door(verb: cli.Verb) -> Task:
    """The invoke task of one verb: its options are the verb's parser's."""
    parser = cli.verb_parser(verb)
    actions = [action for action in parser._actions if not isinstance(action, argparse._HelpAction)]

    def body(c: object, **values: object) -> None:
        argv = [arg for action in actions for arg in to_argv(action, values[action.dest])]
        # Env verbs run with the project env's interpreter, else the running one (nox, images).
        python = env_python() if verb.in_env else Path(sys.executable)
        tool = [str(python) if python.exists() else sys.executable, "-m", "tools", verb.name]
        # Not `c.run`: invoke would pipe the output through its threads (a closed `| head` ends
        # in its traceback) and its stdin into the command. The command inherits the terminal
        # instead, from the project root; its exit code, Ctrl-C's included, is the task's.
        try:
            code = subprocess.run([*tool, *argv], cwd=ROOT).returncode
        except KeyboardInterrupt:
            raise Exit("interrupted", code=EXIT_INTERRUPTED) from None
        if code:
            raise Exit(code=code)

    kind = inspect.Parameter.KEYWORD_ONLY
    body.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("c", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [inspect.Parameter(a.dest, kind, default=invoke_default(a)) for a in actions]
    )
    body.__doc__ = verb.help[0].upper() + verb.help[1:] + "."
    helps = {action.dest: invoke_help(action) for action in actions}
    lists = [a.dest for a in actions if isinstance(a, argparse._AppendAction)]
    return Task(body, name=verb.name, help=helps, iterable=lists)


try:
    namespace = Collection(*(door(verb) for verb in cli.verbs()))
except ToolError as error:  # no .cruft.json, say: the CLI's own one line, not a traceback
    sys.exit(f"ERROR: {error}")
