"""The process model: one supervisor that accepts connections, N workers that serve them.

The supervisor binds the port, forks the workers and hands each accepted connection to the
next worker in turn. Each worker serves HTTP at once (so /ping can answer 503 while loading)
and runs model_fn on its inference thread; /ping turns 200 when every worker has loaded its
model. If a model_fn fails, the supervisor stops all workers and exits 1 with one line. A
worker that dies later is replaced. On SIGTERM/SIGINT the supervisor stops accepting,
forwards SIGTERM and waits while the workers drain in-flight requests.
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
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

from smgitops.serving.settings import ServingSettings, usable_cpu_ids, worker_cpus

log = logging.getLogger("smgitops.serving")

KILL_GRACE_SECONDS = 28.0  # under SageMaker's 30 s between SIGTERM and SIGKILL


def listening_line(host: str, port: int) -> str:
    """What `smgitops serve` prints on stdout once the port is bound. No side effects."""
    return f"listening on {host}:{port}"


class ServerFailed(Exception):
    """The server could not start or a worker failed to load the model; one-line message."""


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


def bind_listener(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ServerFailed(f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


@dataclass
class Worker:
    process: BaseProcess
    reports: multiprocessing.connection.Connection  # "ready" / "failed" from the worker
    channel: socket.socket  # accepted connections go to the worker through this
    cpu: int | None = None  # the CPU it is pinned to, if any
    slot: int = 0  # its place among the workers (a replacement takes the same), for its GPU


class Supervisor:
    def __init__(
        self,
        settings: ServingSettings,
        host: str,
        on_listening: Callable[[str, int], None] = lambda host, port: None,
    ) -> None:
        self.settings = settings
        self.host = host
        self._on_listening = on_listening
        self._context = multiprocessing.get_context("fork")
        self._all_ready = self._context.RawValue("b", 0)
        self._workers: list[Worker] = []
        self._listener: socket.socket | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None
        self._next = 0
        self._ready_reports = 0
        self._stopping = False
        self._cpus: list[int | None] = [None] * settings.workers

    # ------------------------------------------------------------------ workers

    def _spawn(self, cpu: int | None = None, slot: int = 0) -> None:
        from smgitops.serving.worker import run_worker

        # One byte per message, each carrying one connection (SCM_RIGHTS); a stream socket
        # pair keeps that portable (macOS has no SOCK_SEQPACKET).
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        receiver, sender = self._context.Pipe(duplex=False)
        inherited = [w.channel for w in self._workers]
        if self._listener is not None:
            inherited.append(self._listener)
        if self._wake is not None:
            inherited.extend(self._wake)
        inherited.append(ours)
        process = self._context.Process(
            target=run_worker,
            args=(theirs, inherited, self.settings, sender, self._all_ready, cpu, slot),
        )
        process.start()
        theirs.close()
        sender.close()
        ours.settimeout(1.0)  # a wedged worker must not stall accepting for the others
        self._workers.append(Worker(process, receiver, ours, cpu, slot))

    def _read_reports(self, worker: Worker) -> None:
        """Count "ready" reports; a "failed" one stops the server. A closed pipe reads as
        nothing (the worker's exit is handled through its sentinel)."""
        while True:
            try:
                if not worker.reports.poll():
                    return
                report = worker.reports.recv()
            except (EOFError, OSError):
                return
            if report.kind == "failed":
                raise ServerFailed(report.reason)
            self._ready_reports += 1
            if self._ready_reports >= self.settings.workers and self._all_ready.value == 0:
                self._all_ready.value = 1
                log.info("ready: model loaded in %d worker(s)", self.settings.workers)

    def _on_worker_exit(self, worker: Worker) -> None:
        self._read_reports(worker)  # a failure report may still sit in the pipe
        self._workers.remove(worker)
        worker.reports.close()
        worker.channel.close()
        code = worker.process.exitcode
        if self._all_ready.value == 0:
            raise ServerFailed(f"a worker exited with code {code} before the model was loaded")
        # A worker that died while serving (e.g. killed for memory) is replaced.
        log.error("worker %d exited with code %s; starting a new one", worker.process.pid, code)
        self._spawn(worker.cpu, worker.slot)

    # ------------------------------------------------------------------ connections

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                connection, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # e.g. out of file descriptors: try again later
                log.error("accept failed: %s", error)
                return
            with connection:
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._hand_over(connection)

    def _hand_over(self, connection: socket.socket) -> None:
        """Pass the connection to the next worker in turn (skipping any that cannot take it)."""
        for _ in range(len(self._workers)):
            worker = self._workers[self._next % len(self._workers)]
            self._next += 1
            try:
                socket.send_fds(worker.channel, [b"c"], [connection.fileno()])
                return
            except OSError:
                continue
        log.error("no worker could take a connection; closing it")

    # ------------------------------------------------------------------ lifecycle

    def run(self) -> None:
        """Serve until a signal asks to stop; raises ServerFailed when loading fails."""
        self._listener = bind_listener(self.host, self.settings.port)
        port = self._listener.getsockname()[1]
        self._on_listening(self.host, port)
        wake_reader, wake_writer = socket.socketpair()
        self._wake = (wake_reader, wake_writer)
        wake_writer.setblocking(False)
        signal.set_wakeup_fd(wake_writer.fileno())
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._request_stop)
        try:
            self._cpus = worker_cpus(self.settings, usable_cpu_ids())
            for slot, cpu in enumerate(self._cpus):
                self._spawn(cpu, slot)
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
        assert self._listener is not None
        while not self._stopping:
            by_handle: dict[Any, Worker] = {}
            for worker in self._workers:
                by_handle[worker.reports] = worker
                by_handle[worker.process.sentinel] = worker
            ready = multiprocessing.connection.wait([self._listener, wake_reader, *by_handle])
            for item in ready:
                if item is wake_reader:
                    wake_reader.recv(64)
                elif item is self._listener:
                    if not self._stopping:
                        self._accept()
                elif item in by_handle and by_handle[item] in self._workers:
                    worker = by_handle[item]
                    self._read_reports(worker)
                    if not worker.process.is_alive() and not self._stopping:
                        self._on_worker_exit(worker)

    def _shutdown(self) -> None:
        if self._listener is not None:
            self._listener.close()  # refuse new connections at once
        for worker in self._workers:
            worker.channel.close()
            if worker.process.is_alive() and worker.process.pid is not None:
                os.kill(worker.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + KILL_GRACE_SECONDS
        for worker in self._workers:
            worker.process.join(max(deadline - time.monotonic(), 0))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.reports.close()
        self._workers.clear()


def run_server(
    settings: ServingSettings,
    host: str = "0.0.0.0",
    on_listening: Callable[[str, int], None] = lambda host, port: None,
) -> None:
    """Run the serving stack in this process until SIGTERM/SIGINT; ServerFailed on failure.

    `on_listening(host, port)` is called once the port is bound (before any model loads).
    """
    configure_logging()
    if not settings.model_dir.is_dir():
        raise ServerFailed(f"model directory {settings.model_dir} does not exist")
    Supervisor(settings, host, on_listening).run()
