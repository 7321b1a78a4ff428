"""The consoles: terminal, colour and width for human output.

The plan a person reads goes to stdout (`smgitops plan > plan.txt` keeps it, as Terraform's
does); progress, prompts and errors go to stderr; machine output (json, markdown) to stdout,
unstyled. Colour is dropped when the stream is not a terminal or NO_COLOR is set (rich does
both).
"""

from __future__ import annotations

import sys

from rich.console import Console

err = Console(stderr=True, highlight=False, soft_wrap=True)
# The human plan (text format): on stdout, styled only on a terminal.
plan_out = Console(highlight=False, soft_wrap=True)


def is_interactive() -> bool:
    """True when a person can answer a prompt (stdin and stderr are terminals)."""
    return sys.stdin.isatty() and err.is_terminal


def out(text: str) -> None:
    """Machine output on stdout, unstyled."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()
