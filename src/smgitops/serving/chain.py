"""One request through the handler chain: input_fn -> predict_fn -> output_fn, or transform_fn.

The HTTP app and `smgitops model test` both call `run_chain`, so a local test runs exactly
what the endpoint runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smgitops.serving import codecs
from smgitops.serving.context import InferenceContext
from smgitops.serving.errors import InferenceError
from smgitops.serving.handlers import Handler, HandlerSet, describe_exception, one_line
from smgitops.serving.mediatypes import first_concrete


@dataclass(frozen=True)
class InferenceResponse:
    body: bytes
    content_type: str


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


def _call(handler: Handler, *args: Any, context: InferenceContext) -> Any:
    try:
        return handler(*args, context=context)
    except (Exception, SystemExit) as error:  # user code calling sys.exit() is a failure too
        if isinstance(error, InferenceError):  # our own errors are already user-facing text
            message = one_line(str(error)) or type(error).__name__
        else:
            message = f"{handler.name} failed: {describe_exception(error)}"
        raise InvocationFailed(status_of(error), message) from error


def to_response(result: Any, accept: str, source: str) -> InferenceResponse:
    """Normalise what output_fn/transform_fn returned. No side effects.

    Accepted: bytes, str (sent as UTF-8), or a (body, content_type) tuple; a bare body is
    labelled with the best concrete type of Accept, not the raw Accept list.
    """
    content_type = None
    if isinstance(result, tuple) and len(result) == 2:
        result, content_type = result
    if isinstance(result, str):
        body = result.encode()
    elif isinstance(result, bytes | bytearray | memoryview):
        body = bytes(result)
    else:
        raise InvocationFailed(
            500,
            f"{source} returned {type(result).__name__}; "
            "expected bytes, str or (body, content_type)",
        )
    return InferenceResponse(body, str(content_type) if content_type else first_concrete(accept))


def run_chain(
    handlers: HandlerSet,
    model: Any,
    body: bytes,
    content_type: str,
    accept: str,
    context: InferenceContext,
) -> InferenceResponse:
    """Run one request through the user's handlers (defaults where omitted)."""
    try:
        data = codecs.body_for_handlers(body, content_type)
    except InferenceError as error:
        raise InvocationFailed(error.status_code, str(error)) from error
    if handlers.transform_fn is not None:
        result = _call(handlers.transform_fn, model, data, content_type, accept, context=context)
        return to_response(result, accept, "transform_fn")
    decoded = _call(handlers.input_fn, data, content_type, context=context)
    prediction = _call(handlers.predict_fn, decoded, model, context=context)
    result = _call(handlers.output_fn, prediction, accept, context=context)
    return to_response(result, accept, "output_fn")
