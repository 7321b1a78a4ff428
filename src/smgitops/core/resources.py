"""Desired SageMaker resources: what one manifest becomes once its artifacts are known.

`desired_endpoint` is pure: it turns an `EndpointSpec` plus the content-addressed artifact
references (model tarball URL, image URI) into named model / endpoint-config definitions. The
names are content hashes, so an unchanged manifest yields exactly the names already live.

Instance counts and variant weights are deliberately left out of the config's identity: they
are live-adjustable with UpdateEndpointWeightsAndCapacities (no new fleet) and, under
autoscaling, owned by the autoscaler.
"""

from __future__ import annotations

from dataclasses import dataclass

from smgitops.core import naming
from smgitops.core.desired import (
    AutoscalingSpec,
    DataCaptureSpec,
    EndpointSpec,
    EnvSettings,
    Pairs,
    ServerlessSpec,
    VariantSpec,
)
from smgitops.core.pins import SourcePin


@dataclass(frozen=True)
class ModelArtifact:
    """Where one model's content lives: its tarball and its serving image.

    `sha256` names the tarball's content: a folder model's tree digest (see
    artifacts.package), or the hash in an S3 source's key. `source` is what an S3 or Model
    Registry source was pinned to at plan time (None for a repo folder: its artifact pin and
    code are in git).
    """

    model: str
    sha256: str
    model_data_url: str
    image_uri: str
    source: SourcePin | None = None
    base_image: str | None = None  # DLC URI the serving image is built FROM (None: default)


@dataclass(frozen=True)
class ModelDef:
    name: str
    image_uri: str
    model_data_url: str
    environment: Pairs
    execution_role_arn: str


@dataclass(frozen=True)
class VariantDef:
    name: str
    model_name: str
    instance_type: str | None
    initial_instance_count: int | None
    initial_weight: float
    serverless: ServerlessSpec | None = None
    startup_health_check_timeout_s: int | None = None
    model_download_timeout_s: int | None = None

    def identity(self) -> dict[str, object]:
        """What defines the variant inside an immutable config (not count, not weight)."""
        return {
            "name": self.name,
            "model": self.model_name,
            "instance_type": self.instance_type,
            "serverless": self.serverless,
            "startup_timeout": self.startup_health_check_timeout_s,
            "download_timeout": self.model_download_timeout_s,
        }


@dataclass(frozen=True)
class ConfigDef:
    name: str
    variants: tuple[VariantDef, ...]
    shadow_variants: tuple[VariantDef, ...] = ()
    data_capture: DataCaptureSpec | None = None
    kms_key_id: str | None = None  # encrypts the variants' ML storage volumes


@dataclass(frozen=True)
class Capacity:
    """Live-adjustable part of a variant: instance count (None for serverless) and weight."""

    variant: str
    instance_count: int | None
    weight: float


@dataclass(frozen=True)
class ScalingDef:
    variant: str
    resource_id: str
    policy_name: str
    min_capacity: int
    max_capacity: int
    metric: str
    target_value: float
    scale_in_cooldown_s: int
    scale_out_cooldown_s: int


@dataclass(frozen=True)
class AlarmDef:
    """An owned CloudWatch alarm on one variant's SageMaker metric (PutMetricAlarm)."""

    name: str  # naming.alarm_name
    endpoint: str
    variant: str
    metric: str
    statistic: str
    threshold: float
    period_s: int
    evaluation_periods: int
    rollback: bool


@dataclass(frozen=True)
class DesiredEndpoint:
    spec: EndpointSpec
    artifact: ModelArtifact
    model: ModelDef
    config: ConfigDef
    capacity: tuple[Capacity, ...]
    scaling: tuple[ScalingDef, ...]
    alarms: tuple[AlarmDef, ...] = ()

    @property
    def name(self) -> str:
        return self.spec.endpoint_name

    @property
    def rollback_alarms(self) -> tuple[str, ...]:
        """What the deployment guardrails watch: the manifest's rollbackAlarms, then the
        owned alarms marked `rollback`."""
        owned = tuple(a.name for a in self.alarms if a.rollback)
        return self.spec.deployment.rollback_alarms + owned


def _variant_def(variant: VariantSpec, model_name: str) -> VariantDef:
    return VariantDef(
        name=variant.name,
        model_name=model_name,
        instance_type=variant.instance_type,
        initial_instance_count=variant.instance_count,
        initial_weight=variant.weight,
        serverless=variant.serverless,
        startup_health_check_timeout_s=variant.startup_health_check_timeout_s,
        model_download_timeout_s=variant.model_download_timeout_s,
    )


def _scaling(endpoint_name: str, variant: VariantSpec, spec: AutoscalingSpec) -> ScalingDef:
    return ScalingDef(
        variant=variant.name,
        resource_id=naming.scalable_resource_id(endpoint_name, variant.name),
        policy_name=naming.scaling_policy_name(endpoint_name, variant.name),
        min_capacity=spec.min_capacity,
        max_capacity=spec.max_capacity,
        metric=spec.metric,
        target_value=spec.target_value,
        scale_in_cooldown_s=spec.scale_in_cooldown_s,
        scale_out_cooldown_s=spec.scale_out_cooldown_s,
    )


def desired_endpoint(
    spec: EndpointSpec, settings: EnvSettings, artifact: ModelArtifact
) -> DesiredEndpoint:
    """Named resource definitions for one manifest. No side effects."""
    model_identity = {
        "image": artifact.image_uri,
        "data": artifact.model_data_url,
        "environment": spec.environment,
        "role": settings.execution_role_arn,
    }
    model = ModelDef(
        name=naming.hashed_name(spec.endpoint_name, naming.content_hash(model_identity)),
        image_uri=artifact.image_uri,
        model_data_url=artifact.model_data_url,
        environment=spec.environment,
        execution_role_arn=settings.execution_role_arn,
    )
    variants = tuple(_variant_def(v, model.name) for v in spec.variants)
    shadows = tuple(_variant_def(v, model.name) for v in spec.shadow_variants)
    config_identity = {
        "variants": [v.identity() for v in variants],
        "shadow_variants": [v.identity() for v in shadows],
        "data_capture": spec.data_capture,
    }
    if settings.kms_key_id:  # only when set, so configs of envs without a key keep their names
        config_identity["kms_key_id"] = settings.kms_key_id
    config = ConfigDef(
        name=naming.hashed_name(spec.endpoint_name, naming.content_hash(config_identity)),
        variants=variants,
        shadow_variants=shadows,
        data_capture=spec.data_capture,
        kms_key_id=settings.kms_key_id,
    )
    capacity = tuple(Capacity(v.name, v.instance_count, v.weight) for v in spec.variants)
    scaling = ()
    if spec.autoscaling is not None:
        scaling = tuple(
            _scaling(spec.endpoint_name, v, spec.autoscaling)
            for v in spec.variants
            if not v.is_serverless
        )
    alarms = tuple(
        AlarmDef(
            name=naming.alarm_name(spec.env, spec.endpoint_name, variant.name, alarm.name),
            endpoint=spec.endpoint_name,
            variant=variant.name,
            metric=alarm.metric,
            statistic=alarm.statistic,
            threshold=alarm.threshold,
            period_s=alarm.period_s,
            evaluation_periods=alarm.evaluation_periods,
            rollback=alarm.rollback,
        )
        for alarm in spec.alarms
        for variant in spec.variants
    )
    return DesiredEndpoint(spec, artifact, model, config, capacity, scaling, alarms)
