"""Workers, readiness, timeouts and shutdown of the `smgitops serve` process."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path

import pytest

from smgitops.serving.process import ServingProcess, free_port
from testkit.polling import wait_for

from .conftest import assert_one_line_json_error, http, invoke

# model_fn records its pid and waits until the test creates the file `go` (no sleeps).
GATED = """
    import os
    import time
    from pathlib import Path

    def model_fn(model_dir):
        loads = Path(model_dir) / "loads"
        loads.mkdir(exist_ok=True)
        (loads / str(os.getpid())).touch()
        while not (Path(model_dir) / "go").exists():
            time.sleep(0.01)
        return "model"

    def predict_fn(data, model):
        return {"pid": os.getpid(), "echo": data.tolist()}
"""

# predict_fn marks when it started, then sleeps as asked or waits for the test's release file.
SLEEPER = """
    import json
    import time
    from pathlib import Path

    MODEL_DIR = None

    def model_fn(model_dir):
        global MODEL_DIR
        MODEL_DIR = Path(model_dir)
        return None

    def input_fn(body, content_type):
        return json.loads(body)

    def predict_fn(request, model):
        (MODEL_DIR / ("started-" + request["id"])).touch()
        if request.get("hold"):
            deadline = time.monotonic() + 60
            while not (MODEL_DIR / ("release-" + request["id"])).exists():
                if time.monotonic() > deadline:
                    raise TimeoutError("never released")
                time.sleep(0.01)
        time.sleep(request.get("seconds", 0))
        return request

    def output_fn(prediction, accept):
        return json.dumps(prediction), "application/json"
"""


def serve_command(model: Path, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "smgitops",
        "serve",
        "--model-dir",
        str(model),
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--host",
        "127.0.0.1",
    ]


def try_ping(url: str):
    try:
        return http(url + "/ping", timeout=5)
    except OSError:
        return None


def test_ping_is_503_until_every_worker_has_loaded_then_200(model_dir):
    model = model_dir(GATED)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(serve_command(model, port, 2), stderr=subprocess.DEVNULL)
    try:
        wait_for(
            lambda: (
                len(list((model / "loads").glob("*"))) == 2 if (model / "loads").exists() else False
            ),
            "both workers to start model_fn",
        )
        early = wait_for(lambda: try_ping(url), "the server to accept connections")
        assert early.status == 503
        assert json.loads(early.body) == {"error": "model is loading"}
        (model / "go").touch()
        wait_for(lambda: (r := try_ping(url)) is not None and r.status == 200, "ping 200")
        assert invoke(url, "[1]").status == 200
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_request_that_arrives_during_loading_waits_for_the_model(model_dir):
    model = model_dir(GATED)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(serve_command(model, port, 1), stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: try_ping(url), "the server to accept connections")
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(invoke, url, "[7]")
            (model / "go").touch()
            reply = pending.result(timeout=30)
        assert reply.status == 200
        assert json.loads(reply.body)["echo"] == [7]
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_model_fn_runs_once_per_worker(model_dir):
    model = model_dir(GATED)
    (model / "go").touch()
    with ServingProcess(model, workers=2) as server:
        pids = set()
        for _ in range(20):
            reply = invoke(server.url, "[1]")
            assert reply.status == 200
            pids.add(json.loads(reply.body)["pid"])
        loads = {int(p.name) for p in (model / "loads").iterdir()}
        assert len(loads) == 2
        assert pids <= loads


def test_model_fn_failure_exits_1_with_one_line_naming_file_and_cause(model_dir):
    broken = model_dir("""
        import json

        def model_fn(model_dir):
            return json.loads((__import__("pathlib").Path(model_dir) / "config.json").read_text())
    """)
    result = subprocess.run(
        serve_command(broken, free_port(), 2), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1
    assert error_lines[0].startswith(f"Error: model_fn in {broken}/code/inference.py failed: ")
    assert "FileNotFoundError" in error_lines[0]
    assert "config.json" in error_lines[0]
    assert "Traceback" not in result.stderr


def test_missing_inference_module_fails_fast_with_one_line(tmp_path):
    (tmp_path / "model.joblib").write_bytes(b"")
    result = subprocess.run(
        serve_command(tmp_path, free_port(), 1), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: no inference.py in {tmp_path}/code or {tmp_path}"
    )


def test_ping_answers_while_a_long_prediction_runs(model_dir):
    model = model_dir(SLEEPER)
    with ServingProcess(model, workers=1) as server, ThreadPoolExecutor(1) as pool:
        slow = pool.submit(invoke, server.url, json.dumps({"id": "slow", "hold": True}))
        wait_for(lambda: (model / "started-slow").exists(), "the prediction to start")
        ping = http(server.url + "/ping", timeout=10)
        assert ping.status == 200
        assert not slow.done()  # the prediction is still held on the only worker
        (model / "release-slow").touch()
        assert slow.result(timeout=30).status == 200


def test_prediction_over_the_timeout_is_504_with_one_line(model_dir):
    model = model_dir(SLEEPER)
    env = {"SAGEMAKER_MODEL_SERVER_TIMEOUT": "0.5"}
    with ServingProcess(model, workers=1, env=env) as server:
        reply = invoke(server.url, json.dumps({"id": "late", "seconds": 1}))
        error = assert_one_line_json_error(reply, 504)
        assert "SAGEMAKER_MODEL_SERVER_TIMEOUT" in error
        assert http(server.url + "/ping").status == 200


def test_sigterm_drains_in_flight_requests_then_exits_0(model_dir):
    model = model_dir(SLEEPER)
    server = ServingProcess(model, workers=2).start()
    try:
        with ThreadPoolExecutor(1) as pool:
            in_flight = pool.submit(invoke, server.url, json.dumps({"id": "drain", "hold": True}))
            wait_for(lambda: (model / "started-drain").exists(), "the prediction to start")
            os.kill(server.pid, signal.SIGTERM)
            # New connections are refused while the held request is still in flight.
            wait_for(lambda: try_ping(server.url) is None, "the server to stop accepting")
            assert not in_flight.done()
            (model / "release-drain").touch()
            reply = in_flight.result(timeout=30)
        assert reply.status == 200
        assert json.loads(reply.body)["id"] == "drain"
        wait_for(lambda: server.returncode is not None, "the server to exit")
        assert server.returncode == 0
        with pytest.raises(OSError):
            http(server.url + "/ping", timeout=2)
    finally:
        server.close()


def test_concurrent_requests_all_get_their_own_answer(model_dir):
    model = model_dir(GATED)
    (model / "go").touch()
    with ServingProcess(model, workers=2) as server, ThreadPoolExecutor(16) as pool:
        replies = list(pool.map(lambda i: (i, invoke(server.url, f"[{i}]")), range(200)))
    for i, reply in replies:
        assert reply.status == 200
        assert json.loads(reply.body)["echo"] == [i]


def test_keep_alive_connections_with_two_workers_do_not_stall(model_dir):
    model = model_dir(GATED)
    (model / "go").touch()
    with ServingProcess(model, workers=2) as server:
        connections = [HTTPConnection("127.0.0.1", server.port, timeout=10) for _ in range(4)]
        errors: list[BaseException] = []

        def hammer(connection: HTTPConnection, offset: int) -> None:
            try:
                for i in range(100):
                    connection.request(
                        "POST",
                        "/invocations",
                        body=f"[{offset + i}]",
                        headers={"Content-Type": "application/json"},
                    )
                    response = connection.getresponse()
                    assert response.status == 200
                    assert json.loads(response.read())["echo"] == [offset + i]
            except BaseException as error:  # surfaced in the main thread below
                errors.append(error)

        threads = [
            threading.Thread(target=hammer, args=(c, n * 1000)) for n, c in enumerate(connections)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for connection in connections:
            connection.close()
        assert errors == []


def test_a_worker_that_dies_while_serving_is_replaced(model_dir):
    model = model_dir(GATED)
    (model / "go").touch()
    loads = model / "loads"
    with ServingProcess(model, workers=2) as server:
        first_pids = {int(p.name) for p in loads.iterdir()}
        victim = min(first_pids)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(list(loads.iterdir())) == 3, "a replacement worker to load")
        answering = set()
        for _ in range(30):
            reply = invoke(server.url, "[1]")
            assert reply.status == 200
            answering.add(json.loads(reply.body)["pid"])
        assert victim not in answering
        assert http(server.url + "/ping").status == 200


def test_a_burst_of_keep_alive_connections_is_spread_evenly_over_workers(model_dir):
    # Workers racing on accept() would let one take most of a burst and idle the other.
    model = model_dir(GATED)
    (model / "go").touch()
    with ServingProcess(model, workers=2) as server:
        connections = [HTTPConnection("127.0.0.1", server.port, timeout=10) for _ in range(8)]
        for connection in connections:
            connection.connect()
        served_by = []
        for connection in connections:
            connection.request(
                "POST", "/invocations", body="[1]", headers={"Content-Type": "application/json"}
            )
            served_by.append(json.loads(connection.getresponse().read())["pid"])
            connection.close()
        assert sorted(served_by.count(pid) for pid in set(served_by)) == [4, 4]


def test_serve_without_flags_reads_the_sagemaker_environment(model_dir):
    # As the container runs it: `smgitops serve` and nothing else.
    model = model_dir(GATED)
    (model / "go").touch()
    port = free_port()
    env = {
        **os.environ,
        "SM_MODEL_DIR": str(model),
        "SAGEMAKER_BIND_TO_PORT": str(port),
        "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "smgitops", "serve"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: (r := try_ping(url)) is not None and r.status == 200, "ping 200")
        assert invoke(url, "[5]").status == 200
        assert len(list((model / "loads").iterdir())) == 1
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0


def test_a_busy_port_is_one_line_error(model_dir):
    model = model_dir(GATED)

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            serve_command(model, port, 1), capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: cannot listen on 127.0.0.1:{port}: Address already in use"
    )


def test_a_queued_request_whose_time_ran_out_never_starts(model_dir):
    model = model_dir(SLEEPER)
    env = {"SAGEMAKER_MODEL_SERVER_TIMEOUT": "1"}
    with ServingProcess(model, workers=1, env=env) as server, ThreadPoolExecutor(2) as pool:
        held = pool.submit(invoke, server.url, json.dumps({"id": "held", "hold": True}))
        wait_for(lambda: (model / "started-held").exists(), "the first prediction to start")
        queued = invoke(server.url, json.dumps({"id": "queued"}))
        assert_one_line_json_error(queued, 504)
        (model / "release-held").touch()
        assert held.result(timeout=30).status == 504  # it also outlived its time
        assert invoke(server.url, json.dumps({"id": "after"})).status == 200
        assert not (model / "started-queued").exists()


def test_workers_exit_on_their_own_when_the_supervisor_is_killed(model_dir):
    model = model_dir(GATED)
    (model / "go").touch()
    port = free_port()
    process = subprocess.Popen(
        serve_command(model, port, 2),
        stderr=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: (r := try_ping(url)) is not None and r.status == 200, "ping 200")
        workers = [int(p.name) for p in (model / "loads").iterdir()]
        process.kill()
        process.wait(timeout=30)

        def all_gone() -> bool:
            alive = 0
            for pid in workers:
                try:
                    os.kill(pid, 0)
                    alive += 1
                except ProcessLookupError:
                    pass
            return alive == 0

        wait_for(all_gone, "the orphaned workers to exit")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


PLACEMENT = """
    import json
    import os

    def model_fn(model_dir):
        from threadpoolctl import threadpool_info

        pools = sorted({pool["num_threads"] for pool in threadpool_info()})
        return {"cpus": sorted(os.sched_getaffinity(0)), "pool_threads": pools}

    def predict_fn(data, model):
        return model

    def output_fn(prediction, accept):
        return json.dumps(prediction), "application/json"
"""


def _placements(url: str, connections: int) -> list[dict]:
    # Connections are handed to the workers in turn, so consecutive ones reach each worker.
    return [json.loads(invoke(url, "[1]").body) for _ in range(connections)]


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two usable CPUs")
def test_one_worker_per_cpu_pins_each_worker_and_sizes_its_thread_pools_to_one(model_dir):
    pytest.importorskip("threadpoolctl")
    cpus = sorted(os.sched_getaffinity(0))
    model = model_dir(PLACEMENT)
    with ServingProcess(model, workers=len(cpus)) as server:
        seen = _placements(server.url, len(cpus))
    assert sorted(cpu for placement in seen for cpu in placement["cpus"]) == cpus
    assert all(placement["pool_threads"] in ([], [1]) for placement in seen)
    env = {"SMGITOPS_WORKER_AFFINITY": "off"}
    with ServingProcess(model, workers=len(cpus), env=env) as server:
        seen = _placements(server.url, len(cpus))
    assert all(placement["cpus"] == cpus for placement in seen)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two usable CPUs")
def test_thread_pools_the_user_sized_keep_their_size_on_a_pinned_worker(model_dir):
    pytest.importorskip("threadpoolctl")
    cpus = sorted(os.sched_getaffinity(0))
    env = {"OPENBLAS_NUM_THREADS": "2"}
    with ServingProcess(model_dir(PLACEMENT), workers=len(cpus), env=env) as server:
        seen = _placements(server.url, len(cpus))
    assert sorted(cpu for placement in seen for cpu in placement["cpus"]) == cpus
    assert all(placement["pool_threads"] == [2] for placement in seen)
