"""DescribeEndpoint's variant shapes, which moto 5.2.5 leaves out: weights, counts, images.

moto answers DescribeEndpoint with the endpoint object's attributes as they are, so the
lifecycle keeps `production_variants` and `pending_deployment_summary` in AWS's shape and
rewrites them with these functions at each step.
"""

from __future__ import annotations

from typing import Any

from moto.core.utils import utcnow
from moto.sagemaker.models import FakeEndpoint

from smgitops.emulator.artifacts import resolve_image_digest
from smgitops.emulator.served import ServedConfig, ServedContainer, ServedVariant


def _deployed_images(container: ServedContainer) -> list[dict[str, Any]]:
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


def variants_view(
    config_variants: list[dict[str, Any]], served: ServedConfig, status: str | None, current: bool
) -> list[dict[str, Any]]:
    """DescribeEndpoint's ProductionVariants for a config's variants: `current` adds the
    Current* values (the fleet is up), `status` a VariantStatus (None: none). No side effects."""
    by_name = {v.name: v for v in served.variants}
    return [
        _variant_view(v, by_name.get(v["VariantName"]), status, current) for v in config_variants
    ]


def data_capture_summary(config: dict[str, Any] | None) -> dict[str, Any]:
    """DescribeEndpoint's DataCaptureConfigSummary for a config's DataCaptureConfig ({} when
    it has none; the answer then leaves it out). EnableCapture defaults to true (API
    reference); KmsKeyId is required in the summary, empty when the config sets none."""
    if not config:
        return {}
    enabled = config.get("EnableCapture", True)
    return {
        "EnableCapture": enabled,
        "CaptureStatus": "Started" if enabled else "Stopped",
        "CurrentSamplingPercentage": config.get("InitialSamplingPercentage", 0),
        "DestinationS3Uri": config.get("DestinationS3Uri", ""),
        "KmsKeyId": config.get("KmsKeyId", ""),
    }


def set_pending_status(endpoint: FakeEndpoint, status: str) -> None:
    """Set the VariantStatus of every variant in the endpoint's PendingDeploymentSummary."""
    summary = endpoint.pending_deployment_summary or {}
    for variant in summary.get("ProductionVariants") or []:
        variant["VariantStatus"] = [{"Status": status, "StartTime": utcnow()}]
