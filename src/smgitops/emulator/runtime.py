"""InvokeEndpoint that runs the endpoint's real model: the request goes to its model server.

The API checks the request first, as AWS does before any container sees it: the constraints
of botocore's model on its headers (constraints.py) and the body limits of the variant's kind
(limits.py). The variant is chosen by the endpoint's traffic (lifecycle.traffic: weights, and
the shares of an update in flight); its model server (model_servers.py) answers within the
invocation timeout, and a model's error becomes SageMaker's ModelError.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from typing import Any
from urllib.parse import unquote

import requests
from moto.core.common_types import TYPE_RESPONSE
from moto.core.utils import get_service_model
from moto.sagemaker.models import sagemaker_backends

from smgitops.emulator import artifacts, constraints, lifecycle, limits, state
from smgitops.emulator.model_servers import DownloadTimedOut, ModelLoadFailed

# Request headers SageMaker forwards to the container (it strips all others).
_FORWARDED_HEADERS = (
    "Content-Type",
    "Accept",
    "X-Amzn-SageMaker-Custom-Attributes",
    "X-Amzn-SageMaker-Target-Model",
    "X-Amzn-SageMaker-Target-Variant",
    "X-Amzn-SageMaker-Inference-Id",
    "X-Amzn-SageMaker-Enable-Explanations",
)


_rng = random.Random()
_sessions = threading.local()


def _http() -> requests.Session:
    if not hasattr(_sessions, "session"):
        _sessions.session = requests.Session()
    return _sessions.session


def _json_error(status: int, code: str, body: dict[str, Any]) -> TYPE_RESPONSE:
    # moto takes the HTTP status from a "status" header, not from the tuple.
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code, "status": str(status)}
    return status, headers, json.dumps(body)


def _validation_error(message: str) -> TYPE_RESPONSE:
    return _json_error(400, "ValidationError", {"message": message})


def _request_problems(self: Any, endpoint_name: str, body: bytes) -> list[str]:
    """The constraint messages of the request's path and header parameters (after the
    body's size, which has its own answers). No side effects."""
    operation = get_service_model("sagemaker-runtime").operation_model("InvokeEndpoint")
    params: dict[str, Any] = {"EndpointName": endpoint_name, "Body": body}
    for name, member in operation.input_shape.members.items():
        if member.serialization.get("location") == "header":
            value = self.headers.get(member.serialization["name"])
            if value is not None:
                params[name] = value
    return constraints.errors(operation, params)


def _api_body_too_large() -> TYPE_RESPONSE:
    # AWS's front end answers with a bare status: no error code, only this message.
    limit = limits.API_MAX_BODY_BYTES
    body = {"message": f"HTTP content length exceeded {limit} bytes."}
    return 413, {"Content-Type": "application/json", "status": "413"}, json.dumps(body)


def _model_error(
    account: str, region: str, endpoint: str, status: int, message: str
) -> TYPE_RESPONSE:
    kind = "client" if 400 <= status < 500 else "server"
    log_group = f"/aws/sagemaker/Endpoints/{endpoint}"
    text = (
        f'Received {kind} error ({status}) from primary with message "{message}". See '
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#logEventViewer:group={log_group} in account {account} for more information."
    )
    body = {
        "ErrorCode": f"{kind.upper()}_ERROR_FROM_MODEL",
        "LogStreamArn": f"arn:aws:logs:{region}:{account}:log-group:{log_group}",
        "message": text,
        "OriginalMessage": message,
        "OriginalStatusCode": status,
    }
    return _json_error(424, "ModelError", body)


def invoke_endpoint(self: Any) -> TYPE_RESPONSE:
    """SageMakerRuntimeResponse.invoke_endpoint: check the request as the API does, then
    forward it to the real model."""
    endpoint_name = unquote(self.path.split("/")[2])
    account, region = self.current_account, self.region
    body = self.raw_body or b""
    if len(body) > limits.API_MAX_BODY_BYTES:
        return _api_body_too_large()
    problems = _request_problems(self, endpoint_name, body)
    if problems:
        return _validation_error(constraints.message(problems))
    backend = sagemaker_backends[account][region]
    traffic = lifecycle.traffic(backend, endpoint_name)
    if traffic is None:
        return _validation_error(f"Endpoint {endpoint_name} of account {account} not found.")
    target = self.headers.get("X-Amzn-SageMaker-Target-Variant")
    variant = traffic.choose_variant(target, _rng)
    if variant is None:
        return _validation_error(
            f'The variant(s) "[{target}]" is/are not present within endpoint configuration '
            f'"{traffic.endpoint_config_name}".'
        )
    kind = limits.for_kind(variant.serverless)
    if len(body) > kind.max_body_bytes:
        return _validation_error(f"Request {uuid.uuid4()} has oversize body.")
    scale = state.running().knobs.timeout_scale
    try:
        server = state.running().model_servers.server_for(
            account, region, variant.container, limits.timeouts_of(variant, scale)
        )
    except (ModelLoadFailed, DownloadTimedOut, artifacts.ArchiveNotExtracted) as error:
        return _model_error(account, region, endpoint_name, 500, str(error))
    forwarded = {h: self.headers[h] for h in _FORWARDED_HEADERS if self.headers.get(h) is not None}
    try:
        answer = _http().post(
            f"{server.url}/invocations",
            data=body,
            headers=forwarded,
            timeout=kind.invocation_timeout_seconds * scale,
        )
    except requests.Timeout:
        return _model_error(
            account,
            region,
            endpoint_name,
            0,
            # AWS's wording (aws/sagemaker-python-sdk#1119).
            "Your invocation timed out while waiting for a response from container primary. "
            "Review the latency metrics for each container in Amazon CloudWatch, resolve the "
            "issue, and try again.",
        )
    except requests.ConnectionError as error:
        return _model_error(account, region, endpoint_name, 0, f"connection failed: {error}")
    if answer.status_code >= 400:
        return _model_error(account, region, endpoint_name, answer.status_code, answer.text)
    headers = {
        "Content-Type": answer.headers.get("Content-Type", "application/octet-stream"),
        "x-Amzn-Invoked-Production-Variant": variant.name,
    }
    attributes = answer.headers.get("X-Amzn-SageMaker-Custom-Attributes")
    if attributes is not None:
        headers["X-Amzn-SageMaker-Custom-Attributes"] = attributes
    return 200, headers, answer.content
