"""`smgitops serve`: the container entrypoint (SageMaker runs `docker run IMAGE serve`).

Imports only the serving stack (no boto3) to keep container start fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from smgitops.errors import UserError


def announce(host: str, port: int) -> None:
    """One stdout line once the port is ours (ServingProcess waits for it)."""
    from smgitops.serving.supervisor import listening_line

    click.echo(listening_line(host, port))


@click.command("serve")
@click.option(
    "--model-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Extracted model.tar.gz (default: $SM_MODEL_DIR or /opt/ml/model).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port to listen on (default: $SAGEMAKER_BIND_TO_PORT or 8080).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes, each loading the model (default: "
    "$SAGEMAKER_MODEL_SERVER_WORKERS or the CPU count).",
)
@click.option(
    "--host",
    default="0.0.0.0",
    show_default=True,
    help="Address to bind (use 127.0.0.1 to serve this machine only).",
)
def serve(model_dir: Path | None, port: int | None, workers: int | None, host: str) -> None:
    """Serve a model with SageMaker's container contract: GET /ping, POST /invocations.

    Loads <model dir>/code/inference.py (or inference.py at the model dir root; see
    SAGEMAKER_PROGRAM), runs model_fn once per worker and answers /ping with 200 once every
    worker has loaded. SIGTERM drains in-flight requests, then exits.

    Requests are bounded; each bound is an environment variable (default; answer):

    \b
      SMGITOPS_MAX_REQUEST_LINE_BYTES    request line (8192; 414)
      SMGITOPS_MAX_REQUEST_HEADERS       header fields (100; 431)
      SMGITOPS_MAX_REQUEST_HEADER_BYTES  bytes of header fields (65536; 431)
      SMGITOPS_REQUEST_HEADER_TIMEOUT    seconds to send a request's headers (10; 408,
                                         and a connection that sends nothing is closed)
      SAGEMAKER_MAX_PAYLOAD_IN_MB        request body (6; 413)
      SAGEMAKER_MODEL_SERVER_TIMEOUT     seconds per request, queueing included (60; 504)

    Malformed requests are answered 400. A kept-alive connection may idle 75 s between
    requests.

    \b
    Example:
      smgitops serve --model-dir ./build/model --port 8080 --workers 2
      curl -s -X POST -H 'Content-Type: text/csv' --data '1,2,3,4,5,6' \\
        http://127.0.0.1:8080/invocations
    """
    from smgitops.serving.settings import SettingsError, current_settings
    from smgitops.serving.supervisor import ServerFailed, run_server

    try:
        settings = current_settings(model_dir=model_dir, port=port, workers=workers)
        run_server(settings, host, on_listening=announce)
    except (ServerFailed, SettingsError) as error:
        raise UserError(str(error)) from None
