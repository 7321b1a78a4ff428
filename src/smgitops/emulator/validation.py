"""What AWS refuses in a create or update call that moto 5.2.5 accepts, in AWS's wording.

The endpoint operations (endpoints.py) run these checks before they change anything; moto's
own CreateModel, CreateEndpointConfig and instance-type check get them in front (they become
methods of moto's classes: patch.py). Each check raises moto's ValidationError, which moto
answers as a ValidationException.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.model import OperationNotFoundError
from moto.core.exceptions import JsonRESTError
from moto.core.utils import get_service_model
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig, SageMakerModelBackend
from moto.sagemaker.utils import arn_formatter

from smgitops.core import instance_types
from smgitops.emulator import constraints

IN_PROGRESS = ("Creating", "Updating", "Deleting", "RollingBack", "SystemUpdating")
# Enums another check owns: the instance types (validate_instance_type knows newer ones).
OWN_ENUMS = frozenset({"ProductionVariantInstanceType"})


def endpoint_arn(backend: SageMakerModelBackend, name: str) -> str:
    return FakeEndpoint.arn_formatter(name, backend.account_id, backend.region_name)


def already_exists(kind: str, arn: str) -> ValidationError:
    """AWS's refusal to create a model, endpoint configuration or endpoint twice."""
    return ValidationError(message=f'Cannot create already existing {kind} "{arn}".')


def model_arn(backend: SageMakerModelBackend, name: str) -> str:
    return arn_formatter("model", name, backend.account_id, backend.region_name)


def not_found(kind: str, arn: str) -> ValidationError:
    """AWS's answer naming a model or endpoint that does not exist, by its ARN in double
    quotes, whichever call asked (moto quotes with ' and DeleteModel names the bare name)."""
    return ValidationError(message=f'Could not find {kind} "{arn}".')


def require_models(backend: SageMakerModelBackend, variants: list[dict[str, Any]]) -> None:
    # A config outlives its models; deploying it needs them (CreateEndpoint/UpdateEndpoint),
    # and so does creating one (moto's validate_production_variants, replaced by this).
    for variant in variants:
        name = variant.get("ModelName", "")
        if name not in backend._models:
            raise not_found("model", model_arn(backend, name))


def reject_in_progress(backend, endpoint: FakeEndpoint, verb: str) -> None:
    if endpoint.endpoint_status in IN_PROGRESS:
        arn = endpoint_arn(backend, endpoint.endpoint_name)
        raise ValidationError(message=f'Cannot {verb} in-progress endpoint "{arn}".')


# (path in the DeploymentConfig, AWS's field path in messages, lowest, highest)
_DEPLOYMENT_RANGES = (
    (
        ("BlueGreenUpdatePolicy", "TrafficRoutingConfiguration", "WaitIntervalInSeconds"),
        "deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.waitIntervalInSeconds",
        0,
        3600,
    ),
    (
        ("BlueGreenUpdatePolicy", "TerminationWaitInSeconds"),
        "deploymentConfig.blueGreenUpdatePolicy.terminationWaitInSeconds",
        0,
        3600,
    ),
    (
        ("BlueGreenUpdatePolicy", "MaximumExecutionTimeoutInSeconds"),
        "deploymentConfig.blueGreenUpdatePolicy.maximumExecutionTimeoutInSeconds",
        600,
        28800,
    ),
    (
        ("RollingUpdatePolicy", "WaitIntervalInSeconds"),
        "deploymentConfig.rollingUpdatePolicy.waitIntervalInSeconds",
        0,
        3600,
    ),
    (
        ("RollingUpdatePolicy", "MaximumExecutionTimeoutInSeconds"),
        "deploymentConfig.rollingUpdatePolicy.maximumExecutionTimeoutInSeconds",
        600,
        28800,
    ),
)


def _range_errors(deployment_config: dict[str, Any]) -> list[str]:
    """AWS's constraint messages for out-of-range waits and timeouts. No side effects."""
    errors = []
    for keys, field_path, lowest, highest in _DEPLOYMENT_RANGES:
        value: Any = deployment_config
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            continue
        if value > highest:
            errors.append(
                f"Value '{value}' at '{field_path}' failed to satisfy constraint: "
                f"Member must have value less than or equal to {highest}"
            )
        elif value < lowest:
            errors.append(
                f"Value '{value}' at '{field_path}' failed to satisfy constraint: "
                f"Member must have value greater than or equal to {lowest}"
            )
    return errors


def validate_deployment_config(deployment_config: dict[str, Any] | None) -> None:
    if not deployment_config:
        return
    errors = _range_errors(deployment_config)
    if errors:
        count = len(errors)
        raise ValidationError(
            message=f"{count} validation error{'s' if count > 1 else ''} detected: "
            + "; ".join(errors)
        )
    blue_green = deployment_config.get("BlueGreenUpdatePolicy")
    rolling = deployment_config.get("RollingUpdatePolicy")
    if blue_green and rolling:
        raise ValidationError(
            message="Only one of BlueGreenUpdatePolicy and RollingUpdatePolicy may be specified."
        )
    routing = (blue_green or {}).get("TrafficRoutingConfiguration") or {}
    kind = routing.get("Type")
    if kind == "CANARY" and not routing.get("CanarySize"):
        raise ValidationError(message="CanarySize must be specified for CANARY traffic routing.")
    if kind == "LINEAR" and not routing.get("LinearStepSize"):
        raise ValidationError(
            message="LinearStepSize must be specified for LINEAR traffic routing."
        )


def validate_weights_request(
    endpoint: FakeEndpoint, desired_weights_and_capacities: list[dict[str, Any]]
) -> None:
    """Each variant named once, and present on the endpoint (UpdateEndpointWeightsAndCapacities)."""
    seen: set[str] = set()
    live = {v["VariantName"] for v in endpoint.production_variants}
    for desired in desired_weights_and_capacities:
        name = desired.get("VariantName")
        if name in seen:
            raise ValidationError(
                message=f'The variant name "{name}" was non-unique within the request.'
            )
        if name not in live:
            raise ValidationError(
                message=(
                    f'The variant name(s) "{name}" is/are not present within endpoint '
                    f'configuration "{endpoint.endpoint_config_name}".'
                )
            )
        seen.add(name)


def check_constraints(response: Any) -> None:
    """Refuse a SageMaker request that breaks a constraint of botocore's model (lengths,
    patterns, ranges, enums: constraints.py) with AWS's ValidationException, before moto
    runs it. JsonRESTError is what moto answers as-is from its authorisation step."""
    try:
        operation = get_service_model("sagemaker").operation_model(response._get_action())
        params = json.loads(response.body or "{}")
    except (ValueError, OperationNotFoundError):
        return  # not an operation of the model, or not JSON: moto answers it
    problems = constraints.errors(operation, params, OWN_ENUMS) if isinstance(params, dict) else []
    if problems:
        raise JsonRESTError("ValidationException", constraints.message(problems))


# ---------------------------------------------------------------- moto methods, checked first

_MOTO = {
    name: SageMakerModelBackend.__dict__[name]
    for name in ("create_model", "create_endpoint_config", "describe_model", "delete_model")
}


def backend_create_model(self, model_name: str, *args: Any, **kwargs: Any):
    if model_name in self._models:
        raise already_exists("model", model_arn(self, model_name))
    return _MOTO["create_model"](self, model_name, *args, **kwargs)


def backend_describe_model(self, model_name: str):
    if model_name not in self._models:
        raise not_found("model", model_arn(self, model_name))
    return _MOTO["describe_model"](self, model_name)


def backend_delete_model(self, model_name: str) -> None:
    if model_name not in self._models:
        raise not_found("model", model_arn(self, model_name))
    return _MOTO["delete_model"](self, model_name)


def backend_create_endpoint_config(self, endpoint_config_name: str, *args: Any, **kwargs: Any):
    if endpoint_config_name in self.endpoint_configs:
        arn = FakeEndpointConfig.arn_formatter(
            endpoint_config_name, self.account_id, self.region_name
        )
        raise already_exists("endpoint configuration", arn)
    encrypted = bool(kwargs.get("kms_key_id"))
    for variant in (kwargs.get("production_variants") or []) if encrypted else []:
        kind = variant.get("InstanceType", "")
        # AWS: a KmsKeyId cannot be requested for instance types with local storage.
        if instance_types.family(kind) in instance_types.INSTANCE_STORAGE_FAMILIES:
            raise ValidationError(
                message=f"The instance type {kind} has instance storage volumes, which are "
                "encrypted by the hardware: KmsKeyId is not supported for it."
            )
    return _MOTO["create_endpoint_config"](self, endpoint_config_name, *args, **kwargs)


def validate_instance_type(self, instance_type: str) -> None:
    """Replaces moto's short list with current SageMaker hosting instance families."""
    if not instance_types.is_known(instance_type):
        allowed = sorted(instance_types.HOSTING_INSTANCE_TYPES)
        raise ValidationError(
            message=(
                f"Value '{instance_type}' at 'instanceType' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(allowed)}]"
            )
        )


BACKEND_METHODS: dict[str, Callable[..., Any]] = {
    "create_model": backend_create_model,
    "describe_model": backend_describe_model,
    "delete_model": backend_delete_model,
    "create_endpoint_config": backend_create_endpoint_config,
    "validate_production_variants": require_models,
}
