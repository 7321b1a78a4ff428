"""The HTTP face of the contract: GET /ping and POST /invocations (Starlette ASGI app)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from smgitops.serving.chain import InvocationFailed
from smgitops.serving.context import CUSTOM_ATTRIBUTES_HEADER, InferenceContext
from smgitops.serving.host import ModelHost
from smgitops.serving.mediatypes import JSON, effective_accept

log = logging.getLogger("smgitops.serving")


def error_response(status: int, message: str) -> Response:
    """A one-line JSON error body; never a traceback. No side effects."""
    return JSONResponse({"error": message}, status_code=status)


def valid_custom_attributes(value: object) -> bool:
    """SageMaker's rule for CustomAttributes: up to 1024 visible US-ASCII characters (spaces
    allowed); anything else could break the response header. No side effects."""
    return (
        isinstance(value, str)
        and len(value) <= 1024
        and all(" " <= character <= "~" or character == "\t" for character in value)
    )


class PayloadTooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(host: ModelHost, is_ready: Callable[[], bool] | None = None) -> Starlette:
    """The ASGI app for one worker. `is_ready` defaults to "this worker's model is loaded"."""
    ready = is_ready or (lambda: host.loaded)
    settings = host.settings

    async def ping(request: Request) -> Response:
        if ready():
            return Response(status_code=200)
        return error_response(503, "model is loading")

    async def invocations(request: Request) -> Response:
        try:
            body = await _read_body(request, settings.max_payload_bytes)
        except PayloadTooLarge:
            limit_mb = settings.max_payload_bytes / (1024 * 1024)
            return error_response(
                413, f"request body exceeds {limit_mb:g} MB (SAGEMAKER_MAX_PAYLOAD_IN_MB)"
            )
        headers = {name.lower(): value for name, value in request.headers.items()}
        content_type = headers.get("content-type") or JSON
        accept = effective_accept(headers.get("accept"), settings.default_accept)
        context = InferenceContext(headers=headers, model_dir=str(settings.model_dir))
        try:
            result = await host.invoke(body, content_type, accept, context)
        except InvocationFailed as failure:
            cause = failure.__cause__
            if failure.status >= 500 and cause is not None:
                log.error("invocation failed (%d): %s", failure.status, failure, exc_info=cause)
            else:
                log.warning("invocation failed (%d): %s", failure.status, failure)
            return error_response(failure.status, failure.message)
        extra = {}
        attributes = context.response_custom_attributes
        if attributes is not None:
            if not valid_custom_attributes(attributes):
                log.error("invalid response_custom_attributes from a handler: %r", attributes)
                return error_response(
                    500, "response_custom_attributes must be at most 1024 visible ASCII characters"
                )
            extra[CUSTOM_ATTRIBUTES_HEADER] = attributes
        return Response(result.body, media_type=result.content_type, headers=extra)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        host.start_loading()
        yield
        host.close()

    return Starlette(
        routes=[
            Route("/ping", ping, methods=["GET"]),
            Route("/invocations", invocations, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
