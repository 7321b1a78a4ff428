"""The model servers behind the emulated endpoints: one local serving process per model content.

For each (model data URL, object ETag, environment) the tarball is fetched from the emulated S3,
extracted, and served by one process running the project's serving stack (what the container
image runs), started once and reused until the emulator stops. The same pool checks a config
before it goes InService (`prepare`), as SageMaker's instances would fail their ping.
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from smgitops.emulator import artifacts
from smgitops.emulator.served import ServedConfig, ServedContainer, ServedVariant
from smgitops.serving.process import ServerStartFailed

_log = logging.getLogger(__name__)
# Least recently used model servers beyond this many are stopped (restarted on next use).
MAX_RUNNING_SERVERS = 6


class ModelServer(Protocol):
    url: str

    def start(self) -> ModelServer: ...

    def stop(self) -> None: ...


# (model directory, container environment) -> an unstarted server.
ServerFactory = Callable[[Path, dict[str, str]], ModelServer]


def serving_process_factory(model_dir: Path, environment: dict[str, str]) -> ModelServer:
    """The project's serving stack as a local process (what the container image runs)."""
    from smgitops.serving.process import ServingProcess

    return ServingProcess(model_dir, port=0, workers=1, env=environment)


# DescribeEndpoint's FailureReason holds at most 1024 characters (SageMaker API reference).
MAX_FAILURE_REASON = 1024


def _model_error(text: str) -> str:
    """The model's own words, without the emulator's scratch paths: `code/inference.py`."""
    text = text.split(" failed to start: ", 1)[-1]
    return re.sub(r"/\S*/(code/\S+)", r"\1", text)


class ModelLoadFailed(Exception):
    """The model's serving process did not come up (the container would fail its ping)."""


class ModelServers:
    """Running model servers keyed by (data URL, ETag, environment); stopped by `stop_all`."""

    def __init__(
        self,
        workdir: Path,
        factory: ServerFactory,
        load_on_deploy: bool = True,
        max_running: int = MAX_RUNNING_SERVERS,
    ):
        self._workdir = workdir
        self._factory = factory
        self._load_on_deploy = load_on_deploy
        self._max_running = max_running
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[str, ...], threading.Lock] = {}
        self._servers: OrderedDict[tuple[str, ...], ModelServer] = OrderedDict()
        self._failures: dict[tuple[str, ...], str] = {}
        self._closed = False

    def server_for(self, account: str, region: str, container: ServedContainer) -> ModelServer:
        """The running server for a container, starting it on first use."""
        ref = artifacts.parse_s3_url(container.model_data_url or "")
        etag = container.model_data_etag or ""
        # Keyed by content, not model name: endpoints of one model share its server.
        environment = repr(sorted(dict(container.environment).items()))
        key = (account, container.model_data_url or "", etag, environment)
        with self._lock:
            if key in self._servers:
                self._servers.move_to_end(key)
                return self._servers[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._servers:
                    return self._servers[key]
                if key in self._failures:
                    raise ModelLoadFailed(self._failures[key])
            found = artifacts.read_s3_object(account, region, ref) if ref else None
            # Only the deployed content may be extracted (the object may have changed since).
            tarball = found[0] if found and found[1] == container.model_data_etag else None
            server = self._start(key, container, tarball)
            with self._lock:
                if self._closed:
                    # stop_all ran while this server started: do not leave it running.
                    _close(server)
                    raise ModelLoadFailed("the emulator is stopping")
                self._servers[key] = server
                evicted = []
                while len(self._servers) > self._max_running:
                    evicted.append(self._servers.popitem(last=False)[1])
        for old in evicted:
            _close(old)
        return server

    def _start(
        self, key: tuple[str, ...], container: ServedContainer, tarball: bytes | None
    ) -> ModelServer:
        model_dir = self._workdir / f"model-{abs(hash(key)):x}"
        if not model_dir.exists():
            # Extract beside it and rename, so a failed extraction never leaves a half model.
            staging = model_dir.with_name(model_dir.name + ".partial")
            shutil.rmtree(staging, ignore_errors=True)
            if tarball is not None:
                artifacts.extract_model_tarball(tarball, staging)
            else:
                staging.mkdir(parents=True)
            staging.rename(model_dir)
        server = self._factory(model_dir, dict(container.environment))
        try:
            return server.start()
        except ServerStartFailed as error:
            with self._lock:
                self._failures[key] = str(error)
            _log.warning("model %s did not load: %s", container.model_name, error)
            raise ModelLoadFailed(str(error)) from error

    def prepare(self, account: str, region: str, served: ServedConfig) -> str | None:
        """Why this config cannot serve (as SageMaker's FailureReason), or None if it can."""
        for variant in served.variants:
            reason = self._check_variant(account, region, variant)
            if reason is not None:
                return reason
        return None

    def _check_variant(self, account: str, region: str, variant: ServedVariant) -> str | None:
        container = variant.container
        if container.image and not artifacts.image_exists(container.image):
            return f"Requested image {container.image} not found."
        if container.model_data_url:
            ref = artifacts.parse_s3_url(container.model_data_url)
            if ref is None or artifacts.s3_object_etag(account, region, ref) is None:
                return (
                    'Failed to download model data for container "container_1" from URL: '
                    f'"{container.model_data_url}". Please ensure that there is an object '
                    "located at the URL and that the role passed to CreateModel has permissions "
                    "to download the object."
                )
        if self._load_on_deploy:
            try:
                self.server_for(account, region, container)
            except (ModelLoadFailed, artifacts.UnsafeArchive) as error:
                # AWS's sentence, then what AWS would only show in CloudWatch Logs: the model's
                # own error line (offline, FailureReason is the one place to read it).
                reason = (
                    f"The primary container for production variant {variant.name} did not pass "
                    "the ping health check. Please check CloudWatch logs for this endpoint. "
                    f"(emulator: the model's error: {_model_error(str(error))})"
                )
                return reason[:MAX_FAILURE_REASON]
        return None

    def stop_all(self) -> None:
        with self._lock:
            self._closed = True
            servers = list(self._servers.values())
            self._servers.clear()
            self._failures.clear()
        for server in servers:
            _close(server)


def _close(server: ModelServer) -> None:
    # close() also removes the server's log file when the implementation has one.
    getattr(server, "close", server.stop)()
