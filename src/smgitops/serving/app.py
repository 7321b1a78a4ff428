"""The HTTP face of the contract: GET /ping and POST /invocations, as a plain ASGI app.

Two routes need no framework: a hand-written ASGI callable costs a fraction of the
per-request Python work of a routed, middleware-wrapped one, and that work runs on the event
loop thread, between the requests a worker serves.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from smgitops.serving.chain import InvocationFailed
from smgitops.serving.context import CUSTOM_ATTRIBUTES_HEADER, InferenceContext
from smgitops.serving.host import ModelHost
from smgitops.serving.mediatypes import JSON, effective_accept

log = logging.getLogger("smgitops.serving")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ROUTES = {"/ping": ("GET", "HEAD"), "/invocations": ("POST",)}
# Response headers the server writes itself; a handler's values for them are ignored.
OWN_HEADERS = frozenset(
    {"content-type", "content-length", "transfer-encoding", "connection", "date", "server"}
)
TOKEN_EXTRA = frozenset("!#$%&'*+-.^_`|~")


def error_body(message: str) -> bytes:
    """The one-line JSON error body; never a traceback. No side effects."""
    return json.dumps({"error": message}, ensure_ascii=False, separators=(",", ":")).encode()


def valid_custom_attributes(value: object) -> bool:
    """SageMaker's rule for CustomAttributes: up to 1024 visible US-ASCII characters (spaces
    allowed); anything else could break the response header. No side effects."""
    return (
        isinstance(value, str)
        and len(value) <= 1024
        and all(" " <= character <= "~" or character == "\t" for character in value)
    )


class BadHandlerResponse(Exception):
    """A handler set a response header or status that cannot be sent."""


def _token(name: str) -> bool:
    return bool(name) and all((c.isascii() and c.isalnum()) or c in TOKEN_EXTRA for c in name)


def _field_value(value: object) -> bool:
    """Sendable as a header value: visible characters, spaces and tabs (latin-1's upper
    half included, as a request's own header may carry it); never CR or LF."""
    return isinstance(value, str) and all(
        " " <= c <= "~" or c == "\t" or "\x80" <= c <= "\xff" for c in value
    )


def handler_extras(context: InferenceContext) -> tuple[int, list[tuple[bytes, bytes]]]:
    """The status and extra headers a handler set through its context (200 and none by
    default). Content-Type comes from the handler's result, as in the toolkit, so a
    content-type set here is ignored; framing headers are ours. BadHandlerResponse for
    what cannot be sent. No side effects."""
    status = context.response_status
    if status is None:
        status = 200
    elif isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
        raise BadHandlerResponse(f"set_response_status({status!r}): not an HTTP status")
    extra = []
    for name, value in context.response_headers.items():
        if name in OWN_HEADERS:
            continue
        if not isinstance(name, str) or not _token(name) or not _field_value(value):
            raise BadHandlerResponse(f"response header {name!r}: {value!r} cannot be sent")
        extra.append((name.encode("ascii"), value.encode("latin-1")))
    attributes = context.response_custom_attributes
    if attributes is not None:
        if not valid_custom_attributes(attributes):
            raise BadHandlerResponse(
                "response_custom_attributes must be at most 1024 visible ASCII characters"
            )
        extra = [(n, v) for n, v in extra if n != CUSTOM_ATTRIBUTES_HEADER.encode()]
        extra.append((CUSTOM_ATTRIBUTES_HEADER.encode("latin-1"), attributes.encode("latin-1")))
    return status, extra


class PayloadTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


async def _send_response(
    send: Send,
    status: int,
    body: bytes = b"",
    content_type: str | None = None,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [(b"content-length", str(len(body)).encode("latin-1"))]
    if content_type is not None:
        headers.append((b"content-type", content_type.encode("latin-1")))
    if extra:
        headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_error(send: Send, status: int, message: str, **extra: str) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in extra.items()]
    await _send_response(send, status, error_body(message), JSON, headers)


async def _read_body(receive: Receive, declared: str | None, limit: int) -> bytes:
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def create_app(host: ModelHost, is_ready: Callable[[], bool] | None = None) -> ASGIApp:
    """The ASGI app for one worker. `is_ready` defaults to "this worker's model is loaded"."""
    ready = is_ready or (lambda: host.loaded)
    settings = host.settings
    model_dir = str(settings.model_dir)

    async def ping(send: Send) -> None:
        if ready():
            await _send_response(send, 200)
        else:
            await _send_error(send, 503, "model is loading")

    async def invocations(scope: Scope, receive: Receive, send: Send) -> None:
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope["headers"]
        }
        try:
            body = await _read_body(
                receive, headers.get("content-length"), settings.max_payload_bytes
            )
        except PayloadTooLarge:
            limit_mb = settings.max_payload_bytes / (1024 * 1024)
            await _send_error(
                send, 413, f"request body exceeds {limit_mb:g} MB (SAGEMAKER_MAX_PAYLOAD_IN_MB)"
            )
            return
        except ClientGone:
            return
        content_type = headers.get("content-type")  # None reaches the handlers as None
        accept = effective_accept(headers.get("accept"), settings.default_accept)
        context = InferenceContext(headers=headers, model_dir=model_dir, gpu_id=host.gpu_id)
        try:
            result = await host.invoke(body, content_type, accept, context)
        except InvocationFailed as failure:
            cause = failure.__cause__
            if failure.status >= 500 and cause is not None:
                log.error("invocation failed (%d): %s", failure.status, failure, exc_info=cause)
            else:
                log.warning("invocation failed (%d): %s", failure.status, failure)
            await _send_error(send, failure.status, failure.message)
            return
        try:
            status, extra = handler_extras(context)
            content_type = result.content_type
            if content_type is not None and not _field_value(content_type):
                raise BadHandlerResponse(f"content type {content_type!r} cannot be sent")
        except BadHandlerResponse as error:
            log.error("a handler's response cannot be sent: %s", error)
            await _send_error(send, 500, f"the handler's response cannot be sent: {error}")
            return
        await _send_response(send, status, result.body, content_type, extra)

    async def lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                host.start_loading()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                host.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await lifespan(receive, send)
            return
        if kind != "http":
            return
        path = scope["path"]
        method = scope["method"]
        allowed = ROUTES.get(path)
        if allowed is None:
            await _send_error(send, 404, f"no route {path} (use /ping or /invocations)")
            return
        if method not in allowed:
            await _send_error(
                send, 405, f"{method} not allowed on {path}", allow=", ".join(allowed)
            )
            return
        try:
            if path == "/invocations":
                await invocations(scope, receive, send)
            else:
                await ping(send)
        except Exception:
            # A bug of ours, not the model's: uvicorn answers 500 if nothing was sent yet.
            log.exception("unexpected error serving %s %s", method, path)
            raise

    return app
