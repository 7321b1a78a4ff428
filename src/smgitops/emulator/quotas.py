"""Endpoint instance quotas: CreateEndpoint/UpdateEndpoint answer ResourceLimitExceeded as AWS does.

AWS counts, per instance type, every instance endpoints run; during a blue/green update the old
and the new fleet both count, so an update needs room for the new fleet on top of the old one.
A quota is set per instance type through the `instance_quotas` knob (none by default).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from moto.sagemaker.exceptions import SagemakerClientError
from moto.sagemaker.models import SageMakerModelBackend

from smgitops.emulator import state


class ResourceLimitExceeded(SagemakerClientError):
    code = "ResourceLimitExceeded"

    def __init__(self, message: str):
        super().__init__(message)


def quota_name(instance_type: str) -> str:
    """The Service Quotas name of an instance type's endpoint quota. No side effects."""
    return f"{instance_type} for endpoint usage"


def fleet_instances(variants: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Instances per instance type in config variants (serverless ones count none).

    No side effects.
    """
    counts: dict[str, int] = {}
    for variant in variants:
        instance_type = variant.get("InstanceType")
        if instance_type:
            counts[instance_type] = counts.get(instance_type, 0) + int(
                variant.get("InitialInstanceCount") or 1
            )
    return counts


def limit_message(instance_type: str, limit: int, used: int, delta: int) -> str:
    """AWS's wording of the error. No side effects."""
    return (
        f"The account-level service limit '{quota_name(instance_type)}' is {limit} Instances, "
        f"with current utilization of {used} Instances and a request delta of {delta} "
        "Instances. Please use AWS Service Quotas to request an increase for this quota."
    )


def check(quotas: Mapping[str, int], used: Mapping[str, int], requested: Mapping[str, int]) -> None:
    """Raise ResourceLimitExceeded when a request would go over a quota."""
    for instance_type, delta in sorted(requested.items()):
        limit = quotas.get(instance_type)
        current = used.get(instance_type, 0)
        if limit is not None and current + delta > limit:
            raise ResourceLimitExceeded(limit_message(instance_type, limit, current, delta))


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
                fleet_instances(
                    {
                        **v,
                        "InitialInstanceCount": live.get(v["VariantName"], {}).get(
                            "DesiredInstanceCount", v.get("InitialInstanceCount")
                        ),
                    }
                    for v in config.production_variants
                )
            )
        transition = state.of(backend).transitions.get(name)
        if transition is not None and transition.kind == "update":
            fleets.append(fleet_instances(transition.target_variants))
    for fleet in fleets:
        for instance_type, count in fleet.items():
            used[instance_type] = used.get(instance_type, 0) + count
    return used


def check_request(backend: SageMakerModelBackend, variants: list[dict[str, Any]]) -> None:
    """Raise ResourceLimitExceeded when deploying `variants` would go over the quotas knob."""
    limits = state.running().knobs.instance_quotas
    if limits:
        check(limits, _instances_in_use(backend), fleet_instances(variants))
