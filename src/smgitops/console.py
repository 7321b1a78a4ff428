"""The one console: decides terminal, colour and width for human output on stderr.

Human output (progress, tables) goes to stderr; machine output (json, markdown) to stdout.
Colour is dropped when stderr is not a terminal or NO_COLOR is set (rich does both).
"""

from __future__ import annotations

import sys

from rich.console import Console

err = Console(stderr=True, highlight=False, soft_wrap=True)


def is_interactive() -> bool:
    """True when a person can answer a prompt (stdin and stderr are terminals)."""
    return sys.stdin.isatty() and err.is_terminal


def out(text: str) -> None:
    """Machine output on stdout, unstyled."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()
