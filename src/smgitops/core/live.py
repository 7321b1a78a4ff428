"""Live state: what SageMaker and Application Auto Scaling say right now, as plain values.

The dataclasses here are what the pure planner compares against. `smgitops.aws.reader` fills them
with boto3; tests of the planner build them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from smgitops.core.desired import DataCaptureSpec, Pairs, ServerlessSpec

IN_PROGRESS = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"})


@dataclass(frozen=True)
class LiveVariant:
    """A production variant as DescribeEndpoint reports it (the desired side of a change)."""

    name: str
    instance_count: int | None
    weight: float | None


@dataclass(frozen=True)
class LiveModel:
    name: str
    image_uri: str
    model_data_url: str
    environment: Pairs
    execution_role_arn: str


@dataclass(frozen=True)
class LiveConfigVariant:
    name: str
    model_name: str
    instance_type: str | None
    initial_instance_count: int | None
    initial_weight: float | None
    serverless: ServerlessSpec | None = None


@dataclass(frozen=True)
class LiveConfig:
    """The endpoint config an endpoint is on, read only when it differs from the desired one."""

    name: str
    variants: tuple[LiveConfigVariant, ...]
    shadow_variants: tuple[LiveConfigVariant, ...] = ()
    data_capture: DataCaptureSpec | None = None
    models: tuple[LiveModel, ...] = ()


@dataclass(frozen=True)
class LiveEndpoint:
    name: str
    status: str
    config_name: str
    tags: Pairs
    variants: tuple[LiveVariant, ...] = ()
    failure_reason: str | None = None
    config: LiveConfig | None = None
    arn: str = ""
    # While an update is in flight: the new fleet's VariantStatus (Creating, Baking, ...).
    pending_status: str | None = None

    @property
    def tag_map(self) -> dict[str, str]:
        return dict(self.tags)

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS


@dataclass(frozen=True)
class LiveScaling:
    resource_id: str
    min_capacity: int
    max_capacity: int
    policy_name: str | None = None
    metric: str | None = None
    target_value: float | None = None
    scale_in_cooldown_s: int | None = None
    scale_out_cooldown_s: int | None = None


@dataclass(frozen=True)
class ModelDataCheck:
    """What one HEAD found at a model data URL a live or kept config points at.

    `state` is a verify.ObjectState value: verified, unverified, missing, altered or
    unrecorded.
    """

    url: str
    state: str


@dataclass(frozen=True)
class LiveAlarm:
    """An owned CloudWatch alarm as DescribeAlarms reports it."""

    name: str
    metric: str
    statistic: str
    threshold: float
    period_s: int
    evaluation_periods: int
    dimensions: Pairs  # (name, value), e.g. ("EndpointName", "staging-churn")


@dataclass(frozen=True)
class LastOutcome:
    """How the newest apply that changed an endpoint ended (the env's apply history)."""

    endpoint: str
    outcome: str  # an Outcome value
    message: str
    commit: str
    at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class LiveState:
    """Live resources relevant to one environment.

    `endpoints` holds every desired endpoint that exists plus every endpoint the inventory says
    we created in this env; `inventory` is that remembered set (names).
    """

    endpoints: tuple[LiveEndpoint, ...] = ()
    scaling: tuple[LiveScaling, ...] = ()
    inventory: tuple[str, ...] = ()
    model_data: tuple[ModelDataCheck, ...] = ()
    # endpoint -> model data URLs of its kept previous config (smgitops:previous-config)
    previous_data: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # the CloudWatch alarms the manifests' rollbackAlarms name that exist (None: not read)
    alarms: frozenset[str] | None = None
    last_outcomes: tuple[LastOutcome, ...] = ()  # one per endpoint the history knows
    owned_alarms: tuple[LiveAlarm, ...] = ()  # every alarm under naming.alarm_prefix(env)

    def endpoint(self, name: str) -> LiveEndpoint | None:
        return next((e for e in self.endpoints if e.name == name), None)

    def model_data_state(self, url: str) -> str | None:
        """The checked state of `url`, or None when it was not checked."""
        return next((c.state for c in self.model_data if c.url == url), None)

    def last_outcome(self, endpoint: str) -> LastOutcome | None:
        return next((o for o in self.last_outcomes if o.endpoint == endpoint), None)

    def previous_urls(self, endpoint: str) -> tuple[str, ...]:
        return next((urls for name, urls in self.previous_data if name == endpoint), ())
