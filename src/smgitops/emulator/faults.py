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
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

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


@dataclass
class FaultSettings:
    """What the middleware does to AWS requests; changed at runtime by tests and benchmarks."""

    throttle_rate: float = 0.0
    throttle_services: frozenset[str] = frozenset()  # empty: every service
    latency_seconds: float = 0.0
    latency_operations: frozenset[str] = frozenset()  # empty: every operation is delayed
    seed: int | None = None
    rng: random.Random = field(default_factory=random.Random)

    def as_dict(self) -> dict[str, Any]:
        return {
            "throttle_rate": self.throttle_rate,
            "throttle_services": sorted(self.throttle_services),
            "latency_seconds": self.latency_seconds,
            "latency_operations": sorted(self.latency_operations),
        }


class FaultInjector:
    """WSGI middleware: names, records, delays and (sometimes) throttles AWS requests."""

    def __init__(self, app: WsgiApp, passthrough_prefixes: tuple[str, ...] = ("/moto-api",)):
        self._app = app
        self._passthrough = passthrough_prefixes
        self._lock = threading.Lock()
        self.settings = FaultSettings()
        self._calls: list[ApiCall] = []

    def configure(
        self,
        throttle_rate: float | None = None,
        throttle_services: Iterable[str] | None = None,
        latency_seconds: float | None = None,
        seed: int | None = None,
        latency_operations: Iterable[str] | None = None,
    ) -> None:
        with self._lock:
            if throttle_rate is not None:
                if not 0.0 <= throttle_rate <= 1.0:
                    raise ValueError("throttle_rate must be between 0 and 1")
                self.settings.throttle_rate = throttle_rate
            if throttle_services is not None:
                self.settings.throttle_services = frozenset(throttle_services)
            if latency_seconds is not None:
                self.settings.latency_seconds = max(0.0, latency_seconds)
            if seed is not None:
                self.settings.rng = random.Random(seed)
            if latency_operations is not None:
                self.settings.latency_operations = frozenset(latency_operations)

    def reset(self) -> None:
        with self._lock:
            self.settings = FaultSettings()
            self._calls.clear()

    def calls(self) -> list[ApiCall]:
        with self._lock:
            return list(self._calls)

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def _should_throttle(self, service: str) -> bool:
        settings = self.settings
        if settings.throttle_rate <= 0:
            return False
        if settings.throttle_services and service not in settings.throttle_services:
            return False
        return settings.rng.random() < settings.throttle_rate

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        path = environ.get("PATH_INFO", "")
        if path.startswith(self._passthrough):
            return self._app(environ, start_response)
        service = _service(environ)
        operation = _operation(environ, service)
        with self._lock:
            throttled = self._should_throttle(service)
            latency = self.settings.latency_seconds
            if (
                self.settings.latency_operations
                and operation not in self.settings.latency_operations
            ):
                latency = 0.0
            self._calls.append(ApiCall(service, operation, throttled))
        if latency:
            time.sleep(latency)
        if throttled:
            status, headers, body = throttling_response(environ, service)
            start_response(status, [*headers, ("Content-Length", str(len(body)))])
            return [body]
        return self._app(environ, start_response)
