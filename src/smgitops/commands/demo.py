"""`smgitops demo`: the whole pipeline offline, ending with a real prediction."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("demo")
@click.option("--keep", is_flag=True, help="Keep the scratch repository afterwards.")
@click.option(
    "--transition-seconds",
    type=float,
    default=1.0,
    show_default=True,
    help="How long emulated endpoints stay Creating/Updating.",
)
def demo(keep: bool, transition_seconds: float) -> None:
    """Run the GitOps story on the embedded AWS emulator, with no AWS account.

    In a scratch git copy of this repository: validate, train, package, publish, push the
    image, plan, apply, invoke; then scale out, change the model, and roll back with
    `git revert`, checking the first prediction comes back. Run it from the repository root.

    \b
    Example:
      smgitops demo
    """
    from smgitops.demo import run_demo

    run_demo(Path.cwd(), keep, transition_seconds)
