"""The process model: one supervisor, N worker processes sharing one listening socket.

The supervisor binds the port, forks the workers and watches them. Each worker serves
HTTP at once (so /ping can answer 503 while loading) and runs model_fn on its inference
thread. /ping turns 200 only when every worker has loaded its model. If any model_fn fails,
the supervisor stops all workers and exits 1 with one line. On SIGTERM/SIGINT it closes its
copy of the socket, forwards SIGTERM and waits while the workers drain in-flight requests.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

from smgitops.serving.settings import ServingSettings

log = logging.getLogger("smgitops.serving")

# SageMaker sends SIGKILL 30 s after SIGTERM; drain within that.
DRAIN_SECONDS = 25.0
KILL_GRACE_SECONDS = 28.0


class ServerFailed(Exception):
    """The server could not start or a worker failed to load the model; one-line message."""


@dataclass(frozen=True)
class WorkerReport:
    kind: str  # "ready" or "failed"
    reason: str = ""


def configure_logging() -> None:
    level = os.environ.get("SMGITOPS_LOG_LEVEL", "info").upper()
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(process)d %(levelname)s %(message)s",
        force=True,
    )
    # uvicorn's own start/stop chatter is noise next to our lines.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).setLevel(logging.WARNING)


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ServerFailed(f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _ignore_signal(signum: int, frame: Any) -> None:
    """Workers' baseline handler: uvicorn re-raises the signal after draining; exit cleanly."""


def _worker_main(
    sock: socket.socket,
    settings: ServingSettings,
    conn: multiprocessing.connection.Connection,
    all_ready: Any,
) -> None:
    import uvicorn

    from smgitops.serving.app import create_app
    from smgitops.serving.host import ModelHost

    signal.set_wakeup_fd(-1)  # the supervisor's wake-up socket is not ours
    signal.signal(signal.SIGTERM, _ignore_signal)
    signal.signal(signal.SIGINT, _ignore_signal)
    configure_logging()
    server: uvicorn.Server | None = None

    def loaded() -> None:
        conn.send(WorkerReport("ready"))

    def load_failed(reason: str) -> None:
        conn.send(WorkerReport("failed", reason))
        if server is not None:
            server.should_exit = True

    host = ModelHost(settings, on_loaded=loaded, on_load_failed=load_failed)
    app = create_app(host, is_ready=lambda: all_ready.value == 1)
    config = uvicorn.Config(
        app,
        loop=_available("uvloop", fallback="asyncio"),
        http=_available("httptools", fallback="h11", name="httptools"),
        lifespan="on",
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=int(DRAIN_SECONDS),
        timeout_keep_alive=75,
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])


def _available(module: str, *, fallback: str, name: str | None = None) -> str:
    try:
        __import__(module)
    except ImportError:
        return fallback
    return name or module


class Supervisor:
    def __init__(self, settings: ServingSettings, host: str) -> None:
        self.settings = settings
        self.host = host
        self._context = multiprocessing.get_context("fork")
        self._all_ready = self._context.RawValue("b", 0)
        self._workers: dict[multiprocessing.connection.Connection, BaseProcess] = {}
        self._sock: socket.socket | None = None
        self._stopping = False

    def _spawn(self) -> None:
        assert self._sock is not None
        receiver, sender = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_worker_main,
            args=(self._sock, self.settings, sender, self._all_ready),
            daemon=False,
        )
        process.start()
        sender.close()
        self._workers[receiver] = process

    def run(self) -> None:
        """Serve until a signal asks to stop; raises ServerFailed when loading fails."""
        self._sock = bind_socket(self.host, self.settings.port)
        port = self._sock.getsockname()[1]
        wake_reader, wake_writer = socket.socketpair()
        wake_writer.setblocking(False)
        signal.set_wakeup_fd(wake_writer.fileno())
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._request_stop)
        try:
            for _ in range(self.settings.workers):
                self._spawn()
            log.info(
                "serving %s on %s:%d with %d worker(s)",
                self.settings.model_dir,
                self.host,
                port,
                self.settings.workers,
            )
            self._supervise(wake_reader)
        finally:
            self._shutdown()
            signal.set_wakeup_fd(-1)
            wake_reader.close()
            wake_writer.close()

    def _request_stop(self, signum: int, frame: Any) -> None:
        self._stopping = True

    def _supervise(self, wake_reader: socket.socket) -> None:
        ready = 0
        while not self._stopping:
            sentinels = {process.sentinel: conn for conn, process in self._workers.items()}
            waitables = [*self._workers, *sentinels, wake_reader]
            for item in multiprocessing.connection.wait(waitables):
                if item is wake_reader:
                    wake_reader.recv(64)
                elif item in self._workers:
                    ready += self._on_report(item)
                    if ready == self.settings.workers and self._all_ready.value == 0:
                        self._all_ready.value = 1
                        log.info("ready: model loaded in %d worker(s)", ready)
            for conn, process in list(self._workers.items()):
                if not process.is_alive() and not self._stopping:
                    self._on_worker_exit(conn, process)

    def _on_report(self, conn: multiprocessing.connection.Connection) -> int:
        """Read what a worker reported; the number of "ready" reports. A closed pipe reads
        as nothing (the worker's exit is handled through its sentinel)."""
        ready = 0
        while True:
            try:
                if not conn.poll():
                    return ready
                report: WorkerReport = conn.recv()
            except (EOFError, OSError):
                return ready
            if report.kind == "failed":
                raise ServerFailed(report.reason)
            ready += 1

    def _on_worker_exit(self, conn: multiprocessing.connection.Connection, process: Any) -> None:
        self._on_report(conn)  # a failure report may still sit in the pipe
        del self._workers[conn]
        conn.close()
        if self._all_ready.value == 0:
            raise ServerFailed(
                f"a worker exited with code {process.exitcode} before the model was loaded"
            )
        # A worker that died while serving (e.g. killed for memory) is replaced.
        log.error(
            "worker %d exited with code %s; starting a new one", process.pid, process.exitcode
        )
        self._spawn()

    def _shutdown(self) -> None:
        if self._sock is not None:
            self._sock.close()  # the workers' copies keep serving while they drain
        for process in self._workers.values():
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + KILL_GRACE_SECONDS
        for process in self._workers.values():
            process.join(max(deadline - time.monotonic(), 0))
            if process.is_alive():
                process.kill()
                process.join()
        for conn in self._workers:
            conn.close()
        self._workers.clear()


def run_server(settings: ServingSettings, host: str = "0.0.0.0") -> None:
    """Run the serving stack in this process until SIGTERM/SIGINT; ServerFailed on failure."""
    configure_logging()
    if not settings.model_dir.is_dir():
        raise ServerFailed(f"model directory {settings.model_dir} does not exist")
    Supervisor(settings, host).run()
