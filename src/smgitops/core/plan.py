"""The planner: desired endpoints vs live state -> a plan of changes, each with its reason.

`plan()` is purely computational: it reads two values and returns a third. Everything that
talks to AWS lives in `smgitops.aws.reader` (before) and `smgitops.aws.apply` (after).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from smgitops.core import instance_types, naming
from smgitops.core.desired import DeploymentSpec
from smgitops.core.live import (
    LiveAlarm,
    LiveConfig,
    LiveConfigVariant,
    LiveEndpoint,
    LiveScaling,
    LiveState,
)
from smgitops.core.outcomes import Outcome
from smgitops.core.resources import AlarmDef, DesiredEndpoint, ScalingDef, VariantDef

if TYPE_CHECKING:
    from smgitops.core.preflight import Preflight

_SUCCEEDED = {o.value for o in Outcome if o.succeeded}
# verify.ObjectState values, as the reader records them (plain strings: this module is pure).
_BROKEN = {
    "missing": "model_data_missing",
    "altered": "model_data_altered",
    "unrecorded": "model_data_unrecorded",
}


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"  # new endpoint config, blue/green with the manifest's guardrails
    UPDATE_CAPACITY = "update_capacity"  # UpdateEndpointWeightsAndCapacities, no new fleet
    UPDATE_SCALING = "update_scaling"  # only the autoscaling target/policy changes
    UPDATE_ALARMS = "update_alarms"  # only owned CloudWatch alarms change
    REPLACE = "replace"  # delete a Failed endpoint and create it again
    DELETE = "delete"
    VERIFY = "verify"  # smoke-test the live config: it never passed (an apply stopped, or failed)
    REPAIR = "repair"  # put the pinned model data back under its key: no SageMaker change
    ORPHAN = "orphan"  # managed, without a manifest, kept because the env does not prune
    NOOP = "no_op"


class Reason(StrEnum):
    NOT_FOUND = "not_found"
    CONFIG_CHANGED = "config_changed"
    CAPACITY_CHANGED = "capacity_changed"
    SCALING_CHANGED = "scaling_changed"
    ALARMS_CHANGED = "alarms_changed"
    ENDPOINT_FAILED = "endpoint_failed"
    REMOVED_FROM_GIT = "removed_from_git"
    PRUNE_DISABLED = "prune_disabled"
    SMOKE_TEST_PENDING = "smoke_test_pending"
    PACKAGING_CHANGED = "packaging_changed"  # same model, tarball rebuilt by a newer packaging
    MODEL_DATA_MISSING = "model_data_missing"
    MODEL_DATA_ALTERED = "model_data_altered"
    MODEL_DATA_UNRECORDED = "model_data_unrecorded"  # a copy without our checksum record
    UP_TO_DATE = "up_to_date"


# The path of a capacity diff: `variants[<name>].instanceCount` or `.weight`.
_CAPACITY_PATH = re.compile(r"variants\[(?P<variant>[^\]]+)\]\.(?P<attribute>instanceCount|weight)")


class ScalingAction(StrEnum):
    REGISTER = "register"
    UPDATE = "update"
    DEREGISTER = "deregister"


@dataclass(frozen=True)
class FieldDiff:
    """One attribute that differs; `forces_new_config` marks what needs a new endpoint config."""

    path: str
    before: str | None
    after: str | None
    forces_new_config: bool = False


@dataclass(frozen=True)
class FileChange:
    """One file of model.tar.gz an update changes: (sha256 hex, size in bytes) before and
    after; None where the file is new or gone."""

    name: str  # in the archive, e.g. "code/inference.py", "weights.json"
    before: tuple[str, int] | None
    after: tuple[str, int] | None


@dataclass(frozen=True)
class ScalingChange:
    action: ScalingAction
    resource_id: str
    desired: ScalingDef | None = None


class AlarmAction(StrEnum):
    PUT = "put"  # PutMetricAlarm: creates, or updates in place
    DELETE = "delete"


@dataclass(frozen=True)
class AlarmChange:
    action: AlarmAction
    name: str
    desired: AlarmDef | None = None
    live: LiveAlarm | None = None


@dataclass(frozen=True)
class Rollout:
    """How an UPDATE moves traffic: the manifest's guardrails plus what the planner decided."""

    deployment: DeploymentSpec
    retain_capacity: bool
    previous_config: str
    previous_model_data: tuple[str, ...] = ()  # what the previous config's models serve


@dataclass(frozen=True)
class EndpointChange:
    endpoint: str
    action: Action
    reason: Reason
    manifest: str | None = None
    desired: DesiredEndpoint | None = None
    diffs: tuple[FieldDiff, ...] = ()
    scaling: tuple[ScalingChange, ...] = ()
    alarms: tuple[AlarmChange, ...] = ()
    rollout: Rollout | None = None
    live_status: str | None = None
    live_config: str | None = None
    live_arn: str | None = None
    live_failure: str | None = None  # the live endpoint's FailureReason
    # The config a failed smoke test of the live config rolls back to (smgitops:previous-config)
    rollback_config: str | None = None
    # How the last apply that changed this endpoint failed, when it did (from the history)
    last_failure: str | None = None
    # A rename: the same manifest file made `renamed_from` before and now makes this endpoint
    # (a create); the old one's change (delete, or orphan with prune off) names `renamed_to`.
    renamed_from: str | None = None
    renamed_to: str | None = None
    removed: LiveEndpoint | None = None  # a delete or orphan: what runs now, for the report
    live_commit: str | None = None  # the commit that deployed the live config (its tag)
    # For a new tarball of a folder model: the files it changes, or why they are not known.
    files: tuple[FileChange, ...] = ()
    files_unknown: str | None = None
    peak_instances: int = 0
    wait_first: bool = False  # the endpoint is mid-transition: apply waits before acting
    warnings: tuple[str, ...] = ()  # worth a reviewer's eye, not a change (e.g. kept data gone)

    @property
    def is_change(self) -> bool:
        return self.action not in (Action.NOOP, Action.ORPHAN)

    @property
    def forced_paths(self) -> tuple[str, ...]:
        return tuple(d.path for d in self.diffs if d.forces_new_config)

    @property
    def capacity_changes(self) -> dict[str, frozenset[str]]:
        """variant -> what this change sets live of it (`instanceCount`, `weight`): the
        capacity diffs, which UpdateEndpointWeightsAndCapacities carries out."""
        changes: dict[str, set[str]] = {}
        for diff in self.diffs:
            found = _CAPACITY_PATH.fullmatch(diff.path)
            if found:
                changes.setdefault(found["variant"], set()).add(found["attribute"])
        return {variant: frozenset(attributes) for variant, attributes in changes.items()}


@dataclass(frozen=True)
class Plan:
    env: str
    changes: tuple[EndpointChange, ...]
    errors: tuple[str, ...] = ()
    # Quotas and monthly cost of the changes (`smgitops plan` adds it; apply's plan has none)
    preflight: Preflight | None = None

    @property
    def has_changes(self) -> bool:
        return any(c.is_change for c in self.changes)

    @property
    def orphans(self) -> tuple[EndpointChange, ...]:
        """Managed endpoints without a manifest that the env keeps (prune off): drift, not a
        change apply makes (Argo CD's "requires pruning")."""
        return tuple(c for c in self.changes if c.action is Action.ORPHAN)

    def counts(self) -> dict[str, int]:
        """Terraform-style totals: a replace counts as one create and one delete."""
        totals = {"create": 0, "update": 0, "delete": 0}
        for change in self.changes:
            if change.action is Action.CREATE:
                totals["create"] += 1
            elif change.action is Action.DELETE:
                totals["delete"] += 1
            elif change.action is Action.REPLACE:
                totals["create"] += 1
                totals["delete"] += 1
            elif change.is_change:
                totals["update"] += 1
        return totals


def _fmt(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _instances(counts: Iterable[int | None]) -> int:
    return sum(c or 0 for c in counts)


def _model_diffs(desired: DesiredEndpoint, live: LiveConfig) -> list[FieldDiff]:
    live_model = live.models[0] if live.models else None
    model = desired.model
    if live_model is None:
        return [FieldDiff("model", None, model.name, True)]
    diffs = []
    for path, before, after in (
        ("model.image", live_model.image_uri, model.image_uri),
        ("model.data", live_model.model_data_url, model.model_data_url),
        ("model.executionRole", live_model.execution_role_arn, model.execution_role_arn),
    ):
        if before != after:
            diffs.append(FieldDiff(path, before, after, True))
    before_env, after_env = dict(live_model.environment), dict(model.environment)
    for key in sorted(before_env.keys() | after_env.keys()):
        if before_env.get(key) != after_env.get(key):
            diffs.append(
                FieldDiff(f"environment.{key}", before_env.get(key), after_env.get(key), True)
            )
    return diffs


def _variant_diffs(
    label: str, desired: tuple[VariantDef, ...], live: tuple[LiveConfigVariant, ...]
) -> list[FieldDiff]:
    """Variant attributes that live in the immutable config (type, serverless, presence)."""
    diffs = []
    live_by_name = {v.name: v for v in live}
    desired_by_name = {v.name: v for v in desired}
    for name in sorted(live_by_name.keys() - desired_by_name.keys()):
        diffs.append(FieldDiff(f"{label}[{name}]", "present", None, True))
    for variant in desired:
        path = f"{label}[{variant.name}]"
        old = live_by_name.get(variant.name)
        if old is None:
            diffs.append(FieldDiff(path, None, "present", True))
            continue
        if old.instance_type != variant.instance_type:
            diffs.append(
                FieldDiff(f"{path}.instanceType", old.instance_type, variant.instance_type, True)
            )
        if old.serverless != variant.serverless:
            diffs.append(
                FieldDiff(
                    f"{path}.serverless", _fmt(old.serverless), _fmt(variant.serverless), True
                )
            )
    return diffs


def _config_diffs(desired: DesiredEndpoint, live: LiveConfig | None) -> tuple[FieldDiff, ...]:
    """Why the desired config differs from the live one (names differ: something changed)."""
    if live is None:  # config not readable (deleted by hand): still a change, say so plainly
        return (FieldDiff("endpointConfig", None, desired.config.name, True),)
    diffs = _model_diffs(desired, live)
    diffs += _variant_diffs("variants", desired.config.variants, live.variants)
    diffs += _variant_diffs("shadowVariants", desired.config.shadow_variants, live.shadow_variants)
    if live.data_capture != desired.config.data_capture:
        diffs.append(
            FieldDiff(
                "dataCapture", _fmt(live.data_capture), _fmt(desired.config.data_capture), True
            )
        )
    if not diffs:  # e.g. timeouts, or a config changed outside git: name the config itself
        diffs.append(FieldDiff("endpointConfig", live.name, desired.config.name, True))
    return tuple(diffs)


def capacity_diffs(
    desired: DesiredEndpoint, live: LiveEndpoint, *, counts: bool = True
) -> tuple[FieldDiff, ...]:
    """Counts and weights that differ; counts are ignored where the autoscaler owns them
    (and altogether with `counts=False`, when an update retained the live counts).

    No side effects.
    """
    scaled = (
        {s.variant for s in desired.scaling} if counts else {c.variant for c in desired.capacity}
    )
    live_by_name = {v.name: v for v in live.variants}
    diffs = []
    for cap in desired.capacity:
        current = live_by_name.get(cap.variant)
        if current is None:
            continue
        path = f"variants[{cap.variant}]"
        if (
            cap.instance_count is not None
            and cap.variant not in scaled
            and current.instance_count != cap.instance_count
        ):
            diffs.append(
                FieldDiff(
                    f"{path}.instanceCount",
                    _fmt(current.instance_count),
                    _fmt(cap.instance_count),
                )
            )
        if current.weight is not None and not math.isclose(current.weight, cap.weight):
            diffs.append(FieldDiff(f"{path}.weight", _fmt(current.weight), _fmt(cap.weight)))
    return tuple(diffs)


def _scaling_changes(desired: DesiredEndpoint, live: LiveState) -> tuple[ScalingChange, ...]:
    live_ids = {
        s.resource_id: s
        for s in live.scaling
        if naming.scaled_endpoint(s.resource_id) == desired.name
    }
    wanted = {s.resource_id: s for s in desired.scaling}
    changes = [
        ScalingChange(ScalingAction.DEREGISTER, rid) for rid in sorted(live_ids.keys() - wanted)
    ]
    for rid, scaling in sorted(wanted.items()):
        current = live_ids.get(rid)
        if current is None:
            changes.append(ScalingChange(ScalingAction.REGISTER, rid, scaling))
        elif not _scaling_matches(scaling, current):
            changes.append(ScalingChange(ScalingAction.UPDATE, rid, scaling))
    return tuple(changes)


def _scaling_matches(desired: ScalingDef, live: LiveScaling) -> bool:
    return (
        live.min_capacity == desired.min_capacity
        and live.max_capacity == desired.max_capacity
        and live.policy_name == desired.policy_name
        and live.metric == desired.metric
        and live.target_value is not None
        and math.isclose(live.target_value, desired.target_value)
        and live.scale_in_cooldown_s == desired.scale_in_cooldown_s
        and live.scale_out_cooldown_s == desired.scale_out_cooldown_s
    )


def _scaling_diffs(changes: tuple[ScalingChange, ...]) -> tuple[FieldDiff, ...]:
    return tuple(
        FieldDiff(
            f"autoscaling[{c.resource_id.rsplit('/', 1)[-1]}]",
            None if c.action is ScalingAction.REGISTER else "configured",
            None
            if c.desired is None
            else f"{c.desired.min_capacity}..{c.desired.max_capacity} instances, "
            f"target {_fmt(c.desired.target_value)} {c.desired.metric}",
        )
        for c in changes
    )


def _alarm_changes(desired: DesiredEndpoint, live: LiveState) -> tuple[AlarmChange, ...]:
    current = {
        a.name: a for a in live.owned_alarms if naming.alarm_endpoint(a.name) == desired.name
    }
    wanted = {a.name: a for a in desired.alarms}
    changes = [
        AlarmChange(AlarmAction.DELETE, name, live=current[name])
        for name in sorted(current.keys() - wanted)
    ]
    for name, alarm in sorted(wanted.items()):
        if name not in current or not _alarm_matches(alarm, current[name]):
            changes.append(AlarmChange(AlarmAction.PUT, name, alarm, current.get(name)))
    return tuple(changes)


def _alarm_matches(desired: AlarmDef, live: LiveAlarm) -> bool:
    dimensions = (("EndpointName", desired.endpoint), ("VariantName", desired.variant))
    return (
        live.metric == desired.metric
        and live.statistic == desired.statistic
        and math.isclose(live.threshold, desired.threshold)
        and live.period_s == desired.period_s
        and live.evaluation_periods == desired.evaluation_periods
        and tuple(sorted(live.dimensions)) == dimensions
    )


def alarm_text(alarm: AlarmDef | LiveAlarm) -> str:
    """`Invocation5XXErrors Sum > 0 for 1 x 60s`: what makes the alarm fire. No side effects."""
    return (
        f"{alarm.metric} {alarm.statistic} > {_fmt(alarm.threshold)} "
        f"for {alarm.evaluation_periods} x {alarm.period_s}s"
    )


def _alarm_diffs(changes: tuple[AlarmChange, ...]) -> tuple[FieldDiff, ...]:
    return tuple(
        FieldDiff(
            f"alarms[{c.name.split('/', 3)[-1]}]",
            None if c.live is None else alarm_text(c.live),
            None if c.desired is None else alarm_text(c.desired),
        )
        for c in changes
    )


def _rollout(desired: DesiredEndpoint, live: LiveEndpoint) -> Rollout:
    # The guardrails watch the manifest's rollbackAlarms and the owned rollback alarms.
    deployment = replace(desired.spec.deployment, rollback_alarms=desired.rollback_alarms)
    retain = deployment.retain_scaled_capacity
    if retain is None:
        retain = bool(desired.scaling)
    # SageMaker can only retain properties of variants that keep their names.
    same_variants = {v.name for v in live.variants} == {v.name for v in desired.config.variants}
    data = tuple(m.model_data_url for m in live.config.models) if live.config else ()
    return Rollout(deployment, retain and same_variants, live.config_name, data)


def _step_instances(deployment: DeploymentSpec, fleet: int) -> int:
    step = deployment.step
    if step is None:
        return fleet
    if step.unit == "instances":
        return min(step.value, fleet)
    return max(1, math.ceil(fleet * step.value / 100))


def _peak_for_update(desired: DesiredEndpoint, live: LiveEndpoint, rollout: Rollout) -> int:
    """Instances running at once while SageMaker swaps fleets (blue/green needs both)."""
    old = _instances(v.instance_count for v in live.variants)
    new = old if rollout.retain_capacity else _instances(c.instance_count for c in desired.capacity)
    if rollout.deployment.strategy == "rolling":
        return old + _step_instances(rollout.deployment, new)
    return old + new


def plan_endpoint(desired: DesiredEndpoint, live: LiveState, env: str) -> EndpointChange | str:
    """What one desired endpoint needs, or why it cannot be planned (a plan error). Apply runs
    it again after each wait, on that endpoint's state then. No side effects."""
    current = live.endpoint(desired.name)
    base = EndpointChange(
        endpoint=desired.name,
        action=Action.NOOP,
        reason=Reason.UP_TO_DATE,
        manifest=desired.spec.manifest_path,
        desired=desired,
        scaling=_scaling_changes(desired, live),
        alarms=_alarm_changes(desired, live),
    )
    new_fleet = _instances(c.instance_count for c in desired.capacity)
    if current is None or current.status == "Deleting":
        all_registered = tuple(
            ScalingChange(ScalingAction.REGISTER, s.resource_id, s) for s in desired.scaling
        )
        return replace(
            base,
            action=Action.CREATE,
            reason=Reason.NOT_FOUND,
            scaling=all_registered,
            peak_instances=new_fleet,
            wait_first=current is not None,
            live_status=None if current is None else current.status,
        )
    if not naming.is_owned(current.tag_map, env):
        return (
            f"{desired.spec.manifest_path}: endpoint {desired.name} exists but is not managed "
            f"by smgitops in env {env} (tags {naming.TAG_MANAGED}=true, {naming.TAG_ENV}={env} "
            "missing); refusing to touch it: tag it to adopt it, or rename the endpoint"
        )
    base = replace(
        base,
        live_status=current.status,
        live_config=current.config_name,
        live_arn=current.arn or None,
        live_commit=current.tag_map.get(naming.TAG_COMMIT),
        live_failure=current.failure_reason,
        rollback_config=current.tag_map.get(naming.TAG_PREVIOUS_CONFIG),
        wait_first=current.in_progress,
    )
    if current.status == "Failed":
        all_registered = tuple(
            ScalingChange(ScalingAction.REGISTER, s.resource_id, s) for s in desired.scaling
        )
        reason = current.failure_reason or "no reason given"
        return replace(
            base,
            action=Action.REPLACE,
            reason=Reason.ENDPOINT_FAILED,
            diffs=(FieldDiff("status", f"Failed: {reason}", "InService", True),),
            scaling=all_registered,
            peak_instances=new_fleet,
        )
    if current.config_name != desired.config.name:
        rollout = _rollout(desired, current)
        diffs = _config_diffs(desired, current.config)
        reason = Reason.PACKAGING_CHANGED if _only_repackaged(diffs) else Reason.CONFIG_CHANGED
        if not rollout.retain_capacity:
            diffs += capacity_diffs(desired, current)
        return replace(
            base,
            action=Action.UPDATE,
            reason=reason,
            diffs=diffs + _scaling_diffs(base.scaling) + _alarm_diffs(base.alarms),
            rollout=rollout,
            peak_instances=_peak_for_update(desired, current, rollout),
        )
    capacity = capacity_diffs(desired, current)
    if capacity:
        old = _instances(v.instance_count for v in current.variants)
        return replace(
            base,
            action=Action.UPDATE_CAPACITY,
            reason=Reason.CAPACITY_CHANGED,
            diffs=capacity + _scaling_diffs(base.scaling) + _alarm_diffs(base.alarms),
            peak_instances=max(old, new_fleet),
        )
    if base.scaling:
        return replace(
            base,
            action=Action.UPDATE_SCALING,
            reason=Reason.SCALING_CHANGED,
            diffs=_scaling_diffs(base.scaling) + _alarm_diffs(base.alarms),
            peak_instances=_instances(v.instance_count for v in current.variants),
        )
    if base.alarms:
        return replace(
            base,
            action=Action.UPDATE_ALARMS,
            reason=Reason.ALARMS_CHANGED,
            diffs=_alarm_diffs(base.alarms),
            peak_instances=_instances(v.instance_count for v in current.variants),
        )
    if _smoke_test_pending(desired, current):
        return replace(base, action=Action.VERIFY, reason=Reason.SMOKE_TEST_PENDING)
    return replace(base, peak_instances=_instances(v.instance_count for v in current.variants))


def _only_repackaged(diffs: tuple[FieldDiff, ...]) -> bool:
    """The one forced change is a folder model's tarball moving from an older packaging format
    to the current one: the model is the same, only what the tarball carries changed."""
    if len(diffs) != 1 or diffs[0].path != "model.data":
        return False
    before, after = diffs[0].before or "", diffs[0].after or ""
    old, new = naming.tarball_format(before), naming.tarball_format(after)
    return new == naming.PACKAGING_FORMAT and (old or 1) < new and "/models/" in before


def _check_model_data(change: EndpointChange, live: LiveState) -> EndpointChange:
    """Add what the checks of the model data behind the live and kept configs found: a broken
    live tarball is a REPAIR (or one more diff of a change), a broken kept one a warning."""
    desired = change.desired
    current = live.endpoint(change.endpoint)
    if desired is not None and current is not None and current.config is not None:
        # Read because the config changes: its data only matters until the update is done.
        broken = [
            (m.model_data_url, live.model_data_state(m.model_data_url))
            for m in current.config.models
            if live.model_data_state(m.model_data_url) in _BROKEN
        ]
        warnings = tuple(
            f"the live config's model data {url} is {state}: until this update completes, "
            "SageMaker cannot start more instances of it"
            for url, state in broken
        )
        return replace(change, warnings=change.warnings + warnings)
    if desired is None or change.live_config != desired.config.name:
        return change
    url = desired.model.model_data_url
    state = live.model_data_state(url)
    warnings = list(change.warnings)
    if state in _BROKEN:
        diff = FieldDiff("model.data", f"{state}: {url}", "the pinned bytes, uploaded again")
        change = replace(change, diffs=(*change.diffs, diff))
        if change.action is Action.NOOP:
            change = replace(change, action=Action.REPAIR, reason=Reason(_BROKEN[state]))
    elif state == "unverified" and naming.tarball_tree(url):
        warnings.append(f"model data {url} is unverified: S3 holds no whole-object SHA-256 for it")
    for kept in live.previous_urls(change.endpoint):
        kept_state = live.model_data_state(kept)
        if kept_state in _BROKEN:
            warnings.append(
                f"the kept previous config's model data {kept} is {kept_state}: a rollback to "
                "it re-uploads it from its pin (git revert), but SageMaker cannot fall back to it"
            )
    return replace(change, warnings=tuple(warnings))


def _smoke_test_pending(desired: DesiredEndpoint, current: LiveEndpoint) -> bool:
    """The live config has a smoke test that never passed on it (an apply stopped before)."""
    return (
        desired.spec.smoke_test is not None
        and current.status == "InService"
        and current.tag_map.get(naming.TAG_SMOKE_TESTED) != current.config_name
    )


def plan_removed(name: str, live: LiveState, env: str, prune: bool) -> EndpointChange | None:
    """What a managed endpoint without a manifest needs (None: gone, or not ours). No side
    effects."""
    current = live.endpoint(name)
    if current is None or not naming.is_owned(current.tag_map, env):
        return None  # already gone, or not ours: never deleted
    manifest = current.tag_map.get(naming.TAG_MANIFEST)
    scaling = tuple(
        ScalingChange(ScalingAction.DEREGISTER, s.resource_id)
        for s in live.scaling
        if naming.scaled_endpoint(s.resource_id) == name
    )
    alarms = tuple(
        AlarmChange(AlarmAction.DELETE, a.name, live=a)
        for a in live.owned_alarms
        if naming.alarm_endpoint(a.name) == name
    )
    if not prune:
        return EndpointChange(
            endpoint=name,
            action=Action.ORPHAN,
            reason=Reason.PRUNE_DISABLED,
            manifest=manifest,
            live_status=current.status,
            live_config=current.config_name,
            removed=current,
        )
    return EndpointChange(
        endpoint=name,
        action=Action.DELETE,
        reason=Reason.REMOVED_FROM_GIT,
        manifest=manifest,
        scaling=scaling,
        alarms=alarms,
        live_status=current.status,
        live_config=current.config_name,
        wait_first=current.in_progress,
        removed=current,
    )


def _pending_rollout_settings(change: EndpointChange, live: LiveState) -> EndpointChange:
    """A note when only the guardrails or the smoke test changed: they create nothing now and
    take effect at the next update (endpoints applied before TAG_ROLLOUT existed: no note)."""
    current = live.endpoint(change.endpoint)
    if change.desired is None or current is None or change.action is not Action.NOOP:
        return change
    recorded = current.tag_map.get(naming.TAG_ROLLOUT)
    if recorded is None or recorded == naming.rollout_hash(change.desired.spec):
        return change
    note = (
        "deployment guardrails or smoke test changed: nothing to apply now, they apply at the "
        "next update of this endpoint"
    )
    return replace(change, warnings=(*change.warnings, note))


def _with_last_failure(change: EndpointChange, live: LiveState) -> EndpointChange:
    """Beside a change the plan offers again: how its last apply failed, if it did."""
    last = live.last_outcome(change.endpoint)
    if not change.is_change or last is None or last.outcome in _SUCCEEDED:
        return change
    text = f"{last.outcome} at {last.at} (commit {last.commit[:12]}): {last.message}"
    return replace(change, last_failure=text)


def _gpu_without_cuda(change: EndpointChange) -> EndpointChange:
    """A warning when a new fleet of GPU instances would run the repo's CPU-only image (the
    slim Python base of container/): it serves, but pays for GPUs it never uses."""
    desired = change.desired
    if desired is None or change.action not in (Action.CREATE, Action.UPDATE, Action.REPLACE):
        return change
    if not desired.spec.model.has_folder or desired.spec.base_image is not None:
        return change  # a pinned or registry image, or a DLC base that names its processor
    for variant in desired.config.variants:
        hardware = instance_types.lookup(variant.instance_type or "")
        if hardware is not None and hardware.accelerator_kind == "gpu":
            note = (
                f"variant {variant.name} runs on {variant.instance_type} "
                f"({hardware.accelerators} {hardware.accelerator_model}) but the serving image "
                "is CPU-only (container/'s slim Python base): set spec.image with processor: "
                "gpu, or use a CPU instance type"
            )
            change = replace(change, warnings=(*change.warnings, note))
    return change


def _missing_alarms(desired: DesiredEndpoint, live: LiveState) -> list[str]:
    """The manifest's rollback alarms CloudWatch does not have ([] when alarms were not read)."""
    if live.alarms is None:
        return []
    return [a for a in desired.spec.deployment.rollback_alarms if a not in live.alarms]


def plan(desired: Iterable[DesiredEndpoint], live: LiveState, *, env: str, prune: bool) -> Plan:
    """Compare desired endpoints with live state and decide, per endpoint, what to do and why.

    No side effects. Endpoints we do not own are never changed: a desired endpoint whose name
    is taken by someone else's endpoint is a plan error; an unowned leftover is ignored.
    """
    changes: list[EndpointChange] = []
    errors: list[str] = []
    desired_names = set()
    for endpoint in sorted(desired, key=lambda d: d.name):
        desired_names.add(endpoint.name)
        outcome = plan_endpoint(endpoint, live, env)
        if isinstance(outcome, str):
            errors.append(outcome)
            continue
        outcome = _gpu_without_cuda(_pending_rollout_settings(outcome, live))
        missing = _missing_alarms(endpoint, live)
        if missing and outcome.rollout is not None:
            errors.append(
                f"{endpoint.spec.manifest_path}: rollback alarm(s) {', '.join(missing)} do not "
                "exist in CloudWatch, so this update would run without its rollback net: "
                "create them, or remove them from spec.deployment.rollbackAlarms"
            )
        elif missing:
            outcome = replace(
                outcome,
                warnings=(
                    *outcome.warnings,
                    f"rollback alarm(s) {', '.join(missing)} do not exist in CloudWatch: the "
                    "next update of this endpoint is refused until they do",
                ),
            )
        changes.append(_with_last_failure(_check_model_data(outcome, live), live))
    for name in sorted(set(live.inventory) - desired_names):
        removed = plan_removed(name, live, env, prune)
        if removed is not None:
            changes.append(removed)
    return Plan(env=env, changes=_renames(changes), errors=tuple(errors))


def _renames(changes: list[EndpointChange]) -> tuple[EndpointChange, ...]:
    """Pair the create and the removal that come from one manifest file: a rename. Apply
    already deletes last, so the old endpoint serves until the new one is up."""
    created = {c.manifest: c.endpoint for c in changes if c.action is Action.CREATE}
    removed = {
        c.manifest: c.endpoint for c in changes if c.action in (Action.DELETE, Action.ORPHAN)
    }
    renamed = []
    for change in changes:
        if change.action is Action.CREATE and change.manifest in removed:
            change = replace(change, renamed_from=removed[change.manifest])
        elif change.action in (Action.DELETE, Action.ORPHAN) and change.manifest in created:
            change = replace(change, renamed_to=created[change.manifest])
        renamed.append(change)
    return tuple(renamed)
