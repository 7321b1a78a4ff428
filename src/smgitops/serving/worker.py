"""One worker process: loads the model and serves the connections the supervisor hands it.

The supervisor accepts every connection and passes the socket over a Unix socket pair
(SCM_RIGHTS), round robin. Workers therefore never race each other on accept(), which would
let one worker take a whole burst of keep-alive connections and leave the other idle.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing.connection
import os
import signal
import socket
from dataclasses import dataclass
from typing import Any

import uvicorn

from smgitops.serving.app import create_app
from smgitops.serving.gpus import gpu_for_worker, visible_gpu_count
from smgitops.serving.host import ModelHost
from smgitops.serving.protocol import BoundedHttpToolsProtocol
from smgitops.serving.settings import ServingSettings

log = logging.getLogger("smgitops.serving")

# SageMaker sends SIGKILL 30 s after SIGTERM; drain within that.
DRAIN_SECONDS = 25
# Connections received per read of the hand-over channel.
MAX_FDS_PER_MESSAGE = 64
# Seconds an idle connection is kept between requests: longer than a front end's own idle
# timeout (an AWS load balancer's default is 60 s), so the front end closes first and never
# sends a request on a connection this end is closing.
KEEP_ALIVE_SECONDS = 75


@dataclass(frozen=True)
class WorkerReport:
    kind: str  # "ready" or "failed"
    reason: str = ""


def _available(module: str, fallback: str) -> str:
    try:
        __import__(module)
    except ImportError:
        return fallback
    return module


class HandedOverServer(uvicorn.Server):
    """uvicorn serving sockets received on `channel` instead of listening itself, each with
    the bounded protocol (protocol.py) for `settings`."""

    def __init__(
        self, config: uvicorn.Config, channel: socket.socket, settings: ServingSettings
    ) -> None:
        super().__init__(config)
        self.channel = channel
        self.settings = settings
        self._handshakes: set[asyncio.Task[Any]] = set()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the lifespan runs; no listener of our own
        if self.should_exit:
            return
        loop = asyncio.get_running_loop()
        config = self.config

        def create_protocol() -> asyncio.Protocol:
            return BoundedHttpToolsProtocol(
                config=config,
                server_state=self.server_state,
                app_state=self.lifespan.state,
                _loop=loop,
                settings=self.settings,
            )

        def receive() -> None:
            while True:
                try:
                    data, fds, _, _ = socket.recv_fds(self.channel, 1, MAX_FDS_PER_MESSAGE)
                except (BlockingIOError, InterruptedError):
                    return
                except OSError:
                    data, fds = b"", []
                if not data:  # the supervisor is gone: finish what we have and exit
                    loop.remove_reader(self.channel.fileno())
                    self.should_exit = True
                    return
                if not fds:  # the kernel dropped it (e.g. this process is out of descriptors)
                    log.error("a connection handed over was lost (out of file descriptors?)")
                for fd in fds:
                    connection = socket.socket(fileno=fd)
                    connection.setblocking(False)
                    task = loop.create_task(
                        loop.connect_accepted_socket(create_protocol, connection)
                    )
                    self._handshakes.add(task)  # keep a reference until it is done
                    task.add_done_callback(self._handshakes.discard)

        self.channel.setblocking(False)
        loop.add_reader(self.channel.fileno(), receive)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Take no more connections, then let uvicorn drain the ones in flight.
        asyncio.get_running_loop().remove_reader(self.channel.fileno())
        self.channel.close()
        await super().shutdown(sockets=[])


# Thread-pool sizes of the native libraries models use, read when a library loads.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def pin_to_cpu(cpu: int) -> None:
    """Keep this worker (and the threads it starts) on one CPU; native thread pools default
    to one thread there, since more threads on one CPU only take turns (OpenMP and OpenBLAS
    threads spin while they wait). A value the user set in the environment wins."""
    os.sched_setaffinity(0, {cpu})
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")


def _ignore_signal(signum: int, frame: Any) -> None:
    """Baseline handler: uvicorn re-raises the signal after draining; then exit cleanly."""


def run_worker(
    channel: socket.socket,
    inherited: list[socket.socket],
    settings: ServingSettings,
    reports: multiprocessing.connection.Connection,
    all_ready: Any,
    cpu: int | None = None,
    slot: int = 0,
) -> None:
    """Body of a worker process (forked by the supervisor); `cpu`: the CPU to stay on,
    `slot`: its place among the workers (which GPU its handlers are given)."""
    signal.set_wakeup_fd(-1)  # the supervisor's wake-up socket is not ours
    signal.signal(signal.SIGTERM, _ignore_signal)
    signal.signal(signal.SIGINT, _ignore_signal)
    for sock in inherited:  # the listener and other workers' channels belong elsewhere
        sock.close()
    # Thread pools the user sized are left alone, including those already loaded.
    threads_sized_by_user = any(name in os.environ for name in THREAD_VARIABLES)
    if cpu is not None:
        pin_to_cpu(cpu)
    server: HandedOverServer | None = None

    def loaded() -> None:
        reports.send(WorkerReport("ready"))

    def load_failed(reason: str) -> None:
        reports.send(WorkerReport("failed", reason))
        if server is not None:
            server.should_exit = True

    host = ModelHost(
        settings,
        on_loaded=loaded,
        on_load_failed=load_failed,
        native_threads=None if cpu is None or threads_sized_by_user else 1,
        gpu_id=gpu_for_worker(slot, visible_gpu_count(os.environ)),
    )
    app = create_app(host, is_ready=lambda: all_ready.value == 1)
    config = uvicorn.Config(
        app,
        loop=_available("uvloop", fallback="asyncio"),
        # Our protocol (httptools) is built in HandedOverServer; this names the same parser.
        http="httptools",
        ws="none",  # the contract is plain HTTP; an Upgrade request is served as one
        lifespan="on",
        access_log=False,
        proxy_headers=False,  # no proxy in front whose X-Forwarded-* we would trust
        log_config=None,
        timeout_graceful_shutdown=DRAIN_SECONDS,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    server = HandedOverServer(config, channel, settings)
    server.run()
