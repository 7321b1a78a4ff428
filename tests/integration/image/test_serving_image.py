"""The demo model's serving image, built from container/Dockerfile and run as SageMaker runs it:
`serve` as the argument, the extracted model read-only at /opt/ml/model, the port in
SAGEMAKER_BIND_TO_PORT. Docker when an engine answers, else buildah without any daemon (see
testkit/serving_image.py). With neither this module is skipped, except in CI (CI=true), where
it fails.

One test, one build and one running container: it runs every check below in order (the last
stops the server with SIGTERM) and reports each one that fails.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path

import pytest

from smgitops.serving import localcheck
from smgitops.serving.process import free_port
from testkit.polling import wait_for
from testkit.serving_image import (
    SHELLS,
    Builder,
    BuilderUnavailable,
    Container,
    argv,
    comm,
    find_builder,
    listening_ports,
    process_tree,
    running,
    uids,
)

pytestmark = pytest.mark.slow

MODEL = "demo-regressor"
MODEL_FOLDER = Path(__file__).resolve().parents[3] / "models" / MODEL
PAYLOAD = (MODEL_FOLDER / "payloads" / "two-rows.csv").read_bytes()
# SageMaker's limits: each /ping must answer within 2 s; the container must be healthy within
# its startup health-check time (this test holds the demo model to 60 s).
PING_TIMEOUT_SECONDS = 2.0
READY_WITHIN_SECONDS = 60.0
PROBE_INTERVAL_SECONDS = 0.2
# Written by the container runtime as it starts the container, not by the server: buildah
# creates the model's mount point (so /opt's own entry changes) and /run/.containerenv.
RUNTIME_PATHS = {"/opt", "/opt/ml", "/opt/ml/model", "/run", "/run/.containerenv"}


@dataclass(frozen=True)
class Probe:
    at: float  # seconds since the container was started
    seconds: float
    status: int | None
    error: str | None


class Prober(threading.Thread):
    """GET /ping every PROBE_INTERVAL_SECONDS from the container's start, as SageMaker does,
    each probe on a new connection with a 2 s timeout."""

    def __init__(self, container: Container) -> None:
        super().__init__(daemon=True)
        self.container = container
        self.probes: list[Probe] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            begun = time.monotonic()
            status, error = None, None
            connection = HTTPConnection(*address(self.container.url), timeout=PING_TIMEOUT_SECONDS)
            try:
                connection.request("GET", "/ping")
                response = connection.getresponse()
                response.read()
                status = response.status
            except OSError as failure:
                error = type(failure).__name__
            finally:
                connection.close()
            ended = time.monotonic()
            self.probes.append(Probe(begun - self.container.started, ended - begun, status, error))
            self.stopping.wait(PROBE_INTERVAL_SECONDS)

    def first_ok(self) -> Probe | None:
        return next((probe for probe in self.probes if probe.status == 200), None)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)


@dataclass
class Served:
    builder: Builder
    image: str
    container: Container
    prober: Prober
    server_pid: int


@pytest.fixture(scope="module")
def builder() -> Builder:
    try:
        return find_builder()
    except BuilderUnavailable as reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must build the serving image, but: {reason}")
        pytest.skip(f"cannot build images here: {reason}")


@pytest.fixture(scope="module")
def image(builder: Builder) -> str:
    begun = time.monotonic()
    built = builder.build(MODEL)
    print(f"\n{builder.name}: image {built} ready in {time.monotonic() - begun:.0f} s")
    return built


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo model laid out as SageMaker extracts its model.tar.gz, readable by any user."""
    if not (MODEL_FOLDER / "artifact" / "model.joblib").exists():
        trainer = [sys.executable, str(MODEL_FOLDER / "train.py")]
        subprocess.run(trainer, check=True, capture_output=True)
    target = localcheck.build_model_dir(MODEL_FOLDER, tmp_path_factory.mktemp("opt-ml") / "model")
    for path in [target, *target.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


def address(url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    return parts.hostname, parts.port


def post(url: str, body: bytes, content_type: str = "text/csv") -> tuple[int, bytes]:
    connection = HTTPConnection(*address(url), timeout=30)
    try:
        connection.request(
            "POST",
            "/invocations",
            body=body,
            headers={"Content-Type": content_type, "Accept": "application/json"},
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def expected_predictions(model_dir: Path, body: bytes) -> list[float]:
    """The same request through the handler chain in this process (the host's packages)."""
    answer = localcheck.answer_in_process(model_dir, body, "text/csv", "application/json")
    return json.loads(answer.body)["predictions"]


def check_the_image_runs_as_a_non_root_user(served: Served, model_dir: Path) -> None:
    user = served.builder.config(served.image).user
    assert user.split(":")[0] not in ("", "0", "root"), f"image USER is {user!r}"
    for pid in process_tree(served.server_pid):
        assert 0 not in uids(pid), f"process {pid} {argv(pid)} runs with uids {uids(pid)}"


def check_ping_answers_within_2s_every_time_and_200_within_60s(
    served: Served, model_dir: Path
) -> None:
    prober = served.prober
    wait_for(lambda: len(prober.probes) > 20, "more probes")
    probes = list(prober.probes)
    first_ok = prober.first_ok()
    assert first_ok is not None, f"no /ping 200: {probes[-5:]}\n{served.container.logs()}"
    assert first_ok.at <= READY_WITHIN_SECONDS, f"first 200 after {first_ok.at:.1f} s"
    slow = [probe for probe in probes if probe.seconds >= PING_TIMEOUT_SECONDS]
    assert not slow, f"/ping took 2 s or more: {slow}"
    answered = [index for index, probe in enumerate(probes) if probe.status is not None]
    # Before the server listens, a probe is refused; from its first answer on, each probe is
    # answered: 503 while the model loads, then 200 for good.
    after_first_answer = probes[answered[0] :]
    assert all(probe.status is not None for probe in after_first_answer), after_first_answer
    assert {probe.status for probe in after_first_answer if probe.at < first_ok.at} <= {503}
    assert {probe.status for probe in after_first_answer if probe.at >= first_ok.at} == {200}
    print(
        f"\n/ping 200 after {first_ok.at:.1f} s; {len(probes)} probes, "
        f"slowest {max(probe.seconds for probe in probes) * 1000:.0f} ms"
    )


def check_invocations_answers_a_real_prediction(served: Served, model_dir: Path) -> None:
    status, body = post(served.container.url, PAYLOAD)
    assert status == 200, body
    predictions = json.loads(body)["predictions"]
    expected = expected_predictions(model_dir, PAYLOAD)
    assert len(predictions) == len(expected) == 2
    assert predictions == pytest.approx(expected, rel=1e-9)
    # A bad payload is the model's own 400, from the image's serving stack.
    status, body = post(served.container.url, b"1,2,3")
    assert status == 400, body
    assert "expected rows of 6 numbers" in json.loads(body)["error"]


def check_the_server_binds_the_port_in_sagemaker_bind_to_port(
    served: Served, model_dir: Path
) -> None:
    config = served.builder.config(served.image)
    assert config.labels.get("com.amazonaws.sagemaker.capabilities.accept-bind-to-port") == "true"
    container = served.container
    ports = listening_ports(served.server_pid, own_network=container.own_network)
    assert ports == {container.port}, f"listening on {ports}, told {container.port}"
    assert f"listening on 0.0.0.0:{container.port}" in container.logs()


def check_the_entrypoint_execs_the_server_with_no_shell_between(
    served: Served, model_dir: Path
) -> None:
    config = served.builder.config(served.image)
    assert config.entrypoint, "the image has no ENTRYPOINT"
    assert Path(config.entrypoint[0]).name not in SHELLS, f"shell-form {config.entrypoint}"
    pid = served.server_pid
    # The process the runtime started is the server itself: not a shell, running the
    # entrypoint with `serve`, and holding the listening socket.
    command = argv(pid)
    assert comm(pid) not in SHELLS, f"the runtime started a shell: {command}"
    assert command[-1] == "serve", command
    assert Path(config.entrypoint[-1]).name in {Path(part).name for part in command}, command
    if not served.container.own_network:
        assert served.container.port in listening_ports(pid, own_network=False)
    shells = [argv(child) for child in process_tree(pid) if comm(child) in SHELLS]
    assert not shells, f"shells in the server's process tree: {shells}"


def check_nothing_is_installed_at_start(served: Served, model_dir: Path) -> None:
    changed = served.builder.changes(served.container) - RUNTIME_PATHS
    assert not changed, f"the running server changed the image's files: {sorted(changed)[:20]}"


def check_sigterm_to_the_server_drains_in_flight_requests(served: Served, model_dir: Path) -> None:
    served.prober.stop()
    container = served.container
    expected = expected_predictions(model_dir, PAYLOAD)
    head = (
        "POST /invocations HTTP/1.1\r\nHost: serving\r\nContent-Type: text/csv\r\n"
        f"Accept: application/json\r\nContent-Length: {len(PAYLOAD)}\r\n\r\n"
    ).encode()
    with socket.create_connection(address(container.url), timeout=30) as in_flight:
        # A request in flight: its head and half its body sent, the rest after the signal.
        in_flight.sendall(head + PAYLOAD[: len(PAYLOAD) // 2])
        time.sleep(1.0)
        served.builder.terminate(container)
        wait_for(lambda: not accepts(container.url), "the server to stop taking connections")
        assert Path(f"/proc/{served.server_pid}").exists(), "the server exited before draining"
        in_flight.sendall(PAYLOAD[len(PAYLOAD) // 2 :])
        reply = read_reply(in_flight)
    status_line, _, body = reply.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 200"), reply
    assert json.loads(body.split(b"\r\n\r\n", 1)[1])["predictions"] == pytest.approx(expected)
    assert served.builder.wait(container, timeout=35) == 0, container.logs()


def accepts(url: str) -> bool:
    connection = HTTPConnection(*address(url), timeout=2)
    try:
        connection.request("GET", "/ping")
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


def read_reply(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (it does after draining)."""
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


CHECKS = (
    check_the_image_runs_as_a_non_root_user,
    check_ping_answers_within_2s_every_time_and_200_within_60s,
    check_invocations_answers_a_real_prediction,
    check_the_server_binds_the_port_in_sagemaker_bind_to_port,
    check_the_entrypoint_execs_the_server_with_no_shell_between,
    check_nothing_is_installed_at_start,
    check_sigterm_to_the_server_drains_in_flight_requests,  # last: it stops the server
)


def test_the_demo_image_serves_as_sagemaker_runs_it(
    builder: Builder, image: str, model_dir: Path, tmp_path: Path
):
    port = free_port()
    assert port != 8080  # the image's default, so the test tells the two apart
    failures = []
    with running(builder, image, model_dir, port, tmp_path) as container:
        prober = Prober(container)
        prober.start()
        try:
            wait_for(
                lambda: prober.first_ok() or container.process.poll() is not None,
                "/ping 200",
                READY_WITHIN_SECONDS + 30,
            )
            served = Served(builder, image, container, prober, builder.server_pid(container))
            for check in CHECKS:
                try:
                    check(served, model_dir)
                except AssertionError as failure:
                    failures.append(f"{check.__name__}: {failure}")
        finally:
            prober.stop()
    assert not failures, "\n\n".join(failures) + f"\n\ncontainer log:\n{container.logs()}"
