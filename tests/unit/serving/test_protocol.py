"""The bounded HTTP protocol, one connection at a time: bytes in, bytes out, timers by hand.

The transport is a recorder and the loop's `call_later` only records, so each bound is
checked at its exact edge and each timer fires when the test says so.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import uvicorn
from uvicorn.server import ServerState

from smgitops.serving.protocol import LINGER_SECONDS, BoundedHttpToolsProtocol
from smgitops.serving.settings import ServingSettings, settings_from_env

KEEP_ALIVE = 75.0
DEFAULTS = settings_from_env({}, cpu_count=1)


class Timer:
    def __init__(self, delay: float, callback: Callable[..., None], args: tuple[Any, ...]):
        self.delay, self.callback, self.args = delay, callback, args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class HandTimedLoop:
    """The running loop, except that `call_later` records a timer for the test to fire."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.timers: list[Timer] = []

    def call_later(self, delay: float, callback: Callable[..., None], *args: Any) -> Timer:
        timer = Timer(delay, callback, args)
        self.timers.append(timer)
        return timer

    def pending(self) -> list[float]:
        return [timer.delay for timer in self.timers if not timer.cancelled]

    def fire(self, delay: float) -> None:
        for timer in list(self.timers):
            if timer.delay == delay and not timer.cancelled:
                timer.cancelled = True
                timer.callback(*timer.args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loop, name)


class Recorder(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.half_closed = False
        self.closed = False
        self.reading = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert not self.half_closed and not self.closed, "written after the end"
        self.written += data

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.half_closed = True

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8080)}.get(
            name, default
        )


class App:
    """Reads the whole body and answers 200 with it; `hold` keeps answers back until set."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.hold = asyncio.Event()
        self.hold.set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.seen.append("client gone")
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        self.seen.append(f"{scope['method']} {scope['path']} {len(scope['headers'])} headers")
        await self.hold.wait()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


class Connection:
    def __init__(self, settings: ServingSettings) -> None:
        self.app = App()
        self.loop = HandTimedLoop(asyncio.get_running_loop())
        config = uvicorn.Config(
            self.app, http="httptools", ws="none", lifespan="off", log_config=None
        )
        config.timeout_keep_alive = KEEP_ALIVE
        self.protocol = BoundedHttpToolsProtocol(
            config=config,
            server_state=ServerState(),
            app_state={},
            _loop=self.loop,
            settings=settings,
        )
        self.transport = Recorder()
        self.protocol.connection_made(self.transport)

    async def send(self, *pieces: bytes) -> bytes:
        """Feed each piece as one read; everything answered so far."""
        for piece in pieces:
            self.protocol.data_received(piece)
        for _ in range(20):  # let the app's tasks run
            await asyncio.sleep(0)
        return bytes(self.transport.written)


def run(test: Callable[[], Any]) -> Callable[[], None]:
    def wrapper() -> None:
        asyncio.run(test())

    wrapper.__name__ = test.__name__
    return wrapper


def statuses(written: bytes) -> list[int]:
    return [int(status) for status in re.findall(rb"HTTP/1\.1 (\d{3}) ", written)]


def request_line(size: int, method: bytes = b"GET") -> bytes:
    prefix = method + b" /ping?q="
    return prefix + b"a" * (size - len(prefix) - len(b" HTTP/1.1\r\n")) + b" HTTP/1.1\r\n"


def fields(count: int, total: int | None = None) -> bytes:
    """`count` header field lines; with `total`, the last one padded to make `total` bytes
    of fields (name, ": ", value, CRLF)."""
    lines = [b"X-%d: v\r\n" % number for number in range(count)]
    if total is not None:
        lines[-1] = lines[-1][:-2] + b"v" * (total - len(b"".join(lines))) + b"\r\n"
    return b"".join(lines)


def refusal(written: bytes) -> tuple[int, dict[str, str], str]:
    head, _, body = written.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, json.loads(body)["error"]


@run
async def test_a_request_line_up_to_the_limit_is_served_and_one_byte_more_is_414():
    for method in (b"GET", b"POST", b"OPTIONS"):
        served = Connection(DEFAULTS)
        line = request_line(DEFAULTS.max_request_line_bytes, method)
        assert statuses(await served.send(line + b"Content-Length: 0\r\n\r\n")) == [200]
        refused = Connection(DEFAULTS)
        line = request_line(DEFAULTS.max_request_line_bytes + 1, method)
        status, headers, message = refusal(await refused.send(line + b"\r\n"))
        assert status == 414
        assert "SMGITOPS_MAX_REQUEST_LINE_BYTES" in message
        assert headers["connection"] == "close"
        assert refused.app.seen == []


@run
async def test_header_fields_up_to_the_count_are_served_and_one_more_is_431():
    served = Connection(DEFAULTS)
    assert statuses(await served.send(request_line(64) + fields(100) + b"\r\n")) == [200]
    assert served.app.seen == ["GET /ping 100 headers"]
    refused = Connection(DEFAULTS)
    status, _, message = refusal(await refused.send(request_line(64) + fields(101) + b"\r\n"))
    assert (status, refused.app.seen) == (431, [])
    assert "SMGITOPS_MAX_REQUEST_HEADERS" in message


@run
async def test_header_fields_up_to_the_size_are_served_and_one_byte_more_is_431():
    limit = DEFAULTS.max_header_bytes
    served = Connection(DEFAULTS)
    assert statuses(await served.send(request_line(64) + fields(3, limit) + b"\r\n")) == [200]
    refused = Connection(DEFAULTS)
    status, _, message = refusal(
        await refused.send(request_line(64) + fields(3, limit + 1) + b"\r\n")
    )
    assert (status, refused.app.seen) == (431, [])
    assert "SMGITOPS_MAX_REQUEST_HEADER_BYTES" in message


@run
async def test_the_bounds_hold_for_a_head_sent_one_byte_at_a_time():
    small = replace(DEFAULTS, max_request_line_bytes=64, max_headers=5, max_header_bytes=200)
    for head, expected in [
        (request_line(64) + fields(5, 200) + b"\r\n", [200]),
        (request_line(65) + b"\r\n", [414]),
        (request_line(64) + fields(6) + b"\r\n", [431]),
        (request_line(64) + fields(2, 201) + b"\r\n", [431]),
    ]:
        connection = Connection(small)
        written = await connection.send(*(head[i : i + 1] for i in range(len(head))))
        assert statuses(written) == expected, head


@run
async def test_a_header_field_that_never_ends_is_refused_without_holding_it_all():
    connection = Connection(DEFAULTS)
    piece = b"a" * 16384
    pieces = [request_line(64) + b"X-Big: "] + [piece] * 64  # 1 MiB, no end of line
    fed = 0
    while not connection.transport.written:
        await connection.send(pieces[fed])
        fed += 1
    assert refusal(connection.transport.written)[0] == 431
    # Refused within the size bound and one read more, not at the end of the field.
    assert (fed - 2) * len(piece) <= DEFAULTS.max_header_bytes


@run
async def test_a_refusal_half_closes_drops_what_follows_and_closes_after_a_linger():
    connection = Connection(DEFAULTS)
    written = await connection.send(request_line(64) + fields(101) + b"\r\n")
    assert connection.transport.half_closed and not connection.transport.closed
    assert await connection.send(b"more of the same\r\n" * 100) == written
    connection.loop.fire(LINGER_SECONDS)
    assert connection.transport.closed


@run
async def test_malformed_chunked_framing_is_400_and_the_app_sees_the_client_gone():
    for framing in [b"zz\r\nabc\r\n", b"3\r\nabcdef\r\n", b"ffffffffffffffffffff\r\n"]:
        connection = Connection(DEFAULTS)
        head = b"POST /invocations HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        status, headers, message = refusal(await connection.send(head, framing))
        assert (status, headers["connection"]) == (400, "close"), framing
        assert connection.app.seen == ["client gone"]
        assert "malformed HTTP request" in message


@run
async def test_trailer_fields_count_toward_the_header_bounds():
    small = replace(DEFAULTS, max_headers=3)
    head = b"POST /invocations HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
    served = Connection(small)
    assert statuses(await served.send(head + fields(2) + b"\r\n")) == [200]
    refused = Connection(small)
    assert statuses(await refused.send(head + fields(3) + b"\r\n")) == [431]
    assert refused.app.seen == ["client gone"]


@run
async def test_pipelined_requests_are_answered_in_order():
    connection = Connection(DEFAULTS)
    one = b"POST /invocations HTTP/1.1\r\nContent-Length: 3\r\n\r\n"
    written = await connection.send(one + b"abc" + one + b"def" + one + b"ghi")
    assert statuses(written) == [200, 200, 200]
    assert written.index(b"abc") < written.index(b"def") < written.index(b"ghi")


@run
async def test_a_refused_pipelined_request_is_answered_after_the_answer_before_it():
    one = b"POST /invocations HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
    chunked = b"POST /invocations HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    for refused, status in [
        (request_line(64) + fields(101) + b"\r\n", 431),  # refused in its head
        (chunked + b"zz\r\n", 400),  # refused in its body, once queued behind the first
        (one + chunked + b"zz\r\n", 400),  # the same behind two
    ]:
        connection = Connection(DEFAULTS)
        connection.app.hold.clear()
        assert await connection.send(one + refused) == b""
        connection.app.hold.set()  # the answers before go out whole, then the refusal
        written = await connection.send()
        assert statuses(written) == [200] * written.count(b"abc") + [status]
        assert connection.app.seen == ["POST /invocations 1 headers"] * written.count(b"abc")
        assert connection.transport.half_closed


@run
async def test_a_connection_that_sends_nothing_is_closed_without_an_answer():
    connection = Connection(DEFAULTS)
    assert connection.loop.pending() == [DEFAULTS.header_timeout_seconds]
    connection.loop.fire(DEFAULTS.header_timeout_seconds)
    assert connection.transport.closed and connection.transport.written == b""


@run
async def test_a_head_not_complete_in_time_is_408_however_it_trickles():
    connection = Connection(DEFAULTS)
    await connection.send(b"GET /ping HTTP/1.1\r\n", b"X-A: 1\r\n", b"X-B: 2\r\n")
    # One timer from the opening: more bytes do not buy more time.
    assert connection.loop.pending() == [DEFAULTS.header_timeout_seconds]
    connection.loop.fire(DEFAULTS.header_timeout_seconds)
    status, headers, message = refusal(connection.transport.written)
    assert (status, headers["connection"]) == (408, "close")
    assert "SMGITOPS_REQUEST_HEADER_TIMEOUT" in message


@run
async def test_between_requests_only_the_keep_alive_timer_runs():
    connection = Connection(DEFAULTS)
    one = b"GET /ping HTTP/1.1\r\n\r\n"
    assert statuses(await connection.send(one)) == [200]
    assert connection.loop.pending() == [KEEP_ALIVE]
    # The next request's first byte starts its own head timer.
    await connection.send(b"GET /pi")
    assert connection.loop.pending() == [DEFAULTS.header_timeout_seconds]
    assert statuses(await connection.send(b"ng HTTP/1.1\r\n\r\n")) == [200, 200]
    assert connection.loop.pending() == [KEEP_ALIVE]


@run
async def test_bytes_that_never_make_a_request_are_refused():
    connection = Connection(DEFAULTS)
    for _ in range(10):
        await connection.send(b"\r\n" * 8192)
    assert statuses(connection.transport.written) == [400]


@pytest.mark.parametrize("junk", [b"\x00\x01 / HTTP/1.1\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n"])
def test_malformed_request_heads_are_400(junk):
    async def check() -> None:
        connection = Connection(DEFAULTS)
        assert statuses(await connection.send(junk)) == [400]
        assert connection.app.seen == []

    asyncio.run(check())


@run
async def test_stray_line_ends_start_the_head_timer_only_when_nothing_is_being_answered():
    connection = Connection(DEFAULTS)
    connection.app.hold.clear()
    await connection.send(b"GET /ping HTTP/1.1\r\n\r\n", b"\r\n")  # a CRLF after the request
    assert connection.loop.pending() == []  # however long the answer takes
    connection.app.hold.set()
    written = await connection.send()
    assert statuses(written) == [200]
    await connection.send(b"\r\n")  # idle: the keep-alive timer stops at any byte
    assert connection.loop.pending() == [DEFAULTS.header_timeout_seconds]
    connection.loop.fire(DEFAULTS.header_timeout_seconds)
    assert connection.transport.closed and connection.transport.written == written
