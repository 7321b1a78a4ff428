"""`smgitops emulator`: the offline AWS on 127.0.0.1 until SIGINT/SIGTERM."""

from __future__ import annotations

import signal
import threading

import click

from smgitops import console
from smgitops.errors import UserError


@click.command("emulator")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=5000,
    show_default=True,
    help="Port on 127.0.0.1 (0 picks a free one; the URL line says which).",
)
@click.option(
    "--transition-seconds",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="How long Creating/Updating/Deleting last before the next status.",
)
@click.option(
    "--wait-scale",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help=(
        "Real seconds waited per second of an update's bakes and termination wait "
        "(0.01 turns a 300 s canary bake into 3 s; 0 skips them)."
    ),
)
@click.option(
    "--enforce-iam",
    is_flag=True,
    help="Check signatures and IAM policies (prints full-access credentials on stderr).",
)
def emulator(port: int, transition_seconds: float, wait_scale: float, enforce_iam: bool) -> None:
    """Serve an AWS emulator (moto, extended for SageMaker) until interrupted.

    SageMaker endpoints on it run the deployed model for real with the project's serving
    stack. The first stdout line is `AWS_ENDPOINT_URL=...`, printed once it accepts requests;
    hints go to stderr. Fault injection and the call log: see docs/emulator.md.

    \b
    Example:
      smgitops emulator --port 5000 &
      export AWS_ENDPOINT_URL=http://127.0.0.1:5000 AWS_DEFAULT_REGION=us-east-1
      export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
      smgitops apply --env staging --yes
    """
    from smgitops.emulator import Emulator

    stop = threading.Event()
    # Set before serving, so a signal arriving during start-up is not lost.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server = Emulator(
        port=port,
        transition_seconds=transition_seconds,
        wait_scale=wait_scale,
        enforce_iam=enforce_iam,
    )
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
