"""Failure injection in front of moto's server: throttling, fixed latency, and a call log.

A WSGI middleware: it names each AWS request (service, operation), records it, may delay it,
and may answer it with the throttling error the service's protocol uses on AWS
(JSON: ThrottlingException, query: Throttling, S3: 503 SlowDown).
"""

from __future__ import annotations

import io
import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from smgitops.emulator.knobs import Knobs

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/(?P<service>[^/]+)/aws4_request")
_CBOR_OPERATION = re.compile(r"/service/[^/]+/operation/(?P<operation>[^/?]+)")
_S3_OPERATIONS = {
    ("GET", False): "ListObjects",
    ("GET", True): "GetObject",
    ("PUT", False): "CreateBucket",
    ("PUT", True): "PutObject",
    ("HEAD", False): "HeadBucket",
    ("HEAD", True): "HeadObject",
    ("DELETE", False): "DeleteBucket",
    ("DELETE", True): "DeleteObject",
    ("POST", True): "MultipartUpload",
    ("POST", False): "DeleteObjects",
}


@dataclass(frozen=True)
class ApiCall:
    """One AWS request the emulator received."""

    service: str
    operation: str
    throttled: bool = False


def _service(environ: dict[str, Any]) -> str:
    match = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service = match["service"] if match else "unknown"
    if service == "sagemaker" and environ.get("PATH_INFO", "").endswith("invocations"):
        return "sagemaker-runtime"
    return service


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, leaving it readable again for the wrapped app."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _operation(environ: dict[str, Any], service: str) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    path = environ.get("PATH_INFO", "")
    cbor = _CBOR_OPERATION.search(path)
    if cbor:
        return cbor["operation"]
    if service == "sagemaker-runtime":
        return "InvokeEndpointAsync" if "async" in path else "InvokeEndpoint"
    if service == "s3":
        has_key = len([part for part in path.split("/") if part]) > 1
        return _S3_OPERATIONS.get((environ.get("REQUEST_METHOD", "GET"), has_key), "Unknown")
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        form = parse_qs(_read_body(environ).decode("utf-8", "replace"))
        if form.get("Action"):
            return form["Action"][0]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    return query.get("Action", ["Unknown"])[0]


def _cbor_text(text: str) -> bytes:
    data = text.encode()
    header = bytes([0x60 + len(data)]) if len(data) < 24 else bytes([0x78, len(data)])
    return header + data


def latency_for(knobs: Knobs, operation: str) -> float:
    """Seconds the latency knobs add to one AWS operation (also to the GetObject with which
    an emulated instance downloads its model). No side effects."""
    delayed = not knobs.latency_operations or operation in knobs.latency_operations
    return knobs.latency_seconds if delayed else 0.0


def throttling_response(environ: dict[str, Any], service: str) -> tuple[str, list, bytes]:
    """The throttling error AWS sends for this request's protocol. No side effects."""
    if service == "s3":
        body = (
            b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
            b"<Message>Please reduce your request rate.</Message></Error>"
        )
        return "503 Slow Down", [("Content-Type", "application/xml")], body
    if "/operation/" in environ.get("PATH_INFO", ""):
        # Smithy RPC v2 CBOR (e.g. CloudWatch): a two-entry map of text strings.
        body = (
            bytes([0xA2])
            + _cbor_text("__type")
            + _cbor_text("ThrottlingException")
            + _cbor_text("message")
            + _cbor_text("Rate exceeded")
        )
        headers = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
        return "400 Bad Request", headers, body
    if environ.get("HTTP_X_AMZ_TARGET") or service == "sagemaker-runtime":
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        headers = [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("x-amzn-ErrorType", "ThrottlingException"),
        ]
        return "400 Bad Request", headers, body
    body = (
        b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
        b"<Message>Rate exceeded</Message></Error><RequestId>throttled</RequestId></ErrorResponse>"
    )
    return "400 Bad Request", [("Content-Type", "text/xml")], body


class FaultInjector:
    """WSGI middleware: names, records, delays and (sometimes) throttles AWS requests.

    `knobs` gives the current knobs at each request (throttle_*, latency_*, seed).
    """

    def __init__(
        self,
        app: WsgiApp,
        knobs: Callable[[], Knobs],
        passthrough_prefixes: tuple[str, ...] = ("/moto-api",),
    ):
        self._app = app
        self._knobs = knobs
        self._passthrough = passthrough_prefixes
        self._lock = threading.Lock()
        self._rng = random.Random(knobs().seed)
        self._calls: list[ApiCall] = []

    def reseed(self) -> None:
        """Start the throttling choice again from the `seed` knob (None: unseeded)."""
        with self._lock:
            self._rng = random.Random(self._knobs().seed)

    def calls(self) -> list[ApiCall]:
        with self._lock:
            return list(self._calls)

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def _should_throttle(self, knobs: Knobs, service: str) -> bool:
        if knobs.throttle_rate <= 0:
            return False
        if knobs.throttle_services and service not in knobs.throttle_services:
            return False
        return self._rng.random() < knobs.throttle_rate

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        path = environ.get("PATH_INFO", "")
        if path.startswith(self._passthrough):
            return self._app(environ, start_response)
        service = _service(environ)
        operation = _operation(environ, service)
        knobs = self._knobs()
        latency = latency_for(knobs, operation)
        with self._lock:
            throttled = self._should_throttle(knobs, service)
            self._calls.append(ApiCall(service, operation, throttled))
        if latency:
            time.sleep(latency)
        if throttled:
            status, headers, body = throttling_response(environ, service)
            start_response(status, [*headers, ("Content-Length", str(len(body)))])
            return [body]
        return self._app(environ, start_response)
