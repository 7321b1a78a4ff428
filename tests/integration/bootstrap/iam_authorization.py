"""Resource-level IAM checks for the emulator, so ARN-scoped policies are really tested.

moto enforces IAM by action only for SageMaker and ECR: it authorises every request against
the resource `*`, which an ARN-scoped statement never matches. This module gives those
requests the ARNs AWS's service authorization reference names (UpdateEndpoint, for example,
is checked on the endpoint AND the new endpoint config), and corrects the two action names
moto derives differently from IAM (CloudWatch signs as `monitoring`, HeadBucket is
authorised by s3:ListBucket). Installed and removed around a test; class attributes only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.core.authorization import ActionAuthenticatorMixin
from moto.ecr.responses import ECRResponse
from moto.iam.access_control import IAMRequestBase
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

_AUTHORIZE = "_authenticate_and_authorize_normal_action"
# IAM's names where moto's request-derived ones differ.
_ACTION_NAMES = {"s3:HeadBucket": "s3:ListBucket"}
_SERVICE_PREFIXES = {"monitoring": "cloudwatch"}

# SageMaker operation -> (resource type, request parameter) pairs it is authorised on.
_SAGEMAKER_RESOURCES = {
    "CreateModel": [("model", "ModelName")],
    "DescribeModel": [("model", "ModelName")],
    "DeleteModel": [("model", "ModelName")],
    "CreateEndpointConfig": [("endpoint-config", "EndpointConfigName")],
    "DescribeEndpointConfig": [("endpoint-config", "EndpointConfigName")],
    "DeleteEndpointConfig": [("endpoint-config", "EndpointConfigName")],
    "CreateEndpoint": [("endpoint", "EndpointName"), ("endpoint-config", "EndpointConfigName")],
    "UpdateEndpoint": [("endpoint", "EndpointName"), ("endpoint-config", "EndpointConfigName")],
    "UpdateEndpointWeightsAndCapacities": [("endpoint", "EndpointName")],
    "DescribeEndpoint": [("endpoint", "EndpointName")],
    "DeleteEndpoint": [("endpoint", "EndpointName")],
}
_TAG_OPERATIONS = {"AddTags", "DeleteTags", "ListTags"}
_INVOCATION_PATH = re.compile(r"/endpoints/([^/]+)/invocations")


def _sagemaker_base(response: Any) -> str:
    return f"arn:aws:sagemaker:{response.region}:{response.current_account}"


def sagemaker_resources(response: Any) -> list[str]:
    action = response._get_action()
    if action in _TAG_OPERATIONS:
        return [response._get_param("ResourceArn")]
    base = _sagemaker_base(response)
    pairs = _SAGEMAKER_RESOURCES.get(action)
    if pairs is None:
        return ["*"]  # List* and everything not scoped here
    # SageMaker writes resource names in ARNs in lower case.
    return [f"{base}:{kind}/{str(response._get_param(param)).lower()}" for kind, param in pairs]


def runtime_resources(response: Any) -> list[str]:
    match = _INVOCATION_PATH.search(response.path)
    name = match.group(1).lower() if match else "*"
    return [f"{_sagemaker_base(response)}:endpoint/{name}"]


def ecr_resources(response: Any) -> list[str]:
    if response._get_action() == "GetAuthorizationToken":
        return ["*"]
    names = response._get_param("repositoryNames") or [response._get_param("repositoryName")]
    names = [n for n in names if n]
    if not names:
        return ["*"]
    base = f"arn:aws:ecr:{response.region}:{response.current_account}"
    return [f"{base}:repository/{name}" for name in names]


def _authorizer(resources_of):
    def authorize(self: Any, resource: str = "*") -> None:
        for arn in resources_of(self):
            ActionAuthenticatorMixin._authenticate_and_authorize_normal_action(self, arn)

    return authorize


def _renaming_init(original):
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        service, _, operation = self._action.partition(":")
        action = f"{_SERVICE_PREFIXES.get(service, service)}:{operation}"
        self._action = _ACTION_NAMES.get(action, action)

    return __init__


@contextmanager
def resource_level_iam() -> Iterator[None]:
    """Within the block, the emulator authorises SageMaker and ECR requests on their ARNs."""
    patches = [
        (SageMakerResponse, _AUTHORIZE, _authorizer(sagemaker_resources)),
        (SageMakerRuntimeResponse, _AUTHORIZE, _authorizer(runtime_resources)),
        (ECRResponse, _AUTHORIZE, _authorizer(ecr_resources)),
        (IAMRequestBase, "__init__", _renaming_init(IAMRequestBase.__init__)),
    ]
    saved = [(cls, name, cls.__dict__.get(name)) for cls, name, _ in patches]
    for cls, name, value in patches:
        setattr(cls, name, value)
    try:
        yield
    finally:
        for cls, name, original in saved:
            if original is None:
                delattr(cls, name)
            else:
                setattr(cls, name, original)
