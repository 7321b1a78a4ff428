"""The SageMaker endpoint operations moto 5.2.5 lacks or answers at once, as AWS runs them.

CreateEndpoint, UpdateEndpoint, UpdateEndpointWeightsAndCapacities and DeleteEndpoint check
the request (validation.py, quotas.py), capture what the endpoint will serve, and start a
transition that lifecycle.py moves on whenever the endpoint is read; DescribeEndpoint and
ListEndpoints move it on first. These functions become methods of moto's
`SageMakerModelBackend` (patch.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpoint, SageMakerModelBackend

from smgitops.emulator import checks, quotas, rollout, state
from smgitops.emulator.artifacts import SUBMIT_DIRECTORY, parse_s3_url, s3_object_etag
from smgitops.emulator.lifecycle import advance_endpoint
from smgitops.emulator.served import ServedConfig, ServedContainer, ServedVariant
from smgitops.emulator.state import Transition
from smgitops.emulator.validation import (
    already_exists,
    endpoint_arn,
    not_found,
    reject_in_progress,
    require_models,
    validate_deployment_config,
    validate_weights_request,
)
from smgitops.emulator.views import data_capture_summary, variants_view

# The FailureReason of an injected failure (the fail_next_creates/fail_next_updates knobs).
INJECTED_FAILURES = {
    "create": "Injected failure: the endpoint could not be created (emulator fault).",
    "update": "Injected failure: the update could not be completed (emulator fault).",
}

_MOTO = {
    name: SageMakerModelBackend.__dict__[name] for name in ("describe_endpoint", "list_endpoints")
}


def _etag(backend: SageMakerModelBackend, url: str | None) -> str | None:
    ref = parse_s3_url(url or "")
    return s3_object_etag(backend.account_id, backend.region_name, ref) if ref else None


def _served_config(
    backend: SageMakerModelBackend, config_name: str, variants: list[dict[str, Any]]
) -> ServedConfig:
    """What the config's variants will serve: each model's primary container as it is now,
    with the ETags of its model data and code (instances keep serving what they downloaded),
    and the variant's kind and startup settings."""
    served = []
    for variant in variants:
        model = backend._models.get(variant.get("ModelName", ""))
        container = (model.primary_container or {}) if model else {}
        if not container and model and model.containers:
            container = model.containers[0]
        environment = container.get("Environment") or {}
        served.append(
            ServedVariant(
                name=variant["VariantName"],
                weight=float(variant.get("InitialVariantWeight", 1.0)),
                container=ServedContainer(
                    model_name=variant.get("ModelName", ""),
                    image=container.get("Image", ""),
                    model_data_url=container.get("ModelDataUrl"),
                    environment=tuple(sorted(environment.items())),
                    model_data_etag=_etag(backend, container.get("ModelDataUrl")),
                    code_etag=_etag(backend, environment.get(SUBMIT_DIRECTORY)),
                ),
                serverless=bool(variant.get("ServerlessConfig")),
                startup_timeout_seconds=variant.get("ContainerStartupHealthCheckTimeoutInSeconds"),
                download_timeout_seconds=variant.get("ModelDataDownloadTimeoutInSeconds"),
            )
        )
    return ServedConfig(endpoint_config_name=config_name, variants=tuple(served))


def _retained_variants(
    endpoint: FakeEndpoint, new_variants: list[dict[str, Any]], excluded: set[str]
) -> list[dict[str, Any]]:
    """New config variants keeping the live counts/weights (RetainAllVariantProperties)."""
    live = {v["VariantName"]: v for v in endpoint.production_variants}
    kept = []
    for variant in new_variants:
        variant = dict(variant)
        current = live.get(variant["VariantName"])
        if current is not None:
            if "DesiredWeight" not in excluded and "CurrentWeight" in current:
                variant["InitialVariantWeight"] = current["CurrentWeight"]
            if "DesiredInstanceCount" not in excluded and "CurrentInstanceCount" in current:
                variant["InitialInstanceCount"] = current["CurrentInstanceCount"]
        kept.append(variant)
    return kept


def _fleet_size(variants: list[dict[str, Any]]) -> int:
    return sum(int(v.get("InitialInstanceCount") or 1) for v in variants) or 1


def _injected_failure(kind: str) -> str | None:
    """The FailureReason if a failure of this kind ("create", "update") is armed (using it up)."""
    return INJECTED_FAILURES[kind] if state.running().use_one(f"fail_next_{kind}s") else None


def _get_endpoint(backend, name: str) -> FakeEndpoint:
    advance_endpoint(backend, name)
    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        raise not_found("endpoint", endpoint_arn(backend, name))
    return endpoint


def backend_create_endpoint(
    self, endpoint_name: str, endpoint_config_name: str, tags: list[dict[str, str]] | None
) -> FakeEndpoint:
    endpoints = state.of(self)
    with endpoints.lock:
        advance_endpoint(self, endpoint_name)
        # "The name is case-insensitive in CreateEndpoint, but the case is preserved and must
        # be matched in InvokeEndpoint" (CreateEndpoint API reference, EndpointName).
        taken = next((n for n in self.endpoints if n.lower() == endpoint_name.lower()), None)
        if taken is not None:
            raise already_exists("endpoint", endpoint_arn(self, taken))
        config = self.describe_endpoint_config(endpoint_config_name)
        require_models(self, config["ProductionVariants"])
        variants = config["ProductionVariants"]
        quotas.check_request(self, variants)
        endpoint = FakeEndpoint(
            account_id=self.account_id,
            region_name=self.region_name,
            endpoint_name=endpoint_name,
            endpoint_config_name=endpoint_config_name,
            production_variants=[],
            data_capture_config=data_capture_summary(config.get("DataCaptureConfig")),
            tags=list(tags or []),
        )
        served = _served_config(self, endpoint_config_name, variants)
        endpoint.endpoint_status = "Creating"
        endpoint.production_variants = variants_view(variants, served, "Creating", current=False)
        self.endpoints[endpoint_name] = endpoint
        endpoints.served[endpoint_name] = served
        endpoints.transitions[endpoint_name] = checks.start(
            self,
            Transition(
                kind="create",
                target=served,
                target_variants=variants,
                injected_failure=_injected_failure("create"),
            ),
        )
        return endpoint


def backend_describe_endpoint(self, endpoint_name: str) -> dict[str, Any]:
    with state.of(self).lock:
        advance_endpoint(self, endpoint_name)
        if endpoint_name not in self.endpoints:
            raise not_found("endpoint", endpoint_arn(self, endpoint_name))
        return _MOTO["describe_endpoint"](self, endpoint_name)


def backend_list_endpoints(self, *args: Any, **kwargs: Any):
    with state.of(self).lock:
        for name in list(self.endpoints):
            advance_endpoint(self, name)
        return _MOTO["list_endpoints"](self, *args, **kwargs)


def backend_delete_endpoint(self, endpoint_name: str) -> None:
    with state.of(self).lock:
        advance_endpoint(self, endpoint_name)
        endpoint = self.endpoints.get(endpoint_name)
        if endpoint is None:
            raise not_found("endpoint", endpoint_arn(self, endpoint_name))
        reject_in_progress(self, endpoint, "delete")
        endpoint.endpoint_status = "Deleting"
        endpoint.last_modified_time = utcnow()
        state.of(self).transitions[endpoint_name] = Transition(kind="delete")


def backend_update_endpoint(
    self,
    endpoint_name: str,
    endpoint_config_name: str,
    retain_all_variant_properties: bool = False,
    exclude_retained_variant_properties: list[dict[str, str]] | None = None,
    deployment_config: dict[str, Any] | None = None,
    retain_deployment_config: bool = False,
) -> str:
    with state.of(self).lock:
        endpoint = _get_endpoint(self, endpoint_name)
        reject_in_progress(self, endpoint, "update")
        if endpoint.endpoint_status == "Failed":
            arn = endpoint_arn(self, endpoint_name)
            raise ValidationError(message=f'Cannot update failed endpoint "{arn}".')
        config = self.describe_endpoint_config(endpoint_config_name)
        require_models(self, config["ProductionVariants"])
        validate_deployment_config(deployment_config)
        if deployment_config is None and retain_deployment_config:
            deployment_config = getattr(endpoint, "last_deployment_config", None)
        variants = config["ProductionVariants"]
        excluded = {p["VariantPropertyType"] for p in exclude_retained_variant_properties or []}
        if retain_all_variant_properties:
            variants = _retained_variants(endpoint, variants, excluded)
        quotas.check_request(self, variants)  # the old fleet keeps running while the new one starts
        served = _served_config(self, endpoint_config_name, variants)
        data_capture = data_capture_summary(config.get("DataCaptureConfig"))
        if retain_all_variant_properties and "DataCaptureConfig" not in excluded:
            data_capture = None
        state.of(self).transitions[endpoint_name] = checks.start(
            self,
            Transition(
                kind="update",
                target=served,
                target_variants=variants,
                target_data_capture=data_capture,
                traffic_steps=rollout.traffic_steps(deployment_config, _fleet_size(variants)),
                injected_failure=_injected_failure("update"),
                alarms=rollout.alarm_names(deployment_config),
                deployment_config=deployment_config,
            ),
        )
        endpoint.endpoint_status = "Updating"
        endpoint.last_modified_time = utcnow()
        endpoint.pending_deployment_summary = {
            "EndpointConfigName": endpoint_config_name,
            "ProductionVariants": variants_view(variants, served, "Creating", current=False),
            "StartTime": utcnow(),
        }
        return endpoint.arn


def backend_update_endpoint_weights_and_capacities(
    self, endpoint_name: str, desired_weights_and_capacities: list[dict[str, Any]]
) -> str:
    with state.of(self).lock:
        endpoint = _get_endpoint(self, endpoint_name)
        reject_in_progress(self, endpoint, "update")
        validate_weights_request(endpoint, desired_weights_and_capacities)
        live = {v["VariantName"]: v for v in endpoint.production_variants}
        for desired in desired_weights_and_capacities:
            variant = live[desired["VariantName"]]
            if desired.get("DesiredWeight") is not None:
                variant["DesiredWeight"] = float(desired["DesiredWeight"])
            if desired.get("DesiredInstanceCount") is not None:
                variant["DesiredInstanceCount"] = desired["DesiredInstanceCount"]
            variant["VariantStatus"] = [{"Status": "Updating", "StartTime": utcnow()}]
        endpoint.endpoint_status = "Updating"
        endpoint.last_modified_time = utcnow()
        state.of(self).transitions[endpoint_name] = Transition(kind="weights")
        return endpoint.arn


BACKEND_METHODS: dict[str, Callable[..., Any]] = {
    "create_endpoint": backend_create_endpoint,
    "describe_endpoint": backend_describe_endpoint,
    "list_endpoints": backend_list_endpoints,
    "delete_endpoint": backend_delete_endpoint,
    "update_endpoint": backend_update_endpoint,
    "update_endpoint_weights_and_capacities": backend_update_endpoint_weights_and_capacities,
}
