"""Desired state: the typed, frozen values a valid manifest turns into.

Everything downstream of the manifest loader (naming, planning, apply, drift) reads these
dataclasses and never a raw YAML dict. Mappings are stored as sorted tuples of pairs so every
value is hashable and has one canonical order (content hashes depend on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Pairs = tuple[tuple[str, str], ...]

Strategy = Literal["all-at-once", "canary", "linear", "rolling"]


def pairs(mapping: dict[str, object] | None) -> Pairs:
    """Canonical, hashable form of a string mapping (sorted by key, values as str)."""
    return tuple(sorted((str(k), str(v)) for k, v in (mapping or {}).items()))


@dataclass(frozen=True)
class ServerlessSpec:
    memory_size_mb: int
    max_concurrency: int
    provisioned_concurrency: int | None = None


@dataclass(frozen=True)
class VariantSpec:
    """One production (or shadow) variant: either instances or serverless, never both."""

    name: str
    weight: float = 1.0
    instance_type: str | None = None
    instance_count: int | None = None
    serverless: ServerlessSpec | None = None
    startup_health_check_timeout_s: int | None = None
    model_download_timeout_s: int | None = None

    @property
    def is_serverless(self) -> bool:
        return self.serverless is not None


@dataclass(frozen=True)
class AutoscalingSpec:
    """Target-tracking autoscaling applied to every instance-backed production variant."""

    min_capacity: int
    max_capacity: int
    target_value: float
    metric: str = "SageMakerVariantInvocationsPerInstance"
    scale_in_cooldown_s: int = 300
    scale_out_cooldown_s: int = 60


@dataclass(frozen=True)
class TrafficStep:
    """Size of a canary, a linear step or a rolling batch: a percentage or an instance count."""

    unit: Literal["percent", "instances"]
    value: int


@dataclass(frozen=True)
class DeploymentSpec:
    """SageMaker deployment guardrails used when an endpoint gets a new config."""

    strategy: Strategy = "all-at-once"
    step: TrafficStep | None = None
    bake_seconds: int = 0
    rollback_alarms: tuple[str, ...] = ()
    # None: decided by the planner (True when autoscaling owns the instance count).
    retain_scaled_capacity: bool | None = None
    timeout_seconds: int = 3600


@dataclass(frozen=True)
class AlarmSpec:
    """A CloudWatch alarm the manifest asks smgitops to own (`spec.alarms[]`): fires when
    `statistic` of the variant's SageMaker `metric` over `period_s` seconds is greater than
    `threshold` for `evaluation_periods` periods in a row (latencies in microseconds)."""

    name: str  # short, unique in the manifest
    metric: str  # e.g. Invocation5XXErrors, ModelLatency (namespace AWS/SageMaker)
    threshold: float
    statistic: str
    period_s: int = 60
    evaluation_periods: int = 1
    rollback: bool = True  # also watched by the deployment guardrails


@dataclass(frozen=True)
class DataCaptureSpec:
    sample_percent: int
    s3_uri: str
    capture_input: bool = True
    capture_output: bool = True


@dataclass(frozen=True)
class JsonExpectation:
    """A value the smoke test's JSON response must hold at `path` (e.g. `$[0]`, `$.score`)."""

    path: str
    equals_json: str | None = None  # JSON text of the expected value; None: path must exist


@dataclass(frozen=True)
class SmokeTestSpec:
    content_type: str
    body: bytes
    accept: str | None = None
    expect_status: int = 200
    expect_json: JsonExpectation | None = None
    target_variant: str | None = None


@dataclass(frozen=True)
class ModelSource:
    """Where the model comes from: a `models/<name>` folder, an S3 artifact, a Model Registry
    version (one ARN, or the latest approved version of a group), or a folder model pinned
    per env to one whole tarball and image (`tarball`: what another env ran, by sha256)."""

    kind: Literal["folder", "s3", "package", "tarball"]
    # folder: models/<name>; s3 with code: the code folder's name; otherwise the manifest's name
    name: str
    path: str  # repository-relative folder, e.g. "models/demo-regressor" ("" without a folder)
    s3_uri: str | None = None  # s3://bucket/key of a trained model.tar.gz
    code: str | None = None  # models/<code>: inference code repacked under code/, and its image
    image: str | None = None  # serving image of an S3 artifact without `code`
    s3_etag: str | None = None  # expected ETag (a promoted pin)
    s3_version_id: str | None = None  # exact object version (a promoted pin)
    package_arn: str | None = None  # an exact Model Registry version
    package_group: str | None = None  # with package_version: resolved at plan time
    package_version: str | None = None  # "latest-approved" or a version number
    tarball_sha256: str | None = None  # tarball: the whole model.tar.gz (hex), in the store
    image_digest: str | None = None  # tarball: the serving image (sha256:...), by digest

    @property
    def has_folder(self) -> bool:
        """True when a repo folder supplies the serving image (folder models, S3 + code)."""
        return self.kind == "folder" or self.code is not None


@dataclass(frozen=True)
class BaseImageSpec:
    """`spec.image`: an AWS Deep Learning Container to build the serving image FROM."""

    framework: str  # e.g. pytorch
    version: str  # e.g. 2.0.0
    py: str  # e.g. py310
    processor: Literal["cpu", "gpu"]


@dataclass(frozen=True)
class EndpointSpec:
    """One manifest of one environment, resolved: the desired endpoint."""

    name: str  # metadata.name
    endpoint_name: str  # name in SageMaker: <env>-<name> unless endpointName is given
    env: str
    manifest_path: str  # repository-relative, posix
    model: ModelSource
    variants: tuple[VariantSpec, ...]
    shadow_variants: tuple[VariantSpec, ...] = ()
    environment: Pairs = ()
    tags: Pairs = ()
    autoscaling: AutoscalingSpec | None = None
    alarms: tuple[AlarmSpec, ...] = ()
    deployment: DeploymentSpec = field(default_factory=DeploymentSpec)
    data_capture: DataCaptureSpec | None = None
    smoke_test: SmokeTestSpec | None = None
    base_image: BaseImageSpec | None = None  # None: the slim Python base of container/


@dataclass(frozen=True)
class EnvSettings:
    """deployments/<env>/_env.yaml: where and how an environment deploys."""

    name: str
    account_id: str
    region: str
    execution_role_arn: str
    artifact_bucket: str
    ecr_repository: str
    artifact_prefix: str = "smgitops"
    prune: bool = False
    require_approval: bool = False
    max_parallel: int = 4
    promotes_from: str | None = None  # the env whose tested images this one copies
    kms_key_id: str | None = None  # KMS key ARN for artifact objects and endpoint volumes


@dataclass(frozen=True)
class DesiredEnv:
    """Everything git says about one environment."""

    settings: EnvSettings
    endpoints: tuple[EndpointSpec, ...]
