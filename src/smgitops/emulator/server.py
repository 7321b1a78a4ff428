"""The offline AWS: moto's server app behind fault injection and the control API.

with Emulator(port=0, transition_seconds=0.2) as emulator:  # any knobs (knobs.py)
    boto3.client("sagemaker", endpoint_url=emulator.url, ...)
    emulator.configure(fail_next_updates=1)
"""

from __future__ import annotations

import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from smgitops.emulator import iam_enforcement, model_servers, patch, state
from smgitops.emulator.control import ControlApi
from smgitops.emulator.error_shapes import JsonAuthErrors
from smgitops.emulator.faults import ApiCall, FaultInjector, latency_for
from smgitops.emulator.knobs import Knobs

ACCOUNT_ID = DEFAULT_ACCOUNT_ID


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: a free one); OSError if it is taken."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener


class _QuietRequestHandler(MotoRequestHandler):
    """moto's handler without one access-log line per request on stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class Emulator:
    """An in-process AWS emulator on 127.0.0.1 whose SageMaker endpoints run the real model.

    One per process at a time: moto's state is process-wide. `knobs` are any of `Knobs`
    (knobs.py), e.g. `transition_seconds=0.2`: the emulator starts with them and `reset()`
    returns to them; ValueError for an unknown knob or a bad value.
    """

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        load_models_on_deploy: bool = True,
        server_factory: model_servers.ServerFactory | None = None,
        **knobs: Any,
    ):
        self._requested_port = port
        self._host = host
        self._start_knobs = Knobs().changed(knobs)
        self._load_models_on_deploy = load_models_on_deploy
        self._server_factory = server_factory or model_servers.serving_process_factory
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._workdir: tempfile.TemporaryDirectory | None = None
        self._running: state.Running | None = None
        self._faults: FaultInjector | None = None
        self.admin_credentials: iam_enforcement.Credentials | None = None

    # ------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return f"http://{self._host}:{self._server.server_address[1]}"

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self._requested_port

    def start(self) -> Emulator:
        """Serve on the port (0 picks a free one); returns once requests are accepted."""
        patch.install()
        workdir = tempfile.TemporaryDirectory(prefix="smgitops-emulator-")
        servers = model_servers.ModelServers(
            Path(workdir.name),
            self._server_factory,
            self._load_models_on_deploy,
            # An instance fetches its model with GetObject: injected latency delays it too.
            download_delay=lambda: latency_for(state.running().knobs, "GetObject"),
            interpreter=lambda model_dir, container: (
                model_servers.serving_environment(model_dir, container)
                if state.running().knobs.model_environments
                else None
            ),
        )
        running = state.Running(self._start_knobs, servers)
        try:
            state.start(running)
        except RuntimeError:  # another Emulator runs: leave it be
            workdir.cleanup()
            raise
        self._workdir, self._running = workdir, running
        moto_api_backend.reset()  # start empty, whatever this process did with moto before
        moto_app = JsonAuthErrors(DomainDispatcherApplication(create_backend_app))
        self._faults = FaultInjector(moto_app, lambda: running.knobs)
        app = ControlApi(self, self._faults)
        try:
            listener = _listen(self._host, self._requested_port)
        except OSError:
            self.stop()
            raise
        with listener:
            # werkzeug duplicates the descriptor; binding here keeps its bind errors (which
            # print and exit the process) out of the way: an OSError reaches the caller.
            self._server = make_server(
                self._host,
                listener.getsockname()[1],
                app,
                threaded=True,
                request_handler=_QuietRequestHandler,
                fd=listener.fileno(),
            )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="smgitops-emulator", daemon=True
        )
        self._thread.start()
        self._apply_iam_enforcement()
        return self

    def stop(self) -> None:
        """Stop serving, stop every model server, remove extracted models."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._running is not None:
            state.stop(self._running)
        if self._workdir is not None:
            self._workdir.cleanup()
        iam_enforcement.set_enforcement(False)
        self._server = self._thread = self._workdir = self._running = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget all AWS state, faults and calls, and return to the knobs it started with;
        running model servers are kept for reuse."""
        iam_enforcement.set_enforcement(False)
        moto_api_backend.reset()
        if self._running is not None:
            self._running.reset_knobs()
        if self._faults is not None:
            self._faults.clear_calls()
            self._faults.reseed()
        self._apply_iam_enforcement()

    # ------------------------------------------------------------ knobs

    def configure(self, **knobs: Any) -> None:
        """Change knobs (any of `Knobs`); None leaves a knob as it is. ValueError for an
        unknown knob or a bad value, and then none changes."""
        self._started().configure(knobs)
        if knobs.get("seed") is not None and self._faults is not None:
            self._faults.reseed()
        if knobs.get("enforce_iam") is not None:
            self._apply_iam_enforcement()

    def fail_next_updates(self, count: int = 1) -> None:
        """The next `count` UpdateEndpoint calls roll back: InService with a FailureReason."""
        self.configure(fail_next_updates=count)

    def fail_next_creates(self, count: int = 1) -> None:
        """The next `count` CreateEndpoint calls end Failed with a FailureReason."""
        self.configure(fail_next_creates=count)

    def knobs(self) -> dict[str, Any]:
        """The current knobs as JSON values (Knobs.view)."""
        return self._started().knobs.view()

    def calls(self) -> list[ApiCall]:
        """Every AWS request received since start/reset/clear, in order."""
        return self._faults.calls() if self._faults else []

    def clear_calls(self) -> None:
        if self._faults is not None:
            self._faults.clear_calls()

    def _started(self) -> state.Running:
        if self._running is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._running

    def _apply_iam_enforcement(self) -> None:
        enforce = self._running is not None and self._running.knobs.enforce_iam
        if enforce:
            self.admin_credentials = iam_enforcement.ensure_admin(ACCOUNT_ID)
        iam_enforcement.set_enforcement(enforce)
