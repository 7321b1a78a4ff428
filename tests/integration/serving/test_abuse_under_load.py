"""The serving stack under a bounded mixed load of good and abusive requests (loopback only):
malformed, oversize, slow and crashing payloads never cost a worker, and /ping keeps answering."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from smgitops.serving.process import ServingProcess

from .conftest import http, worker_pids

INFERENCE = """\
import json
import time


def model_fn(model_dir):
    return 2.0


def input_fn(body, content_type):
    return json.loads(body)  # malformed JSON raises here


def predict_fn(data, factor):
    if data == "crash":
        raise RuntimeError("the model fell over")
    if data == "slow":
        time.sleep(0.3)
        return 0.0
    return sum(data) * factor


def output_fn(prediction, accept):
    return json.dumps(prediction), "application/json"
"""

# (body, expected status)
GOOD = (b"[1, 2, 3]", 200)
KINDS = [
    GOOD,
    (b"[1, 2,", 500),  # malformed JSON
    (b'"crash"', 500),  # the handler raises
    (b'"slow"', 200),  # a slow prediction
    (b"[" + b"1," * 700_000 + b"1]", 413),  # 1.4 MB over a 1 MB limit
]


def test_abusive_requests_cost_no_worker_and_ping_keeps_answering(tmp_path):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "inference.py").write_text(INFERENCE)
    env = {"SAGEMAKER_MAX_PAYLOAD_IN_MB": "1"}
    with ServingProcess(tmp_path, workers=2, env=env) as server:
        workers_before = worker_pids(server.pid)
        pings: list[int] = []
        done = threading.Event()

        def keep_pinging() -> None:
            while not done.is_set():
                pings.append(http(f"{server.url}/ping", timeout=2).status)
                time.sleep(0.05)

        def send(index: int) -> tuple[int, int, bytes]:
            body, expected = KINDS[index % len(KINDS)]
            reply = http(
                f"{server.url}/invocations",
                body=body,
                headers={"Content-Type": "application/json"},
            )
            return expected, reply.status, reply.body

        pinger = threading.Thread(target=keep_pinging)
        pinger.start()
        try:
            with ThreadPoolExecutor(max_workers=8) as pool:
                outcomes = list(pool.map(send, range(150)))
        finally:
            done.set()
            pinger.join()

        assert [(e, s) for e, s, _ in outcomes if e != s] == []
        for expected, _, body in outcomes:
            if expected == 200 and body != b"0.0":
                assert json.loads(body) == 12.0
            if expected >= 400:
                assert b"Traceback" not in body and len(body.splitlines()) == 1
        assert pings and set(pings) == {200}
        assert worker_pids(server.pid) == workers_before  # no worker died or was replaced
        assert (
            http(
                f"{server.url}/invocations",
                body=GOOD[0],
                headers={"Content-Type": "application/json"},
            ).status
            == 200
        )
