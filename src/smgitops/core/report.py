"""Views over one plan: text (terminal), markdown (PR comment) and JSON (machines).

All three render the same `Plan`; human phrases such as "forces a new config" are added here
from the data, never stored in it. The JSON vocabulary is a public contract (docs/plan-json.md):
actions and reasons map to stable snake_case names with `unknown` as the fallback.
"""

from __future__ import annotations

import json
from typing import Any

from rich.markup import escape

from smgitops.core import instance_types
from smgitops.core.live import LiveConfigVariant, LiveEndpoint, LiveVariant
from smgitops.core.pins import describe_pin, pin_document
from smgitops.core.plan import Action, EndpointChange, Plan, Reason, ScalingAction, alarm_text
from smgitops.core.preflight import HOURS_PER_MONTH, MonthlyCost, Preflight, QuotaCheck
from smgitops.core.resources import Capacity, DesiredEndpoint, VariantDef

FORMAT_VERSION = 2
# GitHub refuses comments over 65,536 characters; leave room for the header and footer.
MARKDOWN_LIMIT = 60_000

ACTION_NAMES = {
    Action.CREATE: "create",
    Action.UPDATE: "update",
    Action.UPDATE_CAPACITY: "update_capacity",
    Action.UPDATE_SCALING: "update_scaling",
    Action.UPDATE_ALARMS: "update_alarms",
    Action.REPLACE: "replace",
    Action.DELETE: "delete",
    Action.VERIFY: "verify",
    Action.REPAIR: "repair",
    Action.ORPHAN: "orphan",
    Action.NOOP: "no_op",
}
REASON_NAMES = {
    Reason.NOT_FOUND: "not_found",
    Reason.CONFIG_CHANGED: "config_changed",
    Reason.CAPACITY_CHANGED: "capacity_changed",
    Reason.SCALING_CHANGED: "scaling_changed",
    Reason.ALARMS_CHANGED: "alarms_changed",
    Reason.ENDPOINT_FAILED: "endpoint_failed",
    Reason.REMOVED_FROM_GIT: "removed_from_git",
    Reason.PRUNE_DISABLED: "prune_disabled",
    Reason.SMOKE_TEST_PENDING: "smoke_test_pending",
    Reason.PACKAGING_CHANGED: "packaging_changed",
    Reason.MODEL_DATA_MISSING: "model_data_missing",
    Reason.MODEL_DATA_ALTERED: "model_data_altered",
    Reason.MODEL_DATA_UNRECORDED: "model_data_unrecorded",
    Reason.UP_TO_DATE: "up_to_date",
}
REASON_TEXT = {
    Reason.NOT_FOUND: "new in git, not in SageMaker",
    Reason.CONFIG_CHANGED: "model or config changed: new endpoint config",
    Reason.CAPACITY_CHANGED: "instance counts or weights changed: no new fleet",
    Reason.SCALING_CHANGED: "autoscaling changed",
    Reason.ALARMS_CHANGED: "owned CloudWatch alarms changed",
    Reason.ENDPOINT_FAILED: "endpoint is Failed: delete and create again",
    Reason.REMOVED_FROM_GIT: "manifest removed from git",
    Reason.PRUNE_DISABLED: "prune off: no manifest in git, kept running; delete it in git's "
    "way (prune: true) or restore its manifest",
    Reason.SMOKE_TEST_PENDING: (
        "live config never passed its smoke test (an apply stopped or its test failed): run it, "
        "roll back if it fails"
    ),
    Reason.PACKAGING_CHANGED: (
        "same model, repackaged: this version ships only the files serving needs (one time)"
    ),
    Reason.MODEL_DATA_MISSING: (
        "the live model.tar.gz is gone from S3: upload the pinned bytes again (a scale-out or "
        "host replacement would fail without it)"
    ),
    Reason.MODEL_DATA_ALTERED: (
        "the live model.tar.gz was overwritten with other bytes: put the pinned ones back"
    ),
    Reason.MODEL_DATA_UNRECORDED: (
        "the live copy of the S3 artifact has no record of its bytes (copied by an older "
        "version, or overwritten): copy the pinned source again, verified (one time)"
    ),
    Reason.UP_TO_DATE: "up to date",
}
SYMBOLS = {
    Action.CREATE: ("+", "green"),
    Action.UPDATE: ("~", "yellow"),
    Action.UPDATE_CAPACITY: ("~", "yellow"),
    Action.UPDATE_SCALING: ("~", "yellow"),
    Action.UPDATE_ALARMS: ("~", "yellow"),
    Action.REPLACE: ("-/+", "red"),
    Action.DELETE: ("-", "red"),
    Action.VERIFY: ("?", "yellow"),
    Action.REPAIR: ("!", "yellow"),
    Action.ORPHAN: ("?", "magenta"),
    Action.NOOP: ("=", "dim"),
}


def summary_line(plan: Plan) -> str:
    counts = plan.counts()
    line = (
        f"{counts['create']} to create, {counts['update']} to update, {counts['delete']} to delete"
    )
    if plan.orphans:
        line += f", {len(plan.orphans)} orphan(s) kept (prune off)"
    return line


def _why(change: EndpointChange) -> str:
    """The reason, or the rename a create and a removal of one manifest file make together."""
    if change.renamed_from is not None:
        return f"renamed from {change.renamed_from}"
    if change.renamed_to is not None and change.action is Action.DELETE:
        return f"renamed to {change.renamed_to}: deleted once it is up"
    if change.renamed_to is not None:
        return f"renamed to {change.renamed_to}: kept, prune off"
    return REASON_TEXT.get(change.reason, change.reason)


def _rollout_text(change: EndpointChange) -> str | None:
    if change.rollout is None:
        return None
    deployment = change.rollout.deployment
    parts = [deployment.strategy]
    if deployment.step is not None:
        unit = "%" if deployment.step.unit == "percent" else " instances"
        parts.append(f"step {deployment.step.value}{unit}")
    if deployment.bake_seconds:
        parts.append(f"bake {deployment.bake_seconds}s")
    if deployment.rollback_alarms:
        parts.append("rollback on alarms " + ", ".join(deployment.rollback_alarms))
    if change.rollout.retain_capacity:
        parts.append("keeps autoscaled instance counts")
    return ", ".join(parts)


def _peak_text(change: EndpointChange) -> str | None:
    if (
        not change.is_change
        or change.action in (Action.DELETE, Action.UPDATE_ALARMS)
        or not change.peak_instances
    ):
        return None
    note = " (blue/green: old and new fleets together)" if change.action is Action.UPDATE else ""
    return f"peak {change.peak_instances} instances{note}"


def _fleet(instance_type: str | None, count: int | None) -> str:
    """`ml.g5.xlarge x 2 (4 vCPU, 16 GiB, 1 NVIDIA-A10G each)`: a fleet and its hardware."""
    hardware = instance_types.lookup(instance_type or "")
    each = f" ({hardware.describe()} each)" if hardware is not None else ""
    return f"{instance_type} x {count}{each}"


def _variant_text(variant: VariantDef, capacity: Capacity | None, kind: str) -> str:
    if variant.serverless is not None:
        size = (
            f"serverless {variant.serverless.memory_size_mb} MB, "
            f"max concurrency {variant.serverless.max_concurrency}"
        )
    else:
        count = capacity.instance_count if capacity else variant.initial_instance_count
        size = _fleet(variant.instance_type, count)
    weight = capacity.weight if capacity else variant.initial_weight
    return f"{kind} {variant.name}: {size}, weight {weight:g}"


def _created(desired: DesiredEndpoint) -> list[str]:
    """Every attribute a reviewer approves on a create (Terraform lists them all)."""
    capacity = {c.variant: c for c in desired.capacity}
    lines = [_variant_text(v, capacity.get(v.name), "variant") for v in desired.config.variants]
    lines += [_variant_text(v, None, "shadow variant") for v in desired.config.shadow_variants]
    for s in desired.scaling:
        lines.append(
            f"autoscaling {s.variant}: {s.min_capacity}-{s.max_capacity} instances, "
            f"target {s.target_value:g} {s.metric}"
        )
    for alarm in desired.alarms:
        role = ", rollback alarm" if alarm.rollback else ""
        lines.append(f"alarm {alarm.name}: {alarm_text(alarm)}{role}")
    spec = desired.spec
    if spec.environment:
        lines.append("environment " + ", ".join(f"{k}={v}" for k, v in spec.environment))
    if desired.config.data_capture is not None:
        capture = desired.config.data_capture
        lines.append(f"data capture {capture.sample_percent}% to {capture.s3_uri}")
    deployment = spec.deployment
    if deployment.strategy != "all-at-once" or desired.rollback_alarms:
        alarms = ", ".join(desired.rollback_alarms) or "none"
        lines.append(
            f"updates: {deployment.strategy}, rollback on alarms {alarms} (from the next update)"
        )
    lines.append(f"model data {desired.model.model_data_url}")
    return lines


def _size(size: int) -> str:
    """Bytes for people: `912 B`, `1.2 KiB`, `3.4 MiB`, `1.0 GiB`. No side effects."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{value:.1f} {unit}"


def _file_lines(change: EndpointChange) -> list[str]:
    """Under a new tarball: each file it changes, with size and short sha256 either side."""
    if change.files_unknown is not None:
        return [f"  files: not known ({change.files_unknown})"]

    def side(value: tuple[str, int] | None) -> str:
        return "(none)" if value is None else f"{_size(value[1])} {value[0][:12]}"

    return [f"  file {f.name}: {side(f.before)} -> {side(f.after)}" for f in change.files]


def _running(live: LiveEndpoint) -> list[tuple[LiveConfigVariant, LiveVariant | None]]:
    """Each variant of the live config, with what DescribeEndpoint says of it now (None when
    it says nothing); [] when the config itself is gone."""
    now = {v.name: v for v in live.variants}
    return [(v, now.get(v.name)) for v in (live.config.variants if live.config else ())]


def _deleted(change: EndpointChange) -> list[str]:
    """What a delete takes away, as a create lists what it makes."""
    live = change.removed
    assert live is not None
    lines = [f"endpoint config {live.config_name} (status {live.status})"]
    config = live.config
    for variant, now in _running(live):
        count = now.instance_count if now else variant.initial_instance_count
        weight = now.weight if now and now.weight is not None else variant.initial_weight
        size = _fleet(variant.instance_type, count) if variant.instance_type else "serverless"
        lines.append(f"variant {variant.name}: {size}, weight {weight or 0:g}")
    if config is None:  # the config is gone: what DescribeEndpoint still says
        lines += [
            f"variant {v.name}: {v.instance_count} instances, weight {v.weight or 0:g}"
            for v in live.variants
        ]
    for model in config.models if config else ():
        lines.append(f"model {model.name} ({model.image_uri})")
        lines.append(f"model data {model.model_data_url}")
    lines += [f"autoscaling {s.resource_id}: deregistered" for s in change.scaling]
    lines += [f"alarm {a.name}: deleted" for a in change.alarms]
    return lines


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def _signed_usd(value: float) -> str:
    return f"{'-' if value < 0 else '+'}{_usd(abs(value))}"


def _quota_text(check: QuotaCheck, preflight: Preflight) -> str:
    """`quota ml.m5.large: 2 more at once (4 at the peak), 5 of 8 free (3 in service: this
    env's endpoints)`, or why the quota is not known."""
    need = f"{check.more} more at once ({check.peak} at the peak)"
    if check.quota is None:
        why = preflight.quota_unknown or "Service Quotas lists no such quota"
        return f"quota {check.instance_type}: {need}; quota unknown ({why})"
    counted = f"{check.in_service} in service: {preflight.in_service.label}"
    text = f"{need}, {check.free} of {check.quota} free ({counted})"
    if check.exceeds:
        return (
            f"quota {check.instance_type} EXCEEDED: {text}; apply fails with "
            "ResourceLimitExceeded unless the quota is raised"
        )
    return f"quota {check.instance_type}: {text}"


def _cost_text(cost: MonthlyCost) -> str:
    if cost.delta is None or cost.before is None or cost.after is None:
        return f"cost n/a ({cost.unpriced or 'not known'})"
    return (
        f"cost {_usd(cost.before)} -> {_usd(cost.after)} a month on demand "
        f"({_signed_usd(cost.delta)})"
    )


def _preflight_lines(change: EndpointChange, preflight: Preflight | None) -> list[str]:
    """Under a change that starts, resizes or stops instances: its quota checks and cost."""
    entry = preflight.of(change.endpoint) if preflight is not None else None
    if preflight is None or entry is None:
        return []
    return [_quota_text(q, preflight) for q in entry.quotas] + [_cost_text(entry.cost)]


def _cost_summary(preflight: Preflight) -> str:
    """The env's monthly delta, and what it was computed from."""
    prices = preflight.prices
    basis = f"{HOURS_PER_MONTH} h a month at the {preflight.region} prices of {prices.date}"
    unpriced = f"; n/a for {', '.join(preflight.unpriced)}" if preflight.unpriced else ""
    return f"Monthly on-demand cost: {_signed_usd(preflight.cost_delta)} ({basis}{unpriced})"


def _exceeded_lines(preflight: Preflight) -> list[str]:
    """One line per change that would go over a quota, and per instance type the changes
    would go over together."""
    return [
        f"quota exceeded: {endpoint} needs {q.more} more {q.instance_type} at once, "
        f"{q.free} of {q.quota} free"
        for endpoint, q in preflight.exceeded
    ] + [
        f"quota exceeded: the changes together need {more} more {instance_type} at once, "
        f"{free} of {quota} free (apply runs them in parallel)"
        for instance_type, more, free, quota in preflight.exceeded_together
    ]


def _counted_line(preflight: Preflight) -> list[str]:
    """What the in-service figures of the quota checks counted (none without checks)."""
    if not any(e.quotas for e in preflight.endpoints):
        return []
    counted = preflight.in_service
    note = f"; {counted.note}" if counted.note else ""
    return [
        f"Quotas: in service counted over {counted.label} ({counted.endpoints} endpoint(s)){note}"
    ]


def _details(change: EndpointChange, preflight: Preflight | None = None) -> list[str]:
    """Human lines under an endpoint: diffs, what a create makes, resources, rollout, peak,
    quotas and cost."""
    lines = []
    if change.desired is not None and change.action in (Action.CREATE, Action.REPLACE):
        lines += _created(change.desired)
    for diff in change.diffs:
        suffix = "  # forces a new endpoint config" if diff.forces_new_config else ""
        lines.append(f"{diff.path}: {diff.before or '(none)'} -> {diff.after or '(none)'}{suffix}")
        if diff.path == "model.data":
            lines += _file_lines(change)
    if change.desired is not None and change.action in (
        Action.CREATE,
        Action.UPDATE,
        Action.REPLACE,
    ):
        lines.append(f"endpoint config {change.desired.config.name}")
        lines.append(f"model {change.desired.model.name} ({change.desired.model.image_uri})")
        if change.desired.artifact.base_image is not None:
            lines.append(f"base image {change.desired.artifact.base_image}")
        if change.desired.artifact.source is not None:
            lines.append(f"source {describe_pin(change.desired.artifact.source)}")
    if change.action is Action.DELETE and change.removed is not None:
        lines += _deleted(change)
    if change.wait_first:
        lines.append(f"currently {change.live_status}: apply waits for it first")
    if change.last_failure is not None:
        lines.append(f"last apply failed: {change.last_failure}")
    lines.extend(f"warning: {warning}" for warning in change.warnings)
    for text in (_rollout_text(change), _peak_text(change)):
        if text:
            lines.append(text)
    lines += _preflight_lines(change, preflight)
    return lines


def render_text(plan: Plan, markup: bool = True) -> str:
    """Terraform-like plan for a terminal; `markup` adds rich colour tags."""
    # Manifest values and AWS messages may hold brackets: never let them read as markup.
    text = escape if markup else str
    out = [f"Plan for env {plan.env}: {summary_line(plan)}."]
    for error in plan.errors:
        out.append(f"error: {text(error)}")
    preflight = plan.preflight
    for line in _exceeded_lines(preflight) if preflight else ():
        out.append(f"[red]warning: {text(line)}[/]" if markup else f"warning: {line}")
    for change in plan.changes:
        symbol, colour = SYMBOLS.get(change.action, ("?", "white"))
        head = f"{symbol} {change.endpoint}  {ACTION_NAMES.get(change.action, 'unknown')}"
        head += f" ({_why(change)})"
        out.append(f"  [{colour}]{text(head)}[/]" if markup else f"  {head}")
        out.extend(f"      {text(line)}" for line in _details(change, preflight))
    if not plan.has_changes and not plan.errors and not plan.orphans:
        out.append("No changes: SageMaker matches git.")
    if preflight is not None and preflight.endpoints:
        out.append(text(_cost_summary(preflight)))
        out.extend(text(line) for line in _counted_line(preflight))
    return "\n".join(out)


# Characters that would let a manifest value end the table or the details block, mention
# someone, or make a link in the PR comment: shown as themselves, never interpreted.
_MD_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "@": "&#64;",
        "[": "\\[",
        "]": "\\]",
        "`": "&#96;",
        "|": "\\|",
        "\n": " ",
        "\r": " ",
    }
)


def _md(text: object) -> str:
    """Text from manifests or AWS, safe inside a table cell or a list item. No side effects."""
    return str(text).translate(_MD_ESCAPES)


def _cost_cell(change: EndpointChange, preflight: Preflight | None) -> str:
    entry = preflight.of(change.endpoint) if preflight is not None else None
    if entry is None:
        return ""
    delta = entry.cost.delta
    return "n/a" if delta is None else _signed_usd(delta)


def render_markdown(plan: Plan, artifact_hint: str = "the full plan in the job's artifacts") -> str:
    """PR comment: a summary table, then a details block per changing endpoint."""
    preflight = plan.preflight
    head = [f"### smgitops plan: `{plan.env}`", "", f"**{summary_line(plan)}**", ""]
    head += [f"> :x: {_md(error)}" for error in plan.errors]
    if preflight is not None and preflight.endpoints:
        for line in _exceeded_lines(preflight):
            head += [f"> :warning: {_md(line)}", ""]
        for line in [_cost_summary(preflight), *_counted_line(preflight)]:
            head += [_md(line), ""]
    rows = [
        "| Endpoint | Action | Why | Peak instances | Cost a month |",
        "|---|---|---|---|---|",
    ]
    rows += [
        f"| `{c.endpoint}` | {ACTION_NAMES.get(c.action, 'unknown')} | "
        f"{_md(_why(c))} | {c.peak_instances if _peak_text(c) else ''} | "
        f"{_md(_cost_cell(c, preflight))} |"
        for c in plan.changes
        if c.is_change or c.action is Action.ORPHAN
    ]
    unchanged = sum(1 for c in plan.changes if not c.is_change)
    body = head + (rows if len(rows) > 2 else ["No changes: SageMaker matches git."])
    if unchanged:
        body += ["", f"{unchanged} endpoint(s) unchanged."]
    text = "\n".join(body)
    blocks = []
    for change in (c for c in plan.changes if c.is_change):
        lines = "\n".join(f"- {_md(line)}" for line in _details(change, preflight))
        manifest = f" ({_md(change.manifest)})" if change.manifest else ""
        blocks.append(
            f"<details><summary><code>{change.endpoint}</code>: "
            f"{ACTION_NAMES.get(change.action, 'unknown')}{manifest}</summary>\n\n{lines}\n\n"
            "</details>"
        )
    shown = []
    size = len(text)
    for index, block in enumerate(blocks):
        if size + len(block) + 200 > MARKDOWN_LIMIT:
            shown.append(
                f"\n… {len(blocks) - index} more endpoint(s) not shown: see {artifact_hint}."
            )
            break
        shown.append(block)
        size += len(block) + 1
    return text + ("\n\n" + "\n".join(shown) if shown else "") + "\n"


def _variants_json(
    variants: tuple[VariantDef, ...], capacity: tuple[Capacity, ...]
) -> list[dict[str, Any]]:
    by_name = {c.variant: c for c in capacity}
    rows = []
    for v in variants:
        live = by_name.get(v.name)
        serverless = v.serverless
        rows.append(
            {
                "name": v.name,
                "instance_type": v.instance_type,
                "instance_count": live.instance_count if live else v.initial_instance_count,
                "weight": live.weight if live else v.initial_weight,
                "serverless": None
                if serverless is None
                else {
                    "memory_size_mb": serverless.memory_size_mb,
                    "max_concurrency": serverless.max_concurrency,
                },
            }
        )
    return rows


def _removed_json(change: EndpointChange) -> dict[str, Any] | None:
    """A delete's or an orphan's live endpoint: what runs now."""
    live = change.removed
    if live is None:
        return None
    config = live.config
    return {
        "endpoint_config": live.config_name,
        "variants": [
            {
                "name": v.name,
                "instance_type": v.instance_type,
                "instance_count": now.instance_count if now else None,
                "weight": now.weight if now else None,
            }
            for v, now in _running(live)
        ],
        "models": [
            {"name": m.name, "image": m.image_uri, "model_data": m.model_data_url}
            for m in (config.models if config else ())
        ],
    }


def _endpoint_preflight_json(
    change: EndpointChange, preflight: Preflight | None
) -> dict[str, Any] | None:
    entry = preflight.of(change.endpoint) if preflight is not None else None
    if entry is None:
        return None
    cost = entry.cost
    return {
        "quotas": [
            {
                "instance_type": q.instance_type,
                "peak": q.peak,
                "now": q.now,
                "more": q.more,
                "quota": q.quota,
                "in_service": q.in_service,
                "free": q.free,
                "exceeds": q.exceeds,
            }
            for q in entry.quotas
        ],
        "monthly_cost": {
            "before_usd": None if cost.delta is None else cost.before,
            "after_usd": None if cost.delta is None else cost.after,
            "delta_usd": cost.delta,
            "unpriced": cost.unpriced,
        },
    }


def _preflight_json(preflight: Preflight | None) -> dict[str, Any] | None:
    if preflight is None:
        return None
    counted = preflight.in_service
    return {
        "region": preflight.region,
        "prices": {
            "date": preflight.prices.date,
            "source": preflight.prices.source,
            "hours_per_month": HOURS_PER_MONTH,
        },
        "in_service": {
            "counted": counted.scope,
            "endpoints": counted.endpoints,
            "note": counted.note,
        },
        "quota_unknown": preflight.quota_unknown,
        "quota_exceeded": [
            {"endpoint": endpoint, "instance_type": q.instance_type}
            for endpoint, q in preflight.exceeded
        ]
        + [
            {"endpoint": None, "instance_type": instance_type}
            for instance_type, *_ in preflight.exceeded_together
        ],
        "monthly_cost_delta_usd": preflight.cost_delta,
        "unpriced": list(preflight.unpriced),
    }


def _change_json(change: EndpointChange, preflight: Preflight | None = None) -> dict[str, Any]:
    desired = change.desired
    rollout = change.rollout
    return {
        "preflight": _endpoint_preflight_json(change, preflight),
        "endpoint": change.endpoint,
        "manifest": change.manifest,
        "action": ACTION_NAMES.get(change.action, "unknown"),
        "reason": REASON_NAMES.get(change.reason, "unknown"),
        "live_status": change.live_status,
        "live_config": change.live_config,
        "wait_first": change.wait_first,
        "peak_instances": change.peak_instances,
        "warnings": list(change.warnings),
        "last_failure": change.last_failure,
        "files": [
            {
                "name": f.name,
                "before": None
                if f.before is None
                else {"sha256": f.before[0], "size": f.before[1]},
                "after": None if f.after is None else {"sha256": f.after[0], "size": f.after[1]},
            }
            for f in change.files
        ],
        "files_unknown": change.files_unknown,
        "renamed_from": change.renamed_from,
        "renamed_to": change.renamed_to,
        "removed": _removed_json(change),
        "desired": None
        if desired is None
        else {
            "endpoint_config": desired.config.name,
            "model": desired.model.name,
            "image": desired.model.image_uri,
            "model_data": desired.model.model_data_url,
            "variants": _variants_json(desired.config.variants, desired.capacity),
            "shadow_variants": _variants_json(desired.config.shadow_variants, ()),
            "environment": dict(desired.spec.environment),
            # Folder models: `model_data` names the tree digest; S3 and registry sources: a pin.
            **(
                {"source": pin_document(desired.artifact.source)}
                if desired.artifact.source is not None
                else {}
            ),
            **(
                {"base_image": desired.artifact.base_image}
                if desired.artifact.base_image is not None
                else {}
            ),
        },
        "rollout": None
        if rollout is None
        else {
            "strategy": rollout.deployment.strategy,
            "step": None
            if rollout.deployment.step is None
            else {"unit": rollout.deployment.step.unit, "value": rollout.deployment.step.value},
            "bake_seconds": rollout.deployment.bake_seconds,
            "rollback_alarms": list(rollout.deployment.rollback_alarms),
            "retain_capacity": rollout.retain_capacity,
            "previous_config": rollout.previous_config,
        },
        "changes": [
            {
                "path": d.path,
                "before": d.before,
                "after": d.after,
                "forces_new_config": d.forces_new_config,
            }
            for d in change.diffs
        ],
        "autoscaling": [
            {
                "action": {
                    ScalingAction.REGISTER: "register",
                    ScalingAction.UPDATE: "update",
                    ScalingAction.DEREGISTER: "deregister",
                }.get(s.action, "unknown"),
                "resource_id": s.resource_id,
            }
            for s in change.scaling
        ],
        "alarms": [
            {
                "action": a.action.value,
                "name": a.name,
                "rule": alarm_text(a.desired) if a.desired else None,
            }
            for a in change.alarms
        ],
    }


def plan_document(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "env": plan.env,
        "has_changes": plan.has_changes,
        "summary": plan.counts(),
        "errors": list(plan.errors),
        "preflight": _preflight_json(plan.preflight),
        "endpoints": [_change_json(c, plan.preflight) for c in plan.changes],
    }


def without_preflight(document: dict[str, Any]) -> dict[str, Any]:
    """A plan document without its preflight (quotas, in-service counts and cost change as
    other envs deploy; apply compares the rest). No side effects."""
    endpoints = document.get("endpoints")
    return {
        **{k: v for k, v in document.items() if k != "preflight"},
        "endpoints": [
            {k: v for k, v in e.items() if k != "preflight"} if isinstance(e, dict) else e
            for e in endpoints
        ]
        if isinstance(endpoints, list)
        else endpoints,
    }


def saved_plan_problem(document: object, env: str) -> str | None:
    """Why `document` is not a plan of env `env` as `render_json` writes it, or None.
    No side effects."""
    if not isinstance(document, dict):
        return "top level: expected an object"
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        return f"format_version: {json.dumps(version)[:20]} (allowed: {FORMAT_VERSION})"
    if document.get("env") != env:
        return f"env: it is a plan of env {json.dumps(document.get('env'))[:40]}, not {env}"
    endpoints = document.get("endpoints")
    if not isinstance(endpoints, list):
        return "endpoints: expected a list"
    return None


def render_json(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2, sort_keys=True) + "\n"
