"""The `smgitops` console script: a click group whose commands load lazily.

Each command lives in `smgitops.commands.<module>`; importing it only when it runs keeps
`smgitops serve` (the container entrypoint) free of boto3/moto import time.
"""

from __future__ import annotations

import importlib

import click

from smgitops import __version__

# name -> "module:attribute" of a click command; the order is the order in --help.
COMMANDS: dict[str, str] = {
    "validate": "smgitops.commands.validate:validate",
    "plan": "smgitops.commands.reconcile:plan",
    "apply": "smgitops.commands.reconcile:apply",
    "drift": "smgitops.commands.reconcile:drift",
    "status": "smgitops.commands.status:status",
    "invoke": "smgitops.commands.reconcile:invoke",
    "demo": "smgitops.commands.demo:demo",
    "serve": "smgitops.commands.serve:serve",
    "model": "smgitops.commands.model:model",
    "image": "smgitops.commands.image:image",
    "bootstrap": "smgitops.commands.bootstrap:bootstrap",
    "emulator": "smgitops.commands.emulator:emulator",
    "promote": "smgitops.commands.promote:promote",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="smgitops")
def main() -> None:
    """GitOps for custom models on AWS SageMaker real-time endpoints.

    Manifests under deployments/<env>/ declare endpoints; `plan` shows what would change,
    `apply` makes SageMaker match. Everything runs offline against `smgitops emulator`.

    \b
    Example:
      smgitops validate
      smgitops plan --env staging
    """
