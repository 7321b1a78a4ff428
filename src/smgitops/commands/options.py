"""Options several commands share, declared once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

ENV = click.option(
    "--env", "env_name", required=True, help="Environment: a folder under deployments/."
)


def output_format(*choices: str, help_text: str) -> Callable[[F], F]:
    """`--format` with these choices, `text` first and the default."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help=help_text,
    )
