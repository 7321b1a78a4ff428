"""One request through the handler chain: input_fn -> predict_fn -> output_fn, or transform_fn.

The HTTP app and `smgitops model test` both call `run_chain`, so a local test runs exactly
what the endpoint runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from smgitops.serving import codecs
from smgitops.serving.context import InferenceContext
from smgitops.serving.errors import InferenceError
from smgitops.serving.handlers import Handler, HandlerSet, describe_exception, one_line


@dataclass(frozen=True)
class InferenceResponse:
    body: bytes
    content_type: str | None  # None: the response carries no Content-Type


class InvocationFailed(Exception):
    """A handler raised; carries the HTTP status and the one-line message for the caller."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def status_of(error: BaseException) -> int:
    """The status an exception asks for (a `status_code` attribute), else 500. No side effects."""
    status = getattr(error, "status_code", None)
    if isinstance(status, int) and not isinstance(status, bool) and 400 <= status <= 599:
        return status
    return 500


def _message(error: BaseException) -> str:
    """One line for the caller: a toolkit-style error's own `message`, else `Type: text`."""
    message = getattr(error, "message", None)
    if isinstance(message, str) and message.strip():
        return one_line(message)
    return describe_exception(error)


def _call(handler: Handler, *args: Any, context: InferenceContext) -> Any:
    try:
        return handler(*args, context=context)
    except (Exception, SystemExit) as error:  # user code calling sys.exit() is a failure too
        if isinstance(error, InferenceError):  # our own errors are already user-facing text
            message = one_line(str(error)) or type(error).__name__
        else:
            message = f"{handler.name} failed: {_message(error)}"
        raise InvocationFailed(status_of(error), message) from error


def _serialised(result: Any, source: str) -> bytes:
    """The body bytes of a result: bytes as they are, str as UTF-8, anything else as
    `json.dumps(result, indent=2)` (what Multi Model Server does with the toolkit's result)."""
    if isinstance(result, bytes):
        return result
    if isinstance(result, bytearray | memoryview):
        return bytes(result)
    if isinstance(result, str):
        return result.encode()
    try:
        return json.dumps(result, indent=2).encode()
    except (TypeError, ValueError) as error:
        raise InvocationFailed(
            500,
            f"{source} returned {type(result).__name__}, which is not JSON serialisable "
            f"({one_line(str(error))}); return bytes, str or (body, content_type)",
        ) from None


def to_response(result: Any, accept: str, source: str) -> InferenceResponse:
    """Normalise what output_fn/transform_fn returned, as the toolkit does. No side effects.

    A tuple is `(body, content_type)` and the type is sent verbatim (None: no Content-Type);
    a bare body is labelled with the request's Accept as it came (after the default for a
    missing or `*/*` one), a list of types included.
    """
    if isinstance(result, tuple):
        if len(result) < 2:
            raise InvocationFailed(
                500, f"{source} returned a tuple of {len(result)}; expected (body, content_type)"
            )
        body, content_type = result[0], result[1]
        label = None if content_type is None or content_type == "" else str(content_type)
        return InferenceResponse(_serialised(body, source), label)
    return InferenceResponse(_serialised(result, source), accept)


def run_chain(
    handlers: HandlerSet,
    model: Any,
    body: bytes,
    content_type: str | None,
    accept: str,
    context: InferenceContext,
) -> InferenceResponse:
    """Run one request through the user's handlers (defaults where omitted).

    `content_type` is None when the request had no Content-Type header: user handlers see
    None, the default input_fn reads JSON. InvocationFailed carries the status and message.
    """
    try:
        if handlers.transform_fn is not None or handlers.input_fn.user_defined:
            data = codecs.body_for_handlers(body, content_type)
        else:
            data = codecs.body_for_defaults(body, content_type)
    except InferenceError as error:
        raise InvocationFailed(error.status_code, str(error)) from error
    if handlers.transform_fn is not None:
        result = _call(handlers.transform_fn, model, data, content_type, accept, context=context)
        return to_response(result, accept, "transform_fn")
    decoded = _call(handlers.input_fn, data, content_type, context=context)
    prediction = _call(handlers.predict_fn, decoded, model, context=context)
    result = _call(handlers.output_fn, prediction, accept, context=context)
    return to_response(result, accept, "output_fn")
