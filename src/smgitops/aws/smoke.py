"""InvokeEndpoint for the manifest's smoke test (one request after a change, judged against
its expectations) and for `smgitops invoke`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from smgitops.core.desired import JsonExpectation, SmokeTestSpec

_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[['\"]([^'\"]+)['\"]\]")


@dataclass(frozen=True)
class Invocation:
    """One InvokeEndpoint request: the payload, its content type, the accepted response type
    and, optionally, the production variant to send it to."""

    content_type: str
    body: bytes
    accept: str | None = None
    target_variant: str | None = None

    @classmethod
    def of_smoke_test(cls, spec: SmokeTestSpec) -> Invocation:
        return cls(spec.content_type, spec.body, spec.accept, spec.target_variant)


@dataclass(frozen=True)
class SmokeResult:
    status: int
    body: bytes
    content_type: str | None
    variant: str | None


def json_path(document: object, path: str) -> object:
    """The value at a small JSONPath (`$`, `$.a.b`, `$[0]`, `$.a[1]['x-y']`). No side effects.

    Raises KeyError when the path does not resolve.
    """
    if not path.startswith("$"):
        raise KeyError(path)
    position, value = 1, document
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            raise KeyError(path)
        key, index, quoted = match.groups()
        try:
            value = value[int(index)] if index is not None else value[key or quoted]  # type: ignore[index]
        except (KeyError, IndexError, TypeError) as error:
            raise KeyError(path) from error
        position = match.end()
    return value


def _check_json(expectation: JsonExpectation, body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return "response is not JSON"
    try:
        value = json_path(document, expectation.path)
    except KeyError:
        return f"response has nothing at {expectation.path}"
    if expectation.equals_json is not None and value != json.loads(expectation.equals_json):
        return f"{expectation.path} is {json.dumps(value)}, expected {expectation.equals_json}"
    return None


def judge(spec: SmokeTestSpec, result: SmokeResult) -> str | None:
    """Why the response fails the smoke test, or None when it passes. No side effects."""
    if result.status != spec.expect_status:
        detail = result.body[:200].decode(errors="replace").strip()
        return f"status {result.status}, expected {spec.expect_status}: {detail}"
    if spec.expect_json is not None:
        return _check_json(spec.expect_json, result.body)
    return None


def invoke(runtime: Any, endpoint: str, spec: Invocation) -> SmokeResult:
    """Send one request; a container error comes back as its status, not an exception."""
    request: dict[str, Any] = {
        "EndpointName": endpoint,
        "ContentType": spec.content_type,
        "Body": spec.body,
    }
    if spec.accept:
        request["Accept"] = spec.accept
    if spec.target_variant:
        request["TargetVariant"] = spec.target_variant
    try:
        response = runtime.invoke_endpoint(**request)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ModelError":
            raise
        status = int(error.response.get("OriginalStatusCode") or 500)
        message = str(error.response.get("OriginalMessage") or error.response["Error"]["Message"])
        return SmokeResult(status, message.encode(), None, None)
    return SmokeResult(
        200,
        response["Body"].read(),
        response.get("ContentType"),
        response.get("InvokedProductionVariant"),
    )
