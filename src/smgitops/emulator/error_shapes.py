"""Fixes to how moto words errors on the wire, where JSON-protocol clients would misread them.

moto answers failed IAM checks with a query-protocol XML body (403) even for JSON services;
AWS sends a JSON error there (`UnrecognizedClientException`, `AccessDeniedException`, ...),
which botocore turns into the right error code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from smgitops.emulator.faults import WsgiApp

_XML_ERROR = re.compile(rb"<Code>(?P<code>[^<]+)</Code>\s*<Message>(?P<message>[^<]*)</Message>")
# Query-protocol auth error codes -> the JSON-protocol codes AWS uses.
_JSON_CODES = {
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
    "AccessDenied": "AccessDeniedException",
}


def json_auth_error(xml_body: bytes) -> tuple[str, bytes] | None:
    """(error code, JSON body) for moto's XML auth error, or None if it is not one. Pure."""
    match = _XML_ERROR.search(xml_body)
    if match is None:
        return None
    code = match["code"].decode()
    json_code = _JSON_CODES.get(code)
    if json_code is None:
        return None
    message = match["message"].decode()
    return json_code, json.dumps({"__type": json_code, "message": message}).encode()


def _is_json_protocol(environ: dict[str, Any]) -> bool:
    path = environ.get("PATH_INFO", "")
    return bool(environ.get("HTTP_X_AMZ_TARGET")) or path.endswith("/invocations")


class JsonAuthErrors:
    """WSGI middleware: rewrites moto's XML 403 auth errors for JSON-protocol requests."""

    def __init__(self, app: WsgiApp):
        self._app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if not _is_json_protocol(environ):
            return self._app(environ, start_response)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list, exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        answer = self._app(environ, capture)
        try:
            body = b"".join(answer)
        finally:
            getattr(answer, "close", lambda: None)()
        status, headers = captured["status"], captured["headers"]
        rewritten = json_auth_error(body) if status.startswith("403") else None
        if rewritten is not None:
            code, body = rewritten
            status = "400 Bad Request"
            headers = [
                ("Content-Type", "application/x-amz-json-1.1"),
                ("x-amzn-ErrorType", code),
                ("Content-Length", str(len(body))),
            ]
        start_response(status, headers)
        return [body]
