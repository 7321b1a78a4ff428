"""Every `smgitops` command the README and docs/ show parses as written: the command exists,
every option it uses exists, and it is given no more arguments than it takes. (What the
commands then do is the integration tests' job; this keeps the docs from drifting.)"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from smgitops.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _documented() -> list[tuple[str, str]]:
    commands = []
    for doc in DOCS:
        for block in re.findall(r"```(?:bash|sh)\n(.*?)```", doc.read_text(), flags=re.S):
            for raw in block.splitlines():
                line = raw.split("  #")[0].strip().rstrip("&").strip()
                line = re.split(r"\s(?:>>?|\||&&|;)\s", line)[0]  # the command, not its redirect
                line = re.sub(r"^(\w+=\S+\s+)+", "", line)  # GH_TOKEN=... smgitops ...
                if line.startswith("smgitops "):
                    commands.append((doc.name, line))
    return commands


def _parse(words: list[str]) -> None:
    """Parse like the CLI, without running anything: raises click's usage errors."""
    command: click.Command = main
    context = click.Context(main, info_name="smgitops")
    args = words[1:]
    while isinstance(command, click.Group):
        _, rest, _ = command.make_parser(context).parse_args(args)
        assert rest, "a command group needs a command"
        sub = command.get_command(context, rest[0])
        assert sub is not None, f"no command {rest[0]!r}"
        context = click.Context(sub, info_name=rest[0], parent=context)
        command, args = sub, rest[1:]
    _, extra, _ = command.make_parser(context).parse_args(args)
    assert extra == [], f"{command.name} takes no further arguments: {extra}"


def test_the_docs_show_commands_to_check():
    assert len(_documented()) >= 25


@pytest.mark.parametrize(("doc", "line"), _documented(), ids=lambda value: value[:60])
def test_a_documented_command_parses_as_written(doc, line):
    _parse(shlex.split(line))


@pytest.mark.parametrize(
    "line",
    [
        "smgitops plan --env staging --colour",  # no such option
        "smgitops plan --env staging extra",  # plan takes no argument
        "smgitops model teleport demo",  # no such command
        "smgitops plan --env",  # option without its value
    ],
)
def test_a_command_the_cli_would_refuse_is_caught(line):
    with pytest.raises((click.UsageError, AssertionError)):
        _parse(shlex.split(line))
