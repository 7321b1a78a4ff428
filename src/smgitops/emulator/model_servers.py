"""The model servers behind the emulated endpoints: one local serving process per model content.

For each (model data URL, object ETag, environment) the tarball is fetched from the emulated S3,
extracted (with the code of an `s3://` SAGEMAKER_SUBMIT_DIRECTORY in its `code/`), and served
by one process running the project's serving stack (what the container image runs), started
once and reused until the emulator stops. The same pool checks a config before it goes
InService (`prepare`), as SageMaker's instances would fail their ping: within the variant's
ModelDataDownloadTimeoutInSeconds and ContainerStartupHealthCheckTimeoutInSeconds (limits.py).
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from smgitops.artifacts.locks import SERVE_LOCK
from smgitops.emulator import artifacts, limits
from smgitops.emulator.limits import StartupTimeouts
from smgitops.emulator.served import ServedConfig, ServedContainer, ServedVariant
from smgitops.serving.process import ServerStartFailed

_log = logging.getLogger(__name__)
# Least recently used model servers beyond this many are stopped (restarted on next use).
MAX_RUNNING_SERVERS = 6


class ModelServer(Protocol):
    url: str

    def start(self) -> ModelServer: ...

    def stop(self) -> None: ...


# (model directory, container environment, seconds to pass /ping, interpreter or None for
# the emulator's own) -> an unstarted server.
ServerFactory = Callable[[Path, dict[str, str], float, str | None], ModelServer]
# The interpreter a container's model runs with (None: the emulator's own); model_env.
Interpreter = Callable[[Path, ServedContainer], str | None]
# Real seconds the instance's model download (an S3 GetObject) is delayed by (latency knobs).
DownloadDelay = Callable[[], float]
DEFAULT_TIMEOUTS = limits.startup_timeouts(False, None, None, timeout_scale=1.0)


def serving_process_factory(
    model_dir: Path,
    environment: dict[str, str],
    startup_timeout: float = 60.0,
    python: str | None = None,
) -> ModelServer:
    """The project's serving stack as a local process (what the container image runs): as
    many workers as the container's SAGEMAKER_MODEL_SERVER_WORKERS asks (one otherwise,
    where a container would start one per CPU), passing /ping within `startup_timeout`, run
    by `python` (a model's serving environment; None: this interpreter)."""
    from smgitops.serving.process import ServingProcess

    return ServingProcess(
        model_dir,
        port=0,
        workers=_workers(environment),
        env=environment,
        startup_timeout=startup_timeout,
        python=python,
    )


def serving_environment(model_dir: Path, container: ServedContainer) -> str | None:
    """The interpreter of the serving environment a model on the project's image has: its
    `code/requirements.txt` under the locks of the checkout smgitops runs from (model_env).
    None (the emulator's own Python) for a model on an AWS-owned image or on one built FROM
    it (registered with its base image), whose framework container has its own packages, and
    when smgitops does not run from a checkout. ModelLoadFailed (one line) when it cannot be
    built, as the image would not build."""
    from smgitops.artifacts import model_env

    project = model_env.SOURCE_ROOT.parent
    if (
        artifacts.is_aws_image(container.image)
        or artifacts.registered_base_image(container.image) is not None
        or not (project / SERVE_LOCK).is_file()
    ):
        return None
    requirements = model_dir / artifacts.CODE_DIR / "requirements.txt"
    try:
        spec = model_env.spec_for(project, requirements, "code/requirements.txt")
        return str(model_env.ensure(spec, progress=_log.info))
    except model_env.EnvironmentFailed as failure:
        raise ModelLoadFailed(str(failure)) from None


def _workers(environment: dict[str, str]) -> int:
    # An unusable value starts one worker.
    text = environment.get("SAGEMAKER_MODEL_SERVER_WORKERS", "").strip()
    return int(text) if text.isdigit() and int(text) >= 1 else 1


# DescribeEndpoint's FailureReason holds at most 1024 characters (SageMaker API reference).
MAX_FAILURE_REASON = 1024


def _model_error(text: str) -> str:
    """The model's own words, without the emulator's scratch paths (`code/inference.py`); a
    server that only ran out of time says so, not its last log line."""
    slow = re.match(r"model server for \S+ (was not ready within [\d.]+ s)", text)
    if slow:
        return f"the model server {slow.group(1)}"
    text = text.split(" failed to start: ", 1)[-1]
    return re.sub(r"/\S*/(code/\S+)", r"\1", text)


class ModelLoadFailed(Exception):
    """The model's serving process did not come up (the container would fail its ping)."""


class DownloadTimedOut(Exception):
    """The model data (and code) took longer than the variant's download timeout."""


class ModelServers:
    """Running model servers keyed by (data URL, ETag, environment); stopped by `stop_all`."""

    def __init__(
        self,
        workdir: Path,
        factory: ServerFactory,
        load_on_deploy: bool = True,
        max_running: int = MAX_RUNNING_SERVERS,
        download_delay: DownloadDelay = lambda: 0.0,
        interpreter: Interpreter = lambda _dir, _container: None,
    ):
        self._workdir = workdir
        self._factory = factory
        self._load_on_deploy = load_on_deploy
        self._max_running = max_running
        self._download_delay = download_delay
        self._interpreter = interpreter
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[str, ...], threading.Lock] = {}
        self._servers: OrderedDict[tuple[str, ...], ModelServer] = OrderedDict()
        # (content key, seconds to pass /ping) -> why it did not load.
        self._failures: dict[tuple[tuple[str, ...], float], str] = {}
        # content key -> real seconds its running server took to pass /ping.
        self._startup_seconds: dict[tuple[str, ...], float] = {}
        self._closed = False

    def server_for(
        self,
        account: str,
        region: str,
        container: ServedContainer,
        timeouts: StartupTimeouts = DEFAULT_TIMEOUTS,
        deploying: bool = False,
    ) -> ModelServer:
        """The running server for a container, starting it on first use within `timeouts`
        (real seconds): DownloadTimedOut, ModelLoadFailed, artifacts.ArchiveNotExtracted.

        `deploying`: new instances come up for this container, so a running server must
        also have come up within `timeouts` (it is shared, but AWS would start it again)."""
        # Keyed by content, not model name: endpoints of one model share its server.
        environment = repr(sorted(dict(container.environment).items()))
        key = (
            account,
            container.model_data_url or "",
            container.model_data_etag or "",
            container.code_etag or "",
            environment,
        )
        with self._lock:
            if key in self._servers:
                if deploying:
                    self._as_new_instance(key, timeouts)
                self._servers.move_to_end(key)
                return self._servers[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._servers:
                    if deploying:
                        self._as_new_instance(key, timeouts)
                    return self._servers[key]
                if (key, timeouts.startup_seconds) in self._failures:
                    raise ModelLoadFailed(self._failures[key, timeouts.startup_seconds])
            model_dir = self._download(account, region, key, container, timeouts)
            server = self._start(key, model_dir, container, timeouts.startup_seconds)
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

    def _as_new_instance(self, key: tuple[str, ...], timeouts: StartupTimeouts) -> None:
        """Whether a new instance of a running server's content would come up in time: its
        download delayed as now, its start as long as the running one took."""
        if self._download_delay() > timeouts.download_seconds:
            raise DownloadTimedOut(f"not downloaded within {timeouts.download_seconds:g} s")
        took = self._startup_seconds.get(key, 0.0)
        if took > timeouts.startup_seconds:
            raise ModelLoadFailed(
                f"passed /ping after {took:.1f} s, not within {timeouts.startup_seconds:g} s"
            )

    def _download(
        self,
        account: str,
        region: str,
        key: tuple[str, ...],
        container: ServedContainer,
        timeouts: StartupTimeouts,
    ) -> Path:
        """The model directory of this content: the deployed model data, with the deployed
        code of an s3:// SAGEMAKER_SUBMIT_DIRECTORY in code/ (both fetched as an instance
        does, within the download timeout)."""
        started = time.monotonic()
        delay = self._download_delay()
        time.sleep(min(delay, timeouts.download_seconds))
        model_dir = self._workdir / f"model-{abs(hash(key)):x}"
        if not model_dir.exists():
            # Extract beside it and rename, so a failed extraction never leaves a half model.
            staging = model_dir.with_name(model_dir.name + ".partial")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            # Only the deployed content may be extracted (the object may have changed since).
            tarball = _deployed(
                account, region, container.model_data_url, container.model_data_etag
            )
            if tarball is not None:
                _extract(tarball, staging, container.model_data_url or "")
            code_url = dict(container.environment).get(artifacts.SUBMIT_DIRECTORY, "")
            if code_url.startswith("s3://"):
                code = _deployed(account, region, code_url, container.code_etag)
                if code is None:
                    raise ModelLoadFailed(
                        f"{artifacts.SUBMIT_DIRECTORY} {code_url}: no such object"
                    )
                _extract(code, staging / artifacts.CODE_DIR, code_url)
            staging.rename(model_dir)
        if (
            delay > timeouts.download_seconds
            or time.monotonic() - started > timeouts.download_seconds
        ):
            raise DownloadTimedOut(f"not downloaded within {timeouts.download_seconds:g} s")
        return model_dir

    def _start(
        self, key: tuple[str, ...], model_dir: Path, container: ServedContainer, within: float
    ) -> ModelServer:
        # Outside the startup time: on AWS the image was built before the endpoint. Not
        # remembered when it fails (the index may only be unreachable for now).
        python = self._interpreter(model_dir, container)
        server = self._factory(model_dir, dict(container.environment), within, python)
        started = time.monotonic()
        try:
            server.start()
            with self._lock:
                self._startup_seconds[key] = time.monotonic() - started
            return server
        except ServerStartFailed as error:
            with self._lock:
                self._failures[key, within] = str(error)
            _log.warning("model %s did not load: %s", container.model_name, error)
            raise ModelLoadFailed(str(error)) from error

    def prepare(
        self, account: str, region: str, served: ServedConfig, timeout_scale: float = 1.0
    ) -> str | None:
        """Why this config cannot serve (as SageMaker's FailureReason), or None if it can.
        `timeout_scale`: real seconds per second of the variants' startup timeouts."""
        for variant in served.variants:
            reason = self._check_variant(account, region, variant, timeout_scale)
            if reason is not None:
                return reason
        return None

    def _check_variant(
        self, account: str, region: str, variant: ServedVariant, timeout_scale: float
    ) -> str | None:
        container = variant.container
        if container.image and not artifacts.image_exists(container.image):
            return f"Requested image {container.image} not found."
        if container.image and (unserved := artifacts.unserved_image_reason(container.image)):
            return unserved[:MAX_FAILURE_REASON]
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
                timeouts = limits.timeouts_of(variant, timeout_scale)
                self.server_for(account, region, container, timeouts, deploying=True)
            except DownloadTimedOut:
                limit = (
                    variant.download_timeout_seconds
                    or limits.for_kind(variant.serverless).download_seconds
                )
                # AWS documents no wording for this one: the emulator's own, and it says so.
                return (
                    f"The model data for production variant {variant.name} was not downloaded "
                    f"and extracted within {limit:g} s (ModelDataDownloadTimeoutInSeconds; "
                    "the emulator's wording)."
                )
            except artifacts.ArchiveNotExtracted as error:
                # AWS's sentence (aws/deep-learning-containers#569), then the emulator's detail.
                reason = (
                    'Failed to extract model data archive for container "container_1" from URL '
                    f'"{error.url}". Please ensure that the object located at the URL is a '
                    f"valid tar.gz archive. (emulator: {error})"
                )
                return reason[:MAX_FAILURE_REASON]
            except ModelLoadFailed as error:
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


def _extract(data: bytes, destination: Path, url: str) -> None:
    try:
        artifacts.extract_model_tarball(data, destination)
    except artifacts.ArchiveNotExtracted as error:
        error.url = url
        raise


def _deployed(account: str, region: str, url: str | None, etag: str | None) -> bytes | None:
    """An S3 object's bytes if it still has the ETag it had when deployed, else None."""
    ref = artifacts.parse_s3_url(url or "")
    found = artifacts.read_s3_object(account, region, ref) if ref else None
    return found[0] if found and found[1] == etag else None


def _close(server: ModelServer) -> None:
    # close() also removes the server's log file when the implementation has one.
    getattr(server, "close", server.stop)()
