"""The offline AWS: moto's server app behind fault injection and the control API.

with Emulator(port=0, transition_seconds=0.2) as emulator:
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
from smgitops.emulator.faults import ApiCall, FaultInjector

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


DEFAULT_TRANSITION_SECONDS = 1.0


class Emulator:
    """An in-process AWS emulator on 127.0.0.1 whose SageMaker endpoints run the real model.

    One per process at a time: moto's state is process-wide.
    """

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        transition_seconds: float = DEFAULT_TRANSITION_SECONDS,
        wait_scale: float = 1.0,
        enforce_iam: bool = False,
        load_models_on_deploy: bool = True,
        server_factory: model_servers.ServerFactory | None = None,
    ):
        self._requested_port = port
        self._host = host
        self._default_transition = transition_seconds
        self._default_wait_scale = wait_scale
        self._enforce_iam = self._enforce_iam_at_start = enforce_iam
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
            Path(workdir.name), self._server_factory, self._load_models_on_deploy
        )
        controls = state.EmulatorControls()
        controls.reset(self._default_transition, self._default_wait_scale)
        running = state.Running(controls, servers)
        try:
            state.start(running)
        except RuntimeError:  # another Emulator runs: leave it be
            workdir.cleanup()
            raise
        self._workdir, self._running = workdir, running
        moto_api_backend.reset()  # start empty, whatever this process did with moto before
        moto_app = JsonAuthErrors(DomainDispatcherApplication(create_backend_app))
        self._faults = FaultInjector(moto_app)
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
        """Forget all AWS state, faults and calls; running model servers are kept for reuse."""
        iam_enforcement.set_enforcement(False)
        self._enforce_iam = self._enforce_iam_at_start
        moto_api_backend.reset()
        if self._running is not None:
            self._running.controls.reset(self._default_transition, self._default_wait_scale)
        if self._faults is not None:
            self._faults.reset()
        self._apply_iam_enforcement()

    # ------------------------------------------------------------ knobs

    def configure(
        self,
        throttle_rate: float | None = None,
        throttle_services: list[str] | None = None,
        latency_seconds: float | None = None,
        seed: int | None = None,
        fail_next_updates: int | None = None,
        fail_next_creates: int | None = None,
        transition_seconds: float | None = None,
        wait_scale: float | None = None,
        enforce_iam: bool | None = None,
        instance_quotas: dict[str, int] | None = None,
        latency_operations: list[str] | None = None,
    ) -> None:
        """Change fault injection and lifecycle knobs; None leaves a knob as it is."""
        assert self._faults is not None and self._running, "start() the emulator first"
        controls = self._running.controls
        self._faults.configure(
            throttle_rate, throttle_services, latency_seconds, seed, latency_operations
        )
        with controls.lock:
            if fail_next_updates is not None:
                controls.fail_next_updates = int(fail_next_updates)
            if fail_next_creates is not None:
                controls.fail_next_creates = int(fail_next_creates)
            if transition_seconds is not None:
                if transition_seconds < 0:
                    raise ValueError("transition_seconds must be >= 0")
                controls.transition_seconds = float(transition_seconds)
            if wait_scale is not None:
                if wait_scale < 0:
                    raise ValueError("wait_scale must be >= 0")
                controls.wait_scale = float(wait_scale)
            if instance_quotas is not None:
                controls.instance_quotas = {str(k): int(v) for k, v in instance_quotas.items()}
        if enforce_iam is not None:
            self._enforce_iam = bool(enforce_iam)
            self._apply_iam_enforcement()

    def fail_next_updates(self, count: int = 1) -> None:
        """The next `count` UpdateEndpoint calls roll back: InService with a FailureReason."""
        self.configure(fail_next_updates=count)

    def fail_next_creates(self, count: int = 1) -> None:
        """The next `count` CreateEndpoint calls end Failed with a FailureReason."""
        self.configure(fail_next_creates=count)

    def knobs(self) -> dict[str, Any]:
        assert self._faults is not None and self._running, "start() the emulator first"
        controls = self._running.controls
        return {
            **self._faults.settings.as_dict(),
            "fail_next_updates": controls.fail_next_updates,
            "fail_next_creates": controls.fail_next_creates,
            "transition_seconds": controls.transition_seconds,
            "wait_scale": controls.wait_scale,
            "enforce_iam": self._enforce_iam,
            "instance_quotas": dict(controls.instance_quotas),
        }

    def calls(self) -> list[ApiCall]:
        """Every AWS request received since start/reset/clear, in order."""
        return self._faults.calls() if self._faults else []

    def clear_calls(self) -> None:
        if self._faults is not None:
            self._faults.clear_calls()

    def _apply_iam_enforcement(self) -> None:
        if self._enforce_iam:
            self.admin_credentials = iam_enforcement.ensure_admin(ACCOUNT_ID)
        iam_enforcement.set_enforcement(self._enforce_iam)
