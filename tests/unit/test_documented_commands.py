"""Every `smgitops` command the README and docs/ show parses as written: the command exists,
every option it uses exists, and it is given no more arguments than it takes. Every shell
block they show is classified in tests/testkit/documented_blocks.py: run as written by
tests/e2e/test_documented_blocks.py (slow tier), or not run, with the reason."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from smgitops.cli import main
from testkit.docblocks import as_run, blocks, classified
from testkit.documented_blocks import BLOCKS, Run, Skip


def _documented() -> list[tuple[str, str]]:
    commands = []
    for block in blocks():
        for raw in block.text.splitlines():
            line = raw.split("  #")[0].strip().rstrip("&").strip()
            line = re.split(r"\s(?:>>?|\||&&|;)\s", line)[0]  # the command, not its redirect
            line = re.sub(r"^(\w+=\S+\s+)+", "", line)  # GH_TOKEN=... smgitops ...
            if line.startswith("smgitops "):
                commands.append((Path(block.doc).name, line))
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


def test_every_shell_block_of_the_docs_is_classified():
    missing = [block.key for block in blocks() if classified(block) is None]
    assert missing == [], (
        f"add these (file, heading, first command) to tests/testkit/documented_blocks.py, as "
        f"Run() or Skip(why): {missing}"
    )


def test_every_classified_block_is_still_in_the_docs():
    shown = {block.key for block in blocks()}
    gone = [key for key in BLOCKS if key not in shown]
    assert gone == [], f"tests/testkit/documented_blocks.py names blocks no doc shows: {gone}"


def test_a_block_not_run_says_why_in_one_line_and_a_substitution_applies():
    for block in blocks():
        entry = classified(block)
        if isinstance(entry, Skip):
            assert entry.why.strip() and "\n" not in entry.why, block.key
        elif isinstance(entry, Run):
            assert all(why.strip() for _, _, why in entry.substitute), block.key
            as_run(block, entry)  # raises unless each substitution applies exactly once


def test_most_documented_blocks_run():
    entries = [classified(block) for block in blocks()]
    assert sum(isinstance(entry, Run) for entry in entries) >= 8
    assert sum(isinstance(entry, Run) for entry in entries) > len(entries) / 2
