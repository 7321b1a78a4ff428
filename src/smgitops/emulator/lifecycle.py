"""How an endpoint's status moves on over time, and who answers its invocations meanwhile.

Creating -> InService | Failed, Updating -> InService (or rolled back with a FailureReason),
RollingBack -> InService, Deleting -> gone. Each transition lasts the `transition_seconds`
knob; an update then shifts traffic in the steps of its DeploymentConfig (rollout.py), waiting
out each bake scaled by the `wait_scale` knob, and rolls back if a watched alarm fires. State
moves on lazily whenever the endpoint is read or invoked, so no background clock is needed.
"""

from __future__ import annotations

import time

from moto.core.utils import utcnow
from moto.sagemaker.models import FakeEndpoint, SageMakerModelBackend

from smgitops.emulator import checks, rollout, state
from smgitops.emulator.served import ServedConfig, ServedVariant, Traffic
from smgitops.emulator.state import Transition
from smgitops.emulator.views import set_pending_status, variants_view

# Statuses in which an endpoint answers invocations (the old config keeps serving while updating).
SERVING = ("InService", "Updating", "RollingBack", "SystemUpdating")


def _now() -> float:
    return time.monotonic()


def traffic(backend: SageMakerModelBackend, endpoint_name: str) -> Traffic | None:
    """Who answers an endpoint's invocations now, or None when it cannot serve."""
    endpoints = state.of(backend)
    with endpoints.lock:
        advance_endpoint(backend, endpoint_name)
        endpoint = backend.endpoints.get(endpoint_name)
        if endpoint is None or endpoint.endpoint_status not in SERVING:
            return None
        current = endpoints.served.get(endpoint_name)
        if current is None:
            return None
        transition = endpoints.transitions.get(endpoint_name)
        if transition is not None and transition.kind == "update" and transition.new_share > 0:
            return Traffic(current, transition.target, transition.new_share)
        return Traffic(current)


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


def advance_endpoint(backend: SageMakerModelBackend, name: str) -> None:
    """Move an endpoint's in-flight operation forward if its time has come."""
    endpoints = state.of(backend)
    with endpoints.lock:
        transition = endpoints.transitions.get(name)
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
        if _now() < transition.started + state.running().knobs.transition_seconds:
            return
        finished, failure = checks.outcome(transition)
        if not finished:
            return
        del endpoints.transitions[name]
        endpoint.last_modified_time = utcnow()
        if transition.kind == "delete":
            backend.endpoints.pop(name, None)
            endpoints.served.pop(name, None)
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


def _advance_update(backend, endpoint: FakeEndpoint, transition: Transition) -> None:
    """Provision the new fleet, shift traffic step by step with its bakes, then complete."""
    now = _now()
    # Read the knobs now, so slowing or speeding transitions applies to those in flight.
    knobs = state.running().knobs
    provisioned = transition.started + knobs.transition_seconds
    if now < provisioned:
        return
    finished, failure = checks.outcome(transition)
    if not finished:
        return
    if failure is None:
        if transition.prepared_at is None:  # done, but its callback has not run yet
            transition.prepared_at = now
        up_since = max(provisioned, transition.prepared_at)
        where = rollout.position(
            transition.traffic_steps,
            now - up_since,
            knobs.transition_seconds,
            knobs.wait_scale,
        )
        transition.new_share = where.new_share
        if not where.done:
            if where.phase != transition.phase:
                transition.phase = where.phase
                set_pending_status(endpoint, where.phase)
            return
    del state.of(backend).transitions[endpoint.endpoint_name]
    endpoint.last_modified_time = utcnow()
    _finish_update(backend, endpoint, transition, failure)


def _finish_create(backend, endpoint, transition: Transition, failure: str | None) -> None:
    if failure:
        endpoint.endpoint_status = "Failed"
        endpoint.failure_reason = failure
        state.of(backend).served.pop(endpoint.endpoint_name, None)
        for variant in endpoint.production_variants:
            variant.pop("VariantStatus", None)
        return
    endpoint.endpoint_status = "InService"
    endpoint.production_variants = variants_view(
        transition.target_variants, transition.target, None, current=True
    )


def _finish_update(backend, endpoint, transition: Transition, failure: str | None) -> None:
    endpoint.pending_deployment_summary = None
    endpoint.endpoint_status = "InService"
    if failure:
        # As SageMaker: the old config keeps serving and the endpoint says why the update failed.
        endpoint.failure_reason = failure
        return
    endpoint.failure_reason = None
    endpoint.endpoint_config_name = transition.target.endpoint_config_name
    endpoint.production_variants = variants_view(
        transition.target_variants, transition.target, None, current=True
    )
    if transition.target_data_capture is not None:
        endpoint.data_capture_config = transition.target_data_capture
    if transition.deployment_config:
        endpoint.last_deployment_config = transition.deployment_config
    state.of(backend).served[endpoint.endpoint_name] = transition.target


def _begin_rollback(backend, endpoint, transition: Transition, alarm: str) -> None:
    endpoint.endpoint_status = "RollingBack"
    endpoint.pending_deployment_summary = None
    endpoint.failure_reason = (
        f"Update rolled back: CloudWatch alarm '{alarm}' was in ALARM state during the deployment."
    )
    if transition.deployment_config:
        endpoint.last_deployment_config = transition.deployment_config
    state.of(backend).transitions[endpoint.endpoint_name] = Transition(kind="rollback")
    endpoint.last_modified_time = utcnow()


def _apply_served_weights(backend: SageMakerModelBackend, endpoint: FakeEndpoint) -> None:
    """Route traffic by the desired weights, once a weights update completes."""
    endpoints = state.of(backend)
    served = endpoints.served.get(endpoint.endpoint_name)
    if served is None:
        return
    weights = {v["VariantName"]: v.get("DesiredWeight") for v in endpoint.production_variants}
    variants = tuple(
        ServedVariant(v.name, float(weights.get(v.name) or 0.0), v.container)
        if weights.get(v.name) is not None
        else v
        for v in served.variants
    )
    endpoints.served[endpoint.endpoint_name] = ServedConfig(served.endpoint_config_name, variants)
