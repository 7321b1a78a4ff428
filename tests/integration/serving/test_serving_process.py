import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from smgitops.serving import process
from smgitops.serving.process import ServerStartFailed, ServingProcess

from .conftest import DOUBLER, http, invoke


def test_started_process_answers_ping_and_invocations(model_dir):
    with ServingProcess(model_dir(DOUBLER)) as server:
        assert http(server.url + "/ping").status == 200
        reply = invoke(server.url, "[[1, 2]]")
        assert reply.status == 200
        assert reply.body == b"[[2.0, 4.0]]"


def test_port_zero_picks_a_free_port_and_url_uses_it(model_dir):
    with ServingProcess(model_dir(DOUBLER), port=0) as server:
        assert server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"


def test_stop_ends_the_server(model_dir):
    server = ServingProcess(model_dir(DOUBLER)).start()
    url = server.url
    server.stop()
    assert server.returncode == 0
    with pytest.raises(OSError):
        http(url + "/ping", timeout=2)
    server.close()


def test_failed_start_raises_an_error_with_the_servers_reason(model_dir):
    broken = model_dir("""
        def model_fn(model_dir):
            raise RuntimeError("weights are corrupt")
    """)
    with pytest.raises(
        ServerStartFailed,
        match=r"model_fn in .*inference.py failed: "
        r"RuntimeError: weights are corrupt",
    ):
        ServingProcess(broken).start()


def test_missing_model_dir_fails_the_start_saying_so(tmp_path: Path):
    with pytest.raises(ServerStartFailed, match="does not exist"):
        ServingProcess(tmp_path / "absent").start()


def test_env_reaches_the_server(model_dir):
    with ServingProcess(model_dir(DOUBLER), env={"SAGEMAKER_MAX_PAYLOAD_IN_MB": "0.0001"}) as s:
        assert invoke(s.url, "[" + "1," * 200 + "1]").status == 413


def test_stop_leaves_no_worker_processes_behind(model_dir):
    recorder = model_dir("""
        import os
        from pathlib import Path

        def model_fn(model_dir):
            (Path(model_dir) / f"worker-{os.getpid()}").touch()
            return 1
    """)
    server = ServingProcess(recorder, workers=2).start()
    workers = [int(p.name.removeprefix("worker-")) for p in recorder.glob("worker-*")]
    assert len(workers) == 2
    server.stop()
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_picked_port_taken_by_another_server_is_never_mistaken_for_ours(model_dir, monkeypatch):
    # An impostor answers /ping with 200 on the port picked first; start() must notice that
    # our server could not bind it and retry on another port.
    impostor = ThreadingHTTPServer(("127.0.0.1", 0), AlwaysOk)
    threading.Thread(target=impostor.serve_forever, daemon=True).start()
    taken = impostor.server_address[1]
    picks = iter([taken])
    real_free_port = process.free_port
    monkeypatch.setattr(process, "free_port", lambda: next(picks, None) or real_free_port())
    try:
        with ServingProcess(model_dir(DOUBLER)) as server:
            assert server.port != taken
            assert invoke(server.url, "[1]").body == b"[2.0]"
    finally:
        impostor.shutdown()
        impostor.server_close()


class AlwaysOk(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass
