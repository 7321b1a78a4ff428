"""Endpoint state, lifecycle and AWS-shaped errors that moto 5.2.5's SageMaker backend lacks.

The `backend_*` functions here become methods of moto's `SageMakerModelBackend` (installed once
by `smgitops.emulator.patch.install`). Wire parsing and serialisation live in responses.py.

Lifecycle: Creating -> InService | Failed, Updating -> InService (or rolled back with a
FailureReason), Deleting -> gone. Each transition lasts `controls.transition_seconds`; an update
then shifts traffic in the steps of its DeploymentConfig (rollout.py), waiting out each bake
scaled by `controls.wait_scale`. State is advanced lazily whenever the endpoint is read or
invoked, so no background clock is needed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig, SageMakerModelBackend
from moto.sagemaker.utils import arn_formatter

from smgitops.core import instance_types
from smgitops.emulator import quotas, rollout
from smgitops.emulator.served import ServedConfig, ServedContainer, ServedVariant, Traffic

IN_PROGRESS = ("Creating", "Updating", "Deleting", "RollingBack", "SystemUpdating")
# Statuses in which an endpoint answers invocations (the old config keeps serving while updating).
SERVING = ("InService", "Updating", "RollingBack", "SystemUpdating")


# Checks a config before it serves: returns a FailureReason, or None when it can serve.
Preparer = Callable[[str, str, ServedConfig], "str | None"]


@dataclass
class EmulatorControls:
    """Process-wide knobs of the emulated SageMaker (set via the Emulator or its control API)."""

    transition_seconds: float = 1.0
    # Real seconds waited per second of a DeploymentConfig wait (bakes, termination waits).
    wait_scale: float = 1.0
    fail_next_creates: int = 0
    fail_next_updates: int = 0
    # Instance type -> most instances endpoints may run at once (ResourceLimitExceeded above).
    instance_quotas: dict[str, int] = field(default_factory=dict)
    preparer: Preparer | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="smgitops-prep"
        )
    )

    def take_failure(self, kind: str) -> bool:
        """Consume one injected failure of `kind` ("create" or "update") if any is armed."""
        with self.lock:
            attribute = f"fail_next_{kind}s"
            if getattr(self, attribute) > 0:
                setattr(self, attribute, getattr(self, attribute) - 1)
                return True
            return False

    def reset(self, transition_seconds: float, wait_scale: float = 1.0) -> None:
        with self.lock:
            self.transition_seconds = transition_seconds
            self.wait_scale = wait_scale
            self.fail_next_creates = 0
            self.fail_next_updates = 0
            self.instance_quotas = {}


controls = EmulatorControls()

INJECTED_CREATE_FAILURE = "Injected failure: the endpoint could not be created (emulator fault)."
INJECTED_UPDATE_FAILURE = "Injected failure: the update could not be completed (emulator fault)."


@dataclass
class _Transition:
    """An endpoint's in-flight operation (mutable, private to this module)."""

    kind: str  # create | update | weights | delete | rollback
    started: float = field(default_factory=time.monotonic)
    target: ServedConfig | None = None
    # An update's traffic steps, and how far it got: the share on the new fleet and its phase.
    traffic_steps: list[rollout.TrafficStep] = field(default_factory=list)
    new_share: float = 0.0
    phase: str = rollout.CREATING
    target_variants: list[dict[str, Any]] = field(default_factory=list)
    target_data_capture: dict[str, Any] | None = None
    preparation: Future | None = None
    prepared_at: float | None = None  # when the background checks finished
    injected_failure: str | None = None
    alarms: tuple[str, ...] = ()
    deployment_config: dict[str, Any] | None = None


# ---------------------------------------------------------------- per-backend side state


def _transitions(backend: SageMakerModelBackend) -> dict[str, _Transition]:
    # Side state on the backend instance, so moto's reset (new backends) clears it too.
    if not hasattr(backend, "_smgitops_transitions"):
        backend._smgitops_transitions = {}
    return backend._smgitops_transitions


def _served(backend: SageMakerModelBackend) -> dict[str, ServedConfig]:
    if not hasattr(backend, "_smgitops_served"):
        backend._smgitops_served = {}
    return backend._smgitops_served


def traffic(backend: SageMakerModelBackend, endpoint_name: str) -> Traffic | None:
    """Who answers an endpoint's invocations now, or None when it cannot serve."""
    with controls.lock:
        advance_endpoint(backend, endpoint_name)
        endpoint = backend.endpoints.get(endpoint_name)
        if endpoint is None or endpoint.endpoint_status not in SERVING:
            return None
        current = _served(backend).get(endpoint_name)
        if current is None:
            return None
        transition = _transitions(backend).get(endpoint_name)
        if transition is not None and transition.kind == "update" and transition.new_share > 0:
            return Traffic(current, transition.target, transition.new_share)
        return Traffic(current)


# ---------------------------------------------------------------- helpers


def _endpoint_arn(backend: SageMakerModelBackend, name: str) -> str:
    return FakeEndpoint.arn_formatter(name, backend.account_id, backend.region_name)


def _now() -> float:
    return time.monotonic()


def _served_config_for(
    backend: SageMakerModelBackend, config_name: str, variants: list[dict[str, Any]]
) -> ServedConfig:
    from smgitops.emulator.artifacts import parse_s3_url, s3_object_etag

    served = []
    for variant in variants:
        model = backend._models.get(variant.get("ModelName", ""))
        container = (model.primary_container or {}) if model else {}
        if not container and model and model.containers:
            container = model.containers[0]
        ref = parse_s3_url(container.get("ModelDataUrl") or "")
        etag = s3_object_etag(backend.account_id, backend.region_name, ref) if ref else None
        served.append(
            ServedVariant(
                name=variant["VariantName"],
                weight=float(variant.get("InitialVariantWeight", 1.0)),
                container=ServedContainer(
                    model_name=variant.get("ModelName", ""),
                    image=container.get("Image", ""),
                    model_data_url=container.get("ModelDataUrl"),
                    environment=tuple(sorted((container.get("Environment") or {}).items())),
                    model_data_etag=etag,
                ),
            )
        )
    return ServedConfig(endpoint_config_name=config_name, variants=tuple(served))


def _deployed_images(container: ServedContainer) -> list[dict[str, Any]]:
    from smgitops.emulator.artifacts import resolve_image_digest

    resolved = resolve_image_digest(container.image)
    entry: dict[str, Any] = {"SpecifiedImage": container.image, "ResolutionTime": utcnow()}
    if resolved:
        entry["ResolvedImage"] = resolved
    return [entry]


def _variant_view(
    variant: dict[str, Any], served: ServedVariant | None, status: str | None, current: bool
) -> dict[str, Any]:
    """A DescribeEndpoint ProductionVariant built from the config's variant. No side effects."""
    view: dict[str, Any] = {"VariantName": variant["VariantName"]}
    if served is not None:
        view["DeployedImages"] = _deployed_images(served.container)
    weight = float(variant.get("InitialVariantWeight", 1.0))
    view["DesiredWeight"] = weight
    if current:
        view["CurrentWeight"] = weight
    if "InitialInstanceCount" in variant:
        view["DesiredInstanceCount"] = variant["InitialInstanceCount"]
        if current:
            view["CurrentInstanceCount"] = variant["InitialInstanceCount"]
    if variant.get("ServerlessConfig"):
        view["DesiredServerlessConfig"] = variant["ServerlessConfig"]
        if current:
            view["CurrentServerlessConfig"] = variant["ServerlessConfig"]
    if status is not None:
        view["VariantStatus"] = [{"Status": status, "StartTime": utcnow()}]
    return view


def _variants_view(
    config_variants: list[dict[str, Any]], served: ServedConfig, status: str | None, current: bool
) -> list[dict[str, Any]]:
    by_name = {v.name: v for v in served.variants}
    return [
        _variant_view(v, by_name.get(v["VariantName"]), status, current) for v in config_variants
    ]


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


def _alarm_names(deployment_config: dict[str, Any] | None) -> tuple[str, ...]:
    rollback = (deployment_config or {}).get("AutoRollbackConfiguration") or {}
    return tuple(a["AlarmName"] for a in rollback.get("Alarms") or [] if a.get("AlarmName"))


def _firing_alarm(backend: SageMakerModelBackend, names: tuple[str, ...]) -> str | None:
    if not names:
        return None
    from moto.cloudwatch.models import cloudwatch_backends

    alarms = cloudwatch_backends[backend.account_id][backend.region_name].alarms
    for name in names:
        alarm = alarms.get(name)
        if alarm is not None and alarm.state_value == "ALARM":
            return name
    return None


def _start_preparation(backend: SageMakerModelBackend, served: ServedConfig) -> Future | None:
    preparer = controls.preparer
    if preparer is None:
        return None
    return controls.executor.submit(preparer, backend.account_id, backend.region_name, served)


def _start_checks(backend: SageMakerModelBackend, transition: _Transition) -> _Transition:
    """Start a transition's background checks (or its injected failure) and note when done."""
    if transition.injected_failure:
        transition.prepared_at = transition.started
        return transition
    transition.preparation = _start_preparation(backend, transition.target)
    if transition.preparation is None:
        transition.prepared_at = transition.started
    else:
        transition.preparation.add_done_callback(
            lambda _: setattr(transition, "prepared_at", time.monotonic())
        )
    return transition


def _preparation_outcome(transition: _Transition) -> tuple[bool, str | None]:
    """(finished, failure reason) of a transition's background checks."""
    if transition.injected_failure:
        return True, transition.injected_failure
    future = transition.preparation
    if future is None:
        return True, None
    if not future.done():
        return False, None
    error = future.exception()
    if error is not None:
        return True, f"Internal failure while preparing the endpoint: {error}"
    return True, future.result()


# ---------------------------------------------------------------- lifecycle


def advance_endpoint(backend: SageMakerModelBackend, name: str) -> None:
    """Move an endpoint's in-flight operation forward if its time has come."""
    with controls.lock:
        transition = _transitions(backend).get(name)
        endpoint = backend.endpoints.get(name)
        if transition is None or endpoint is None:
            return
        if transition.kind == "update":
            alarm = _firing_alarm(backend, transition.alarms)
            if alarm is not None:
                _begin_rollback(backend, endpoint, transition, alarm)
            else:
                _advance_update(backend, endpoint, transition)
            return
        # Read the knob now, so slowing or speeding transitions applies to those in flight.
        if _now() < transition.started + controls.transition_seconds:
            return
        finished, failure = _preparation_outcome(transition)
        if not finished:
            return
        del _transitions(backend)[name]
        endpoint.last_modified_time = utcnow()
        if transition.kind == "delete":
            backend.endpoints.pop(name, None)
            _served(backend).pop(name, None)
        elif transition.kind == "create":
            _finish_create(backend, endpoint, transition, failure)
        elif transition.kind == "rollback":
            endpoint.endpoint_status = "InService"
        elif transition.kind == "weights":
            _apply_served_weights(backend, endpoint)
            for variant in endpoint.production_variants:
                if "DesiredWeight" in variant:
                    variant["CurrentWeight"] = variant["DesiredWeight"]
                if "DesiredInstanceCount" in variant:
                    variant["CurrentInstanceCount"] = variant["DesiredInstanceCount"]
                variant.pop("VariantStatus", None)
            endpoint.endpoint_status = "InService"


def _advance_update(backend, endpoint: FakeEndpoint, transition: _Transition) -> None:
    """Provision the new fleet, shift traffic step by step with its bakes, then complete."""
    now = _now()
    # Read the knobs now, so slowing or speeding transitions applies to those in flight.
    provisioned = transition.started + controls.transition_seconds
    if now < provisioned:
        return
    finished, failure = _preparation_outcome(transition)
    if not finished:
        return
    if failure is None:
        if transition.prepared_at is None:  # done, but its callback has not run yet
            transition.prepared_at = now
        up_since = max(provisioned, transition.prepared_at)
        where = rollout.position(
            transition.traffic_steps,
            now - up_since,
            controls.transition_seconds,
            controls.wait_scale,
        )
        transition.new_share = where.new_share
        if not where.done:
            if where.phase != transition.phase:
                transition.phase = where.phase
                _set_pending_status(endpoint, where.phase)
            return
    del _transitions(backend)[endpoint.endpoint_name]
    endpoint.last_modified_time = utcnow()
    _finish_update(backend, endpoint, transition, failure)


def _set_pending_status(endpoint: FakeEndpoint, status: str) -> None:
    summary = endpoint.pending_deployment_summary or {}
    for variant in summary.get("ProductionVariants") or []:
        variant["VariantStatus"] = [{"Status": status, "StartTime": utcnow()}]


def _finish_create(backend, endpoint, transition: _Transition, failure: str | None) -> None:
    if failure:
        endpoint.endpoint_status = "Failed"
        endpoint.failure_reason = failure
        _served(backend).pop(endpoint.endpoint_name, None)
        for variant in endpoint.production_variants:
            variant.pop("VariantStatus", None)
        return
    endpoint.endpoint_status = "InService"
    endpoint.production_variants = _variants_view(
        transition.target_variants, transition.target, None, current=True
    )


def _finish_update(backend, endpoint, transition: _Transition, failure: str | None) -> None:
    endpoint.pending_deployment_summary = None
    endpoint.endpoint_status = "InService"
    if failure:
        # As SageMaker: the old config keeps serving and the endpoint says why the update failed.
        endpoint.failure_reason = failure
        return
    endpoint.failure_reason = None
    endpoint.endpoint_config_name = transition.target.endpoint_config_name
    endpoint.production_variants = _variants_view(
        transition.target_variants, transition.target, None, current=True
    )
    if transition.target_data_capture is not None:
        endpoint.data_capture_config = transition.target_data_capture
    if transition.deployment_config:
        endpoint.last_deployment_config = transition.deployment_config
    _served(backend)[endpoint.endpoint_name] = transition.target


def _begin_rollback(backend, endpoint, transition: _Transition, alarm: str) -> None:
    endpoint.endpoint_status = "RollingBack"
    endpoint.pending_deployment_summary = None
    endpoint.failure_reason = (
        f"Update rolled back: CloudWatch alarm '{alarm}' was in ALARM state during the deployment."
    )
    if transition.deployment_config:
        endpoint.last_deployment_config = transition.deployment_config
    _transitions(backend)[endpoint.endpoint_name] = _Transition(kind="rollback")
    endpoint.last_modified_time = utcnow()


def _require_models(backend: SageMakerModelBackend, variants: list[dict[str, Any]]) -> None:
    # A config outlives its models; deploying it needs them (CreateEndpoint/UpdateEndpoint).
    for variant in variants:
        name = variant.get("ModelName", "")
        if name not in backend._models:
            arn = arn_formatter("model", name, backend.account_id, backend.region_name)
            raise ValidationError(message=f"Could not find model '{arn}'.")


def _instances_in_use(backend: SageMakerModelBackend) -> dict[str, int]:
    """Instances per type that endpoints hold: both fleets of an in-flight update count."""
    used: dict[str, int] = {}
    fleets: list[dict[str, int]] = []
    for name, endpoint in backend.endpoints.items():
        if endpoint.endpoint_status == "Failed":
            continue
        config = backend.endpoint_configs.get(endpoint.endpoint_config_name)
        if config is not None:
            live = {v["VariantName"]: v for v in endpoint.production_variants}
            fleets.append(
                quotas.fleet_instances(
                    {
                        **v,
                        "InitialInstanceCount": live.get(v["VariantName"], {}).get(
                            "DesiredInstanceCount", v.get("InitialInstanceCount")
                        ),
                    }
                    for v in config.production_variants
                )
            )
        transition = _transitions(backend).get(name)
        if transition is not None and transition.kind == "update":
            fleets.append(quotas.fleet_instances(transition.target_variants))
    for fleet in fleets:
        for instance_type, count in fleet.items():
            used[instance_type] = used.get(instance_type, 0) + count
    return used


def _check_quotas(backend: SageMakerModelBackend, variants: list[dict[str, Any]]) -> None:
    if controls.instance_quotas:
        quotas.check(
            controls.instance_quotas, _instances_in_use(backend), quotas.fleet_instances(variants)
        )


def _reject_in_progress(backend, endpoint: FakeEndpoint, verb: str) -> None:
    if endpoint.endpoint_status in IN_PROGRESS:
        arn = _endpoint_arn(backend, endpoint.endpoint_name)
        raise ValidationError(message=f'Cannot {verb} in-progress endpoint "{arn}".')


def _get_endpoint(backend, name: str) -> FakeEndpoint:
    advance_endpoint(backend, name)
    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        raise ValidationError(message=f'Could not find endpoint "{_endpoint_arn(backend, name)}".')
    return endpoint


# ---------------------------------------------------------------- backend methods

_MOTO = {
    name: SageMakerModelBackend.__dict__[name]
    for name in (
        "create_model",
        "create_endpoint_config",
        "describe_endpoint",
        "list_endpoints",
    )
}


def backend_create_model(self, model_name: str, *args: Any, **kwargs: Any):
    if model_name in self._models:
        arn = arn_formatter("model", model_name, self.account_id, self.region_name)
        raise ValidationError(message=f'Cannot create already existing model "{arn}".')
    return _MOTO["create_model"](self, model_name, *args, **kwargs)


def backend_create_endpoint_config(self, endpoint_config_name: str, *args: Any, **kwargs: Any):
    if endpoint_config_name in self.endpoint_configs:
        arn = FakeEndpointConfig.arn_formatter(
            endpoint_config_name, self.account_id, self.region_name
        )
        raise ValidationError(
            message=f'Cannot create already existing endpoint configuration "{arn}".'
        )
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


def backend_create_endpoint(
    self, endpoint_name: str, endpoint_config_name: str, tags: list[dict[str, str]] | None
) -> FakeEndpoint:
    with controls.lock:
        advance_endpoint(self, endpoint_name)
        if endpoint_name in self.endpoints:
            arn = _endpoint_arn(self, endpoint_name)
            raise ValidationError(message=f'Cannot create already existing endpoint "{arn}".')
        config = self.describe_endpoint_config(endpoint_config_name)
        _require_models(self, config["ProductionVariants"])
        variants = config["ProductionVariants"]
        _check_quotas(self, variants)
        endpoint = FakeEndpoint(
            account_id=self.account_id,
            region_name=self.region_name,
            endpoint_name=endpoint_name,
            endpoint_config_name=endpoint_config_name,
            production_variants=[],
            data_capture_config=config["DataCaptureConfig"],
            tags=list(tags or []),
        )
        served = _served_config_for(self, endpoint_config_name, variants)
        endpoint.endpoint_status = "Creating"
        endpoint.production_variants = _variants_view(variants, served, "Creating", current=False)
        self.endpoints[endpoint_name] = endpoint
        _served(self)[endpoint_name] = served
        injected = INJECTED_CREATE_FAILURE if controls.take_failure("create") else None
        _transitions(self)[endpoint_name] = _start_checks(
            self,
            _Transition(
                kind="create", target=served, target_variants=variants, injected_failure=injected
            ),
        )
        return endpoint


def backend_describe_endpoint(self, endpoint_name: str) -> dict[str, Any]:
    with controls.lock:
        advance_endpoint(self, endpoint_name)
        return _MOTO["describe_endpoint"](self, endpoint_name)


def backend_list_endpoints(self, *args: Any, **kwargs: Any):
    with controls.lock:
        for name in list(self.endpoints):
            advance_endpoint(self, name)
        return _MOTO["list_endpoints"](self, *args, **kwargs)


def backend_delete_endpoint(self, endpoint_name: str) -> None:
    with controls.lock:
        advance_endpoint(self, endpoint_name)
        endpoint = self.endpoints.get(endpoint_name)
        if endpoint is None:
            arn = _endpoint_arn(self, endpoint_name)
            raise ValidationError(message=f"Could not find endpoint '{arn}'.")
        _reject_in_progress(self, endpoint, "delete")
        endpoint.endpoint_status = "Deleting"
        endpoint.last_modified_time = utcnow()
        _transitions(self)[endpoint_name] = _Transition(kind="delete")


def backend_update_endpoint(
    self,
    endpoint_name: str,
    endpoint_config_name: str,
    retain_all_variant_properties: bool = False,
    exclude_retained_variant_properties: list[dict[str, str]] | None = None,
    deployment_config: dict[str, Any] | None = None,
    retain_deployment_config: bool = False,
) -> str:
    with controls.lock:
        endpoint = _get_endpoint(self, endpoint_name)
        _reject_in_progress(self, endpoint, "update")
        if endpoint.endpoint_status == "Failed":
            arn = _endpoint_arn(self, endpoint_name)
            raise ValidationError(message=f'Cannot update failed endpoint "{arn}".')
        config = self.describe_endpoint_config(endpoint_config_name)
        _require_models(self, config["ProductionVariants"])
        _validate_deployment_config(deployment_config)
        if deployment_config is None and retain_deployment_config:
            deployment_config = getattr(endpoint, "last_deployment_config", None)
        variants = config["ProductionVariants"]
        excluded = {p["VariantPropertyType"] for p in exclude_retained_variant_properties or []}
        if retain_all_variant_properties:
            variants = _retained_variants(endpoint, variants, excluded)
        _check_quotas(self, variants)  # the old fleet keeps running while the new one starts
        served = _served_config_for(self, endpoint_config_name, variants)
        data_capture = config.get("DataCaptureConfig")
        if retain_all_variant_properties and "DataCaptureConfig" not in excluded:
            data_capture = None
        injected = INJECTED_UPDATE_FAILURE if controls.take_failure("update") else None
        _transitions(self)[endpoint_name] = _start_checks(
            self,
            _Transition(
                kind="update",
                target=served,
                target_variants=variants,
                target_data_capture=data_capture,
                traffic_steps=rollout.traffic_steps(deployment_config, _fleet_size(variants)),
                injected_failure=injected,
                alarms=_alarm_names(deployment_config),
                deployment_config=deployment_config,
            ),
        )
        endpoint.endpoint_status = "Updating"
        endpoint.last_modified_time = utcnow()
        endpoint.pending_deployment_summary = {
            "EndpointConfigName": endpoint_config_name,
            "ProductionVariants": _variants_view(variants, served, "Creating", current=False),
            "StartTime": utcnow(),
        }
        return endpoint.arn


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


def _validate_deployment_config(deployment_config: dict[str, Any] | None) -> None:
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


def backend_update_endpoint_weights_and_capacities(
    self, endpoint_name: str, desired_weights_and_capacities: list[dict[str, Any]]
) -> str:
    with controls.lock:
        endpoint = _get_endpoint(self, endpoint_name)
        _reject_in_progress(self, endpoint, "update")
        seen: set[str] = set()
        live = {v["VariantName"]: v for v in endpoint.production_variants}
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
        for desired in desired_weights_and_capacities:
            variant = live[desired["VariantName"]]
            if desired.get("DesiredWeight") is not None:
                variant["DesiredWeight"] = float(desired["DesiredWeight"])
            if desired.get("DesiredInstanceCount") is not None:
                variant["DesiredInstanceCount"] = desired["DesiredInstanceCount"]
            variant["VariantStatus"] = [{"Status": "Updating", "StartTime": utcnow()}]
        endpoint.endpoint_status = "Updating"
        endpoint.last_modified_time = utcnow()
        _transitions(self)[endpoint_name] = _Transition(kind="weights")
        return endpoint.arn


def _apply_served_weights(backend: SageMakerModelBackend, endpoint: FakeEndpoint) -> None:
    """Route traffic by the desired weights, once a weights update completes."""
    served = _served(backend).get(endpoint.endpoint_name)
    if served is None:
        return
    weights = {v["VariantName"]: v.get("DesiredWeight") for v in endpoint.production_variants}
    variants = tuple(
        ServedVariant(v.name, float(weights.get(v.name) or 0.0), v.container)
        if weights.get(v.name) is not None
        else v
        for v in served.variants
    )
    _served(backend)[endpoint.endpoint_name] = ServedConfig(served.endpoint_config_name, variants)


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
    "create_endpoint_config": backend_create_endpoint_config,
    "create_endpoint": backend_create_endpoint,
    "describe_endpoint": backend_describe_endpoint,
    "list_endpoints": backend_list_endpoints,
    "delete_endpoint": backend_delete_endpoint,
    "update_endpoint": backend_update_endpoint,
    "update_endpoint_weights_and_capacities": backend_update_endpoint_weights_and_capacities,
}
