"""One HTTP/1.1 connection: uvicorn's httptools protocol with bounds on the request head.

uvicorn offers no bound on the request line or on the number and size of header fields when
it parses with httptools (h11's `max_incomplete_event_size` exists, but answers 400 for every
case and parses in pure Python), and its only idle timer starts after a first response: a
client could make a worker buffer a header of any size, or hold a connection that never
sends a request. The bounds live here, where the parser reports a request's parts:

* request line over `max_request_line_bytes`: 414 URI Too Long (RFC 9110 15.5.15);
* more than `max_headers` header fields, or more than `max_header_bytes` of them (trailers
  of a chunked body count too): 431 Request Header Fields Too Large (RFC 6585 5);
* a head not complete within `header_timeout_seconds` of its first byte (of the
  connection's opening, for its first request): 408 Request Timeout (RFC 9110 15.5.9); a
  connection that sent nothing in that time is closed without an answer;
* malformed syntax, including chunked framing: 400 Bad Request.

Each refusal answers with `Connection: close`, then half-closes and discards what the client
still sends for a moment (RFC 9112 9.6) before closing, so the client reads the answer
rather than a reset. Between requests the keep-alive timer (the worker's, longer than a
front end's idle timeout) applies instead of the head's.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

from smgitops.serving.app import error_body
from smgitops.serving.settings import (
    HEADER_TIMEOUT_VARIABLE,
    MAX_HEADER_BYTES_VARIABLE,
    MAX_HEADERS_VARIABLE,
    MAX_REQUEST_LINE_VARIABLE,
    ServingSettings,
)

log = logging.getLogger("smgitops.serving")

# After a refusal: how long the client's remaining bytes are read and dropped before the
# connection closes (closing with unread bytes would reset it, losing the answer in flight).
LINGER_SECONDS = 2.0
# Bytes of a request line besides its target: " " between method and target, " HTTP/1.1\r\n".
LINE_OVERHEAD = 1 + len(b" HTTP/1.1\r\n")
# Bytes of a header field line besides its name and value: ": " and CRLF.
FIELD_OVERHEAD = 4


class Refused(Exception):
    """Raised inside a parser callback to stop parsing; the answer is already on its way."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's protocol plus the head bounds of `settings` (see the module docstring)."""

    def __init__(self, *args: Any, settings: ServingSettings, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = settings
        self._max_line = settings.max_request_line_bytes
        self._max_headers = settings.max_headers
        self._max_header_bytes = settings.max_header_bytes
        self._head_timer: asyncio.TimerHandle | None = None
        self._in_message = False  # between a request's first byte and its end
        self._in_head = False  # between a request's first byte and the end of its headers
        self._header_count = 0
        self._header_bytes = 0
        # httptools holds a header field back until its end; bytes fed without any callback
        # are what it holds, bounded below (to within one read).
        self._heard = False
        self._quiet_bytes = 0
        self._refused = False
        self._earlier: RequestResponseCycle | None = None

    # ------------------------------------------------------------------ connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()  # the first request's head is due from now

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # uvicorn's, with the timer, the held-back bytes and the refusals added.
        if self._refused:
            return  # lingering after a refusal: dropped
        self._unset_keepalive_if_required()
        self._heard = False
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            pass  # no protocol to switch to (ws="none"): the request is served as plain HTTP
        except httptools.HttpParserError as error:
            if not self._refused:  # a callback's refusal has answered already
                self._refuse(400, f"malformed HTTP request: {error}")
            return
        if self._head_timer is None and (self._in_head or not (self._in_message or self._busy)):
            # A head begun in this read (a whole one, the usual case, needs no timer), or
            # bytes that began none while idle (the keep-alive timer is off once data came).
            self._arm_head_timer()
        if self._heard:
            self._quiet_bytes = 0
            return
        self._quiet_bytes += len(data)
        if self._quiet_bytes > self._max_header_bytes:
            if self._in_head:
                self._refuse_header_bytes()
            else:
                self._refuse(400, f"no HTTP message part within {self._quiet_bytes} bytes")

    # ------------------------------------------------------------------ parser callbacks

    # uvicorn's callbacks are called as HttpToolsProtocol.x(self): they run for every
    # request, and super() costs a little more.

    def on_message_begin(self) -> None:
        self._heard = self._in_message = self._in_head = True
        self._header_count = self._header_bytes = 0
        HttpToolsProtocol.on_message_begin(self)

    def on_url(self, url: bytes) -> None:
        self._heard = True
        self.url += url
        if len(self.url) + LINE_OVERHEAD + len(self.parser.get_method()) > self._max_line:
            self._refuse(
                414, f"request line exceeds {self._max_line} bytes ({MAX_REQUEST_LINE_VARIABLE})"
            )
            raise Refused

    def on_header(self, name: bytes, value: bytes) -> None:
        self._heard = True
        self._header_count += 1
        self._header_bytes += len(name) + len(value) + FIELD_OVERHEAD
        if self._header_count > self._max_headers:
            self._refuse(
                431, f"more than {self._max_headers} header fields ({MAX_HEADERS_VARIABLE})"
            )
            raise Refused
        if self._header_bytes > self._max_header_bytes:
            self._refuse_header_bytes()
            raise Refused
        HttpToolsProtocol.on_header(self, name, value)

    def on_headers_complete(self) -> None:
        self._heard = True
        self._in_head = False
        if self._head_timer is not None:
            self._cancel_head_timer()
        self._earlier = self.cycle  # the request before this one (see _refuse)
        HttpToolsProtocol.on_headers_complete(self)

    def on_body(self, body: bytes) -> None:
        self._heard = True
        HttpToolsProtocol.on_body(self, body)

    def on_message_complete(self) -> None:
        self._heard = True
        self._in_message = False
        HttpToolsProtocol.on_message_complete(self)

    # ------------------------------------------------------------------ refusals

    def _arm_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(
            self.settings.header_timeout_seconds, self._head_timed_out
        )

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    @property
    def _busy(self) -> bool:
        """Whether the app is still answering the last request."""
        return self.cycle is not None and not self.cycle.response_complete

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or (not self._in_message and self._busy):
            return  # an answer is under way: the keep-alive timer follows it
        if not self._in_message:  # nothing of a request arrived: nobody to answer
            self._refused = True
            self.transport.close()
            return
        seconds = self.settings.header_timeout_seconds
        self._refuse(
            408, f"request head not received within {seconds:g} s ({HEADER_TIMEOUT_VARIABLE})"
        )

    def _refuse_header_bytes(self) -> None:
        limit = self._max_header_bytes
        self._refuse(431, f"header fields exceed {limit} bytes ({MAX_HEADER_BYTES_VARIABLE})")

    def _refuse(self, status: int, message: str) -> None:
        """Answer `status` with a one-line JSON error and close; read nothing more."""
        log.info("refused a request (%d): %s", status, message)
        self._refused = True
        self._cancel_head_timer()
        self._unset_keepalive_if_required()
        earlier = self.cycle  # the last request the app has, perhaps still being answered
        if earlier is not None and self._in_message and not self._in_head:
            # That request's own body or trailers are at fault.
            refused, earlier = earlier, self._earlier
            if refused.response_started:  # it has answered, or is answering: cut it short
                self.transport.close()
                return
            # The app, waiting for the body, sees the client gone and answers nothing; if
            # the request waits behind another (pipelining), it never starts.
            refused.disconnected = True
            refused.message_event.set()
            if self.pipeline and self.pipeline[0][0] is refused:
                self.pipeline.popleft()
        if earlier is not None and not earlier.response_complete:
            # Pipelining: answering now would interleave with the answer before; follow it.
            earlier.on_response = lambda: self._answer(status, message)
            return
        self._answer(status, message)

    def _answer(self, status: int, message: str) -> None:
        """Write the refusal, then half-close and drop what follows for LINGER_SECONDS."""
        if self.transport.is_closing():
            return
        body = error_body(message)
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.append(
            b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
            % len(body)
        )
        self.transport.write(b"".join(head) + body)
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()
