"""`smgitops emulator`: the offline AWS on 127.0.0.1 until SIGINT/SIGTERM."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

import click

from smgitops import console
from smgitops.emulator.knobs import Knob, declared
from smgitops.errors import UserError


def _knob_option(knob: Knob) -> Callable[[Callable], Callable]:
    """A knob as `--name-with-dashes`: a flag for a bool, else a number within its range."""
    flag = "--" + knob.name.replace("_", "-")
    if knob.kind is bool:
        return click.option(flag, is_flag=True, help=knob.doc)
    number = {int: click.IntRange, float: click.FloatRange}[knob.kind]
    return click.option(
        flag,
        type=number(min=knob.at_least, max=knob.at_most),
        default=knob.default,
        show_default=True,
        help=knob.doc,
    )


def _knob_options(command: Callable) -> Callable:
    """Every knob declared with `option=True`, in declaration order."""
    options = [knob for knob in declared().values() if knob.option]
    for knob in reversed(options):  # click lists the innermost decorator last
        command = _knob_option(knob)(command)
    return command


@click.command("emulator")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=5000,
    show_default=True,
    help="Port on 127.0.0.1 (0 picks a free one; the URL line says which).",
)
@_knob_options
def emulator(port: int, **knobs: Any) -> None:
    """Serve an AWS emulator (moto, extended for SageMaker) until interrupted.

    SageMaker endpoints on it run the deployed model for real with the project's serving
    stack. The first stdout line is `AWS_ENDPOINT_URL=...`, printed once it accepts requests;
    hints go to stderr. Every option but --port sets a knob; all knobs (fault injection, ...)
    and the call log: see docs/emulator.md.

    \b
    Example:
      smgitops emulator --port 0 --wait-scale 0.01 > emulator.env &
      export "$(head -n 1 emulator.env)"   # once it is printed
      export AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing
      export AWS_SECRET_ACCESS_KEY=testing
      smgitops apply --env staging --yes
    """
    from smgitops.emulator import Emulator

    stop = threading.Event()
    # Set before serving, so a signal arriving during start-up is not lost.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server = Emulator(port=port, **knobs)
    try:
        server.start()
    except OSError as error:
        raise UserError(f"cannot listen on 127.0.0.1:{port}: {error.strerror or error}") from None
    try:
        console.out(f"AWS_ENDPOINT_URL={server.url}")
        console.err.print("AWS emulator ready. In another shell:")
        console.err.print(f"  export AWS_ENDPOINT_URL={server.url} AWS_DEFAULT_REGION=us-east-1")
        if server.admin_credentials is not None:
            keys = server.admin_credentials
            console.err.print(
                f"  export AWS_ACCESS_KEY_ID={keys.access_key_id} "
                f"AWS_SECRET_ACCESS_KEY={keys.secret_access_key}  # IAM enforced"
            )
        else:
            console.err.print("  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing")
        console.err.print("Stop with Ctrl-C.")
        while not stop.wait(0.5):
            pass
        console.err.print("Stopping the emulator.")
    finally:
        server.stop()
