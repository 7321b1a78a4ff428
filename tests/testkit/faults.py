"""Tools of the fault tests: `smgitops apply` as a real process, a call-log watcher that stops
it at a chosen AWS call, an invoker that keeps calling the endpoint, and the resource census.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# A bound on waiting for an expected call, so a broken test fails instead of hanging.
WATCH_LIMIT_S = 90.0


def _default_sigint() -> None:
    # A process started in the background inherits SIGINT ignored; the CLI must see Ctrl-C.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_apply(root: Path, *extra: str) -> subprocess.Popen:
    """`smgitops apply --env staging --yes` in `root`, as its own process (no terminal)."""
    return subprocess.Popen(
        [sys.executable, "-m", "smgitops", "apply", "--env", "staging", "--yes", *extra],
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )


def finish(process: subprocess.Popen) -> tuple[int, str]:
    """(exit code, stdout+stderr) once the process ends."""
    out, err = process.communicate(timeout=WATCH_LIMIT_S)
    return process.returncode, out + err


def count(calls, operation: str) -> int:
    return sum(1 for c in calls if c.operation == operation and not c.throttled)


def wait_for(
    emulator, seen: Callable[[list], bool], process: subprocess.Popen | None = None
) -> None:
    """Poll the emulator's call log until `seen(calls)`; fail if the apply ended first."""
    deadline = time.monotonic() + WATCH_LIMIT_S
    while not seen(emulator.calls()):
        if process is not None and process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"apply ended (exit {process.returncode}) first:\n{out}{err}")
        if time.monotonic() > deadline:
            raise AssertionError("the expected AWS call never came")
        time.sleep(0.005)


@dataclass
class Invoker:
    """Invokes the endpoint(s), in turn, in a loop for the whole test; every failed invocation
    is kept, named by its endpoint."""

    endpoints: str | Sequence[str]
    body: bytes = b"1,2,3"
    answers: list[bytes] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sent: int = 0  # counted before sending: the call log's InvokeEndpoint count minus this
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Invoker:
        names = [self.endpoints] if isinstance(self.endpoints, str) else list(self.endpoints)
        runtime = boto3.client(
            "sagemaker-runtime", config=Config(retries={"mode": "adaptive", "max_attempts": 10})
        )

        def loop() -> None:
            while not self._stop.is_set():
                name = names[self.sent % len(names)]
                self.sent += 1
                try:
                    response = runtime.invoke_endpoint(
                        EndpointName=name, ContentType="text/csv", Body=self.body
                    )
                    self.answers.append(response["Body"].read())
                except ClientError as error:
                    self.errors.append(f"{name}: {error}")
                self._stop.wait(0.05)

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def foreign_invocations(self, calls) -> int:
        """InvokeEndpoint calls someone else made (e.g. the apply's smoke test)."""
        return count(calls, "InvokeEndpoint") - self.sent


@dataclass(frozen=True)
class Census:
    """What smgitops owns in SageMaker right now."""

    configs: frozenset[str]
    models: frozenset[str]
    live_config: str | None
    previous_config: str | None  # recorded on the endpoint, kept by GC for a revert
    kept_models: frozenset[str]  # models of the live and previous configs


def census(endpoint: str) -> Census:
    sm = boto3.client("sagemaker")
    configs = frozenset(
        c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]
    )
    models = frozenset(m["ModelName"] for m in sm.list_models()["Models"])
    try:
        live = sm.describe_endpoint(EndpointName=endpoint)
    except ClientError:
        return Census(configs, models, None, None, frozenset())
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=live["EndpointArn"])["Tags"]}
    previous = tags.get("smgitops:previous-config")
    kept = {live["EndpointConfigName"], previous} - {None}
    kept_models = {
        v["ModelName"]
        for name in kept & configs
        for v in sm.describe_endpoint_config(EndpointConfigName=name)["ProductionVariants"]
    }
    return Census(configs, models, live["EndpointConfigName"], previous, frozenset(kept_models))


def lock_objects(bucket: str) -> Sequence[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="smgitops/locks/")
    return [o["Key"] for o in listed.get("Contents", [])]
