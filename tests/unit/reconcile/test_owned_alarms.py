"""Owned CloudWatch alarms: the plan creates, updates and deletes them as it does autoscaling,
and the guardrails watch the ones marked rollback."""

from __future__ import annotations

from dataclasses import replace

from smgitops.core.desired import AlarmSpec, DeploymentSpec, TrafficStep, VariantSpec
from smgitops.core.live import LiveAlarm, LiveState
from smgitops.core.plan import Action, AlarmAction, Reason, plan
from smgitops.core.report import render_text
from testkit.values import desired, live_for, spec

FIVE_XX = AlarmSpec(name="5xx", metric="Invocation5XXErrors", threshold=0, statistic="Sum")
LATENCY = AlarmSpec(
    name="slow", metric="ModelLatency", threshold=500_000, statistic="Average", rollback=False
)
NAME_5XX = "smgitops/staging/staging-churn/primary/5xx"


def _live_alarm(name=NAME_5XX, threshold=0.0, endpoint="staging-churn"):
    return LiveAlarm(
        name=name,
        metric="Invocation5XXErrors",
        statistic="Sum",
        threshold=threshold,
        period_s=60,
        evaluation_periods=1,
        dimensions=(("EndpointName", endpoint), ("VariantName", "primary")),
    )


def _one(result):
    (change,) = result.changes
    return change


def test_a_new_endpoint_lists_its_alarms_one_per_variant_and_creates_them():
    two_variants = (
        VariantSpec(name="primary", instance_type="ml.m5.large", instance_count=2),
        VariantSpec(name="canary", instance_type="ml.m5.large", instance_count=1, weight=0),
    )
    endpoint = desired(spec(variants=two_variants, alarms=(FIVE_XX, LATENCY)))

    change = _one(plan([endpoint], LiveState(), env="staging", prune=True))

    assert change.action is Action.CREATE
    assert sorted(a.name for a in change.alarms) == [
        "smgitops/staging/staging-churn/canary/5xx",
        "smgitops/staging/staging-churn/canary/slow",
        NAME_5XX,
        "smgitops/staging/staging-churn/primary/slow",
    ]
    assert {a.action for a in change.alarms} == {AlarmAction.PUT}
    text = render_text(plan([endpoint], LiveState(), env="staging", prune=True), markup=False)
    assert f"alarm {NAME_5XX}: Invocation5XXErrors Sum > 0 for 1 x 60s, rollback alarm" in text
    assert (
        "alarm smgitops/staging/staging-churn/primary/slow: "
        "ModelLatency Average > 500000 for 1 x 60s\n" in text + "\n"
    )


def test_the_guardrails_watch_the_manifests_alarms_and_the_owned_rollback_ones():
    canary = DeploymentSpec(
        strategy="canary", step=TrafficStep("instances", 1), rollback_alarms=("team-alarm",)
    )
    before = desired(spec(alarms=(FIVE_XX, LATENCY)))
    after = desired(spec(alarms=(FIVE_XX, LATENCY), deployment=canary), sha="b" * 64)
    live = LiveState(
        endpoints=(live_for(before, with_config=True),),
        owned_alarms=(_live_alarm(), replace(_live_alarm(), name=NAME_5XX.replace("5xx", "slow"))),
        alarms=frozenset({"team-alarm"}),
    )

    change = _one(plan([after], live, env="staging", prune=True))

    assert change.action is Action.UPDATE
    assert change.rollout.deployment.rollback_alarms == ("team-alarm", NAME_5XX)


def test_an_alarm_changed_outside_git_is_drift_put_back_without_touching_the_endpoint():
    endpoint = desired(spec(alarms=(FIVE_XX,)))
    live = LiveState(endpoints=(live_for(endpoint),), owned_alarms=(_live_alarm(threshold=50.0),))

    change = _one(plan([endpoint], live, env="staging", prune=True))

    assert (change.action, change.reason) == (Action.UPDATE_ALARMS, Reason.ALARMS_CHANGED)
    (diff,) = change.diffs
    assert diff.path == "alarms[primary/5xx]"
    assert (diff.before, diff.after) == (
        "Invocation5XXErrors Sum > 50 for 1 x 60s",
        "Invocation5XXErrors Sum > 0 for 1 x 60s",
    )


def test_alarms_removed_from_the_manifest_are_deleted_and_others_endpoints_are_left():
    endpoint = desired(spec())
    others = _live_alarm(
        name="smgitops/staging/staging-other/primary/5xx", endpoint="staging-other"
    )
    live = LiveState(endpoints=(live_for(endpoint),), owned_alarms=(_live_alarm(), others))

    change = _one(plan([endpoint], live, env="staging", prune=True))

    assert change.action is Action.UPDATE_ALARMS
    assert [(a.action, a.name) for a in change.alarms] == [(AlarmAction.DELETE, NAME_5XX)]


def test_a_pruned_endpoint_takes_its_alarms_with_it():
    endpoint = desired(spec(alarms=(FIVE_XX,)))
    live = LiveState(
        endpoints=(live_for(endpoint),),
        inventory=("staging-churn",),
        owned_alarms=(_live_alarm(),),
    )

    change = _one(plan([], live, env="staging", prune=True))

    assert change.action is Action.DELETE
    assert [(a.action, a.name) for a in change.alarms] == [(AlarmAction.DELETE, NAME_5XX)]
    assert f"alarm {NAME_5XX}: deleted" in render_text(
        plan([], live, env="staging", prune=True), markup=False
    )
