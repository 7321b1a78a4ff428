"""Resource-level and condition-aware IAM checks for the emulator, so ARN- and tag-scoped
policies are really tested.

moto enforces IAM by action only for SageMaker, ECR, Application Auto Scaling and CloudWatch: it
authorises every request against the resource `*`, which an ARN-scoped statement never
matches. This module gives those requests the ARNs AWS's service authorization reference
names (UpdateEndpoint, for example, is checked on the endpoint AND the new endpoint config),
and corrects the two action names moto derives differently from IAM (CloudWatch signs as
`monitoring`, HeadBucket is authorised by s3:ListBucket).

moto also evaluates a permission statement's `Condition` without any request context (every
condition then holds vacuously) and turns a failed condition into an explicit deny. Here a
statement applies only when its action, resource and every condition match, as in AWS's
policy evaluation logic (IAM User Guide, "Condition element", "...IfExists", "Null"):
Application Auto Scaling requests carry `aws:RequestTag/<key>` (their `Tags`) and
`aws:ResourceTag/<key>` (the target's tags); a key a request lacks fails every operator but
the negated ones, `...IfExists` and `Null`. Installed and removed around a test.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fnmatch import fnmatchcase
from typing import Any

from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.authorization import ActionAuthenticatorMixin
from moto.ecr.responses import ECRResponse
from moto.iam.access_control import IAMPolicyStatement, IAMRequestBase, PermissionResult
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from smgitops.emulator.autoscaling import find_target, target_by_arn, target_tags

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


def cloudwatch_resources(response: Any) -> list[str]:
    """The alarms a CloudWatch request writes (PutMetricAlarm, DeleteAlarms, tagging); `*`
    for the reads, which IAM cannot scope to alarms."""
    base = f"arn:aws:cloudwatch:{response.region}:{response.current_account}:alarm:"
    action = response._get_action()
    if action == "PutMetricAlarm":
        return [base + response._get_param("AlarmName")]
    if action == "DeleteAlarms":
        return [base + name for name in response._get_param("AlarmNames", [])]
    if action in {"TagResource", "UntagResource"}:
        return [response._get_param("ResourceARN")]
    return ["*"]


_TAG_ARN_OPERATIONS = {"TagResource", "UntagResource", "ListTagsForResource"}
_TARGET_OPERATIONS = {
    "RegisterScalableTarget",
    "DeregisterScalableTarget",
    "PutScalingPolicy",
    "DeleteScalingPolicy",
}


def autoscaling_resources(response: Any) -> list[str]:
    """The scalable target a request acts on (its ARN; a placeholder ARN in the account and
    region while it is not registered yet), `*` for Describe*."""
    target, _ = _autoscaling_target(response)
    if target is not None:
        return [target.arn]
    action = response._get_action()
    if action in _TARGET_OPERATIONS | _TAG_ARN_OPERATIONS:
        base = f"arn:aws:application-autoscaling:{response.region}:{response.current_account}"
        return [f"{base}:scalable-target/unregistered"]
    return ["*"]


def autoscaling_context(response: Any) -> dict[str, str]:
    """aws:RequestTag/<key> of the request's Tags, aws:ResourceTag/<key> of the target's."""
    target, _ = _autoscaling_target(response)
    context = {f"aws:ResourceTag/{k}": v for k, v in target_tags(target).items()}
    tags = response._get_param("Tags") or {}
    context.update({f"aws:RequestTag/{k}": v for k, v in tags.items()})
    return context


def _autoscaling_target(response: Any) -> tuple[Any, str]:
    backend = response.applicationautoscaling_backend
    action = response._get_action()
    if action in _TAG_ARN_OPERATIONS:
        return target_by_arn(backend, response._get_param("ResourceARN")), action
    if action in _TARGET_OPERATIONS:
        target = find_target(
            backend,
            response._get_param("ServiceNamespace"),
            response._get_param("ResourceId"),
            response._get_param("ScalableDimension"),
        )
        return target, action
    return None, action


_REQUEST = threading.local()  # the condition context of the request being authorised


def _authorizer(resources_of, context_of: Callable[[Any], dict[str, str]] | None = None):
    def authorize(self: Any, resource: str = "*") -> None:
        _REQUEST.context = context_of(self) if context_of else {}
        try:
            for arn in resources_of(self):
                ActionAuthenticatorMixin._authenticate_and_authorize_normal_action(self, arn)
        finally:
            _REQUEST.context = {}

    return authorize


_NEGATED = {"StringNotEquals", "StringNotLike"}
_OPERATORS: dict[str, Callable[[str, list[str]], bool]] = {
    "StringEquals": lambda actual, values: actual in values,
    "StringNotEquals": lambda actual, values: actual not in values,
    "StringLike": lambda actual, values: any(fnmatchcase(actual, v) for v in values),
    "StringNotLike": lambda actual, values: not any(fnmatchcase(actual, v) for v in values),
}


def conditions_hold(conditions: dict[str, dict[str, Any]], context: dict[str, str]) -> bool:
    """Every operator and key of a statement's Condition holds for the request `context`
    (values of one key: any may match; keys and operators: all must). An operator this
    evaluator does not know fails closed."""
    for operator, tests in conditions.items():
        base = operator.removesuffix("IfExists")
        for key, expected in tests.items():
            values = [str(v) for v in (expected if isinstance(expected, list) else [expected])]
            if base == "Null":
                holds = (key not in context) == (values[0].lower() == "true")
            elif key not in context:
                holds = operator.endswith("IfExists") or base in _NEGATED
            else:
                check = _OPERATORS.get(base)
                holds = check is not None and check(context[key], values)
            if not holds:
                return False
    return True


def _statement_result(
    self: Any,
    action: str,
    resource: str = "*",
    principal: str | None = None,
    incoming_condition_values: dict[str, str] | None = None,
) -> PermissionResult:
    if "NotAction" in self._statement:
        concerned = not self._check_element_matches("NotAction", action)
    else:
        concerned = self._check_element_matches("Action", action)
    if not concerned or self.is_unknown_principal(self._statement.get("Principal")):
        return PermissionResult.NEUTRAL
    if principal and not self._check_principal(principal):
        return PermissionResult.DENIED
    if self._statement.get("Resource") and not self._check_element_matches("Resource", resource):
        return PermissionResult.NEUTRAL
    context = getattr(_REQUEST, "context", {}) | (incoming_condition_values or {})
    if not conditions_hold(self._statement.get("Condition", {}), context):
        return PermissionResult.NEUTRAL
    allowed = self._statement["Effect"] == "Allow"
    return PermissionResult.PERMITTED if allowed else PermissionResult.DENIED


def _renaming_init(original):
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        service, _, operation = self._action.partition(":")
        action = f"{_SERVICE_PREFIXES.get(service, service)}:{operation}"
        self._action = _ACTION_NAMES.get(action, action)

    return __init__


@contextmanager
def resource_level_iam() -> Iterator[None]:
    """Within the block, the emulator authorises SageMaker, ECR and Application Auto Scaling
    requests on their ARNs, and evaluates permission statements' conditions."""
    patches = [
        (SageMakerResponse, _AUTHORIZE, _authorizer(sagemaker_resources)),
        (SageMakerRuntimeResponse, _AUTHORIZE, _authorizer(runtime_resources)),
        (ECRResponse, _AUTHORIZE, _authorizer(ecr_resources)),
        (CloudWatchResponse, _AUTHORIZE, _authorizer(cloudwatch_resources)),
        (
            ApplicationAutoScalingResponse,
            _AUTHORIZE,
            _authorizer(autoscaling_resources, autoscaling_context),
        ),
        (IAMPolicyStatement, "is_action_permitted", _statement_result),
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
