"""Run the real serving stack (`python -m smgitops serve`) as a local process.

The emulator serves deployed models with it, and tests use it to talk real HTTP to the
stack the container runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from smgitops.serving.supervisor import listening_line

STOP_GRACE_SECONDS = 30.0
PORT_ATTEMPTS = 3


class ServerStartFailed(Exception):
    """The model server did not come up (its reason, from its own log, is the message). A
    library error: the CLI shows it as one line, the emulator as the model's failure."""


class PortTaken(Exception):
    """The picked port was taken before the server could bind it."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def failure_reason(log_text: str) -> str:
    """The server's one-line reason from its log: the last `Error: ...` line. No side effects."""
    lines = [line.strip() for line in log_text.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("Error: "):
            return line.removeprefix("Error: ")
    return lines[-1] if lines else "no output"


class ServingProcess:
    """`smgitops serve` for one model directory, as a child process.

    >>> with ServingProcess(model_dir, workers=2) as server:
    ...     urllib.request.urlopen(server.url + "/ping")
    """

    def __init__(
        self,
        model_dir: Path,
        *,
        port: int = 0,
        workers: int = 1,
        env: dict[str, str] | None = None,
        startup_timeout: float = 60.0,
        python: str | None = None,
    ) -> None:
        self.model_dir = Path(model_dir)
        # The interpreter that runs it: a model's serving environment (model_env), or this one.
        self.python = python or sys.executable
        self.port = port
        self.workers = workers
        self.env = dict(env or {})
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None
        self._group_reaped = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def returncode(self) -> int | None:
        return self._process.poll() if self._process else None

    def logs(self) -> str:
        """Everything the server wrote to stdout/stderr so far."""
        if self._log_path is None or not self._log_path.exists():
            return ""
        return self._log_path.read_text(errors="replace")

    def start(self) -> ServingProcess:
        """Spawn the server and wait for /ping 200; ServerStartFailed (its reason) if it fails."""
        if self._process is not None:
            raise RuntimeError("ServingProcess already started")
        pick_port = self.port == 0
        for attempt in range(1, PORT_ATTEMPTS + 1):
            if pick_port:
                self.port = free_port()
            try:
                self._spawn_and_wait()
                return self
            except PortTaken:
                # Another process took the free port between the pick and the bind.
                if not pick_port or attempt == PORT_ATTEMPTS:
                    raise ServerStartFailed(
                        f"model server for {self.model_dir} failed to start: "
                        f"port {self.port} is in use"
                    ) from None
        raise AssertionError("unreachable")

    def _spawn_and_wait(self) -> None:
        self.stop()
        self._process = None
        self._group_reaped = False
        # A file, not a pipe: nobody reads while it runs, and a full pipe would block it.
        descriptor, log_name = tempfile.mkstemp(prefix="smgitops-serve-", suffix=".log")
        self._log_path = Path(log_name)
        command = [
            self.python,
            "-m",
            "smgitops",
            "serve",
            "--model-dir",
            str(self.model_dir),
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--host",
            "127.0.0.1",
        ]
        with os.fdopen(descriptor, "wb") as log_file:
            self._process = subprocess.Popen(
                command,
                env={**os.environ, **self.env},
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() reaches the workers
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        # Only a server that says it bound this port counts: a ping alone could be
        # answered by another process that took the port first.
        listening = listening_line("127.0.0.1", self.port)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process.wait()
                reason = failure_reason(self.logs())
                if "Address already in use" in reason:
                    raise PortTaken(reason)
                raise ServerStartFailed(
                    f"model server for {self.model_dir} failed to start: {reason}"
                )
            if listening in self.logs() and self._ping() == 200:
                return
            time.sleep(0.05)
        raise ServerStartFailed(
            f"model server for {self.model_dir} was not ready within "
            f"{self.startup_timeout:g} s: {failure_reason(self.logs())}"
        )

    def _ping(self) -> int | None:
        try:
            with urllib.request.urlopen(self.url + "/ping", timeout=2) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return None

    def _signal_group(self, signum: int) -> None:
        assert self._process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signum)

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM (in-flight requests drain), wait, SIGKILL after the grace period; then
        delete the log."""
        process = self._process
        if process is not None and process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                process.wait()
        if process is not None and not self._group_reaped:
            # Workers left behind by a killed supervisor share its process group.
            self._signal_group(signal.SIGKILL)
            self._group_reaped = True
        if self._log_path is not None:
            self._log_path.unlink(missing_ok=True)
            self._log_path = None

    close = stop

    def __enter__(self) -> ServingProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
