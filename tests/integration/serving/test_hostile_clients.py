"""Hostile clients against a real `smgitops serve` (loopback only): oversize and slow request
heads, connections that never send, pipelined requests and malformed chunked bodies. Each is
refused as HTTP says (or served, for pipelining), no worker is lost, and /ping keeps
answering 200 within SageMaker's 2 s while it goes on."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from smgitops.serving.process import ServingProcess

from .conftest import http, worker_pids

# Small enough to keep these tests short; the other bounds keep their defaults.
HEADER_TIMEOUT = "1"
PING_TIMEOUT = 2.0  # SageMaker's: a ping not answered within 2 s fails the health check
HANG_GUARD = 60.0  # only so that a broken server fails the test instead of hanging it

SUMMER = """
    class Summer:
        def predict(self, data):
            return data.sum(axis=-1)

    def model_fn(model_dir):
        return Summer()
"""


@pytest.fixture(scope="module")
def server(module_model_dir):
    env = {"SMGITOPS_REQUEST_HEADER_TIMEOUT": HEADER_TIMEOUT}
    with ServingProcess(module_model_dir(SUMMER), workers=2, env=env) as running:
        yield running


class Pinger:
    """/ping in a loop on its own thread, each with SageMaker's 2 s timeout; `answers` holds
    each status, or the error of a ping that got none in time."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.answers: list[int | str] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self._done.is_set():
            try:
                self.answers.append(http(self.url + "/ping", timeout=PING_TIMEOUT).status)
            except OSError as error:
                self.answers.append(f"no answer: {error!r}")
            self._done.wait(0.05)

    def __enter__(self) -> Pinger:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join()


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=HANG_GUARD)


def read_to_end(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def readable(sockets: list[socket.socket]) -> list[socket.socket]:
    """Those of `sockets` with something to read (or closed) within a moment."""
    return select.select(sockets, [], [], 0.05)[0]


def exchange(port: int, data: bytes) -> bytes:
    """Send `data` on a new connection; all the server sends until it closes."""
    with connect(port) as sock:
        sock.sendall(data)
        return read_to_end(sock)


def answer(received: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def assert_refused(received: bytes, status: int, names: str) -> None:
    """The refusal contract: the status, `Connection: close`, a one-line JSON error naming
    the setting that bounds it, and nothing after it."""
    got, headers, body = answer(received)
    assert got == status, received[:200]
    assert headers["connection"] == "close"
    assert len(body) == int(headers["content-length"])
    assert names in json.loads(body)["error"]


def get_ping(*fields: bytes) -> bytes:
    return b"GET /ping HTTP/1.1\r\nHost: x\r\n" + b"".join(fields) + b"Connection: close\r\n\r\n"


def csv_request(row: bytes, *, close: bool = False) -> bytes:
    head = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
    if close:
        head += b"Connection: close\r\n"
    return head + b"Content-Length: %d\r\n\r\n" % len(row) + row


# ---------------------------------------------------------------- the abuses


def oversize_request_line(server: ServingProcess) -> None:
    line = b"GET /ping?" + b"a" * 8192 + b" HTTP/1.1\r\n\r\n"
    assert_refused(exchange(server.port, line), 414, "SMGITOPS_MAX_REQUEST_LINE_BYTES")


def ten_thousand_headers(server: ServingProcess) -> None:
    fields = [b"X-%d: v\r\n" % number for number in range(10_000)]
    assert_refused(exchange(server.port, get_ping(*fields)), 431, "SMGITOPS_MAX_REQUEST_HEADERS")


def one_mebibyte_header(server: ServingProcess) -> None:
    field = b"X-Big: " + b"a" * (1 << 20) + b"\r\n"
    received = exchange(server.port, get_ping(field))
    assert_refused(received, 431, "SMGITOPS_MAX_REQUEST_HEADER_BYTES")


def header_that_never_ends(server: ServingProcess) -> None:
    with connect(server.port) as sock:
        sock.sendall(b"GET /ping HTTP/1.1\r\nX-Big: ")
        while not readable([sock]):  # the server answers before the field ends, or ever could
            sock.sendall(b"a" * 65536)
        received = read_to_end(sock)
    assert_refused(received, 431, "SMGITOPS_MAX_REQUEST_HEADER_BYTES")


def slow_heads(server: ServingProcess) -> None:
    """Slowloris: ten connections each trickling its head a byte at a time."""
    sockets = [connect(server.port) for _ in range(10)]
    received = dict.fromkeys(sockets, b"")
    for sock in sockets:
        sock.sendall(b"POST /invocations HTTP/1.1\r\n")
    waiting = list(sockets)
    while waiting:
        ready = readable(waiting)
        for sock in waiting:
            if sock in ready:
                received[sock] = read_to_end(sock)
                sock.close()
            else:
                sock.sendall(b"X")  # one more byte of a header name that never ends
        waiting = [sock for sock in waiting if sock not in ready]
    for data in received.values():
        assert_refused(data, 408, "SMGITOPS_REQUEST_HEADER_TIMEOUT")


def idle_connections(server: ServingProcess) -> None:
    """Twenty connections that never send a byte: each is closed, without an answer."""
    sockets = [connect(server.port) for _ in range(20)]
    try:
        assert [read_to_end(sock) for sock in sockets] == [b""] * len(sockets)
    finally:
        for sock in sockets:
            sock.close()


def pipelined_requests(server: ServingProcess) -> None:
    rows = [b"%d,1" % number for number in range(5)]
    requests = [csv_request(row) for row in rows[:-1]] + [csv_request(rows[-1], close=True)]
    received = exchange(server.port, b"".join(requests))
    answers = received.split(b"HTTP/1.1 ")[1:]
    assert [answer(b"HTTP/1.1 " + each)[0] for each in answers] == [200] * 5
    # One CSV row of ints decodes to a 1-D int array, so each sum is an int.
    assert [json.loads(answer(b"HTTP/1.1 " + each)[2]) for each in answers] == [
        number + 1 for number in range(5)
    ]


def malformed_chunked_body(server: ServingProcess) -> None:
    head = b"POST /invocations HTTP/1.1\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n"
    for framing in [b"zz\r\n1,2\r\n0\r\n\r\n", b"3\r\n1,2,3\r\n0\r\n\r\n", b"-1\r\n"]:
        status, headers, body = answer(exchange(server.port, head + b"\r\n" + framing))
        assert (status, headers["connection"]) == (400, "close")
        assert "malformed HTTP request" in json.loads(body)["error"]


ABUSES = [
    oversize_request_line,
    ten_thousand_headers,
    one_mebibyte_header,
    header_that_never_ends,
    slow_heads,
    idle_connections,
    pipelined_requests,
    malformed_chunked_body,
]


def abuse_while_pinging(server: ServingProcess, abuse: Callable[[ServingProcess], None]) -> Pinger:
    """Repeat `abuse` until a few pings have been answered (or not) meanwhile."""
    with Pinger(server.url) as pinger:
        while len(pinger.answers) < 3:
            abuse(server)
    return pinger


@pytest.mark.parametrize("abuse", ABUSES, ids=lambda abuse: abuse.__name__)
def test_each_abuse_is_answered_as_http_says_while_ping_answers(server, abuse):
    pinger = abuse_while_pinging(server, abuse)
    assert set(pinger.answers) == {200}, pinger.answers


def test_all_abuses_at_once_cost_no_worker_and_ping_answers_throughout(server):
    workers_before = worker_pids(server.pid)

    def all_at_once(server: ServingProcess) -> None:
        with ThreadPoolExecutor(max_workers=len(ABUSES)) as pool:
            for done in [pool.submit(abuse, server) for abuse in ABUSES]:
                done.result()

    pinger = abuse_while_pinging(server, all_at_once)
    assert set(pinger.answers) == {200}, pinger.answers
    assert worker_pids(server.pid) == workers_before
    reply = http(server.url + "/invocations", body=b"1,2,3", headers={"Content-Type": "text/csv"})
    assert (reply.status, json.loads(reply.body)) == (200, 6)


def test_a_kept_alive_connection_idle_past_the_head_timeout_serves_its_next_request(server):
    with connect(server.port) as sock:
        for number in range(2):
            sock.sendall(csv_request(b"1,2"))
            received = b""
            while not received.endswith(b"\r\n\r\n3"):
                received += sock.recv(65536)
            assert answer(received)[0] == 200
            if number == 0:
                time.sleep(float(HEADER_TIMEOUT) * 2)  # idle: only the keep-alive timer runs


def test_pathologically_nested_json_is_400_not_a_crash(server):
    workers_before = worker_pids(server.pid)
    for body in (b"[" * 100_000, b'{"a":' * 100_000, b"[" * 70 + b"1" + b"]" * 70):
        reply = http(
            server.url + "/invocations", body=body, headers={"Content-Type": "application/json"}
        )
        assert reply.status == 400, reply
        assert "invalid JSON body" in json.loads(reply.body)["error"]
    assert worker_pids(server.pid) == workers_before
