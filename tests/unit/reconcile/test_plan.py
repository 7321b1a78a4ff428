"""The planner is pure: every case here is plain values in, a plan out, no AWS."""

from __future__ import annotations

from dataclasses import replace

import pytest

from smgitops.core import naming
from smgitops.core.desired import (
    BaseImageSpec,
    DeploymentSpec,
    SmokeTestSpec,
    TrafficStep,
    VariantSpec,
    pairs,
)
from smgitops.core.live import LiveScaling, LiveState, LiveVariant, ModelDataCheck
from smgitops.core.plan import Action, Reason, ScalingAction, plan
from testkit.values import AUTOSCALING, IMAGE, desired, live_for, spec

NOTHING_LIVE = LiveState()


def _plan(desired_endpoints, live=NOTHING_LIVE, prune=True):
    return plan(desired_endpoints, live, env="staging", prune=prune)


def test_new_manifest_plans_a_create_with_its_fleet_size():
    result = _plan([desired()])
    (change,) = result.changes
    assert (change.action, change.reason) == (Action.CREATE, Reason.NOT_FOUND)
    assert change.peak_instances == 2
    assert result.counts() == {"create": 1, "update": 0, "delete": 0}


def test_unchanged_manifest_plans_no_calls():
    d = desired()
    result = _plan([d], LiveState(endpoints=(live_for(d),)))
    assert not result.has_changes
    assert result.changes[0].reason is Reason.UP_TO_DATE


@pytest.mark.parametrize(
    "changed",
    [
        {"sha": "b" * 64},
        {"image": IMAGE.replace("demo-aaaaaaaaaaaa", "demo-bbbbbbbbbbbb")},
        {"endpoint_spec": spec(environment=pairs({"LOG_LEVEL": "debug"}))},
    ],
    ids=["model data", "image", "environment"],
)
def test_every_model_input_renames_the_model_and_its_config(changed):
    before, after = desired(), desired(**changed)
    assert after.model.name != before.model.name
    assert after.config.name != before.config.name
    assert after.model.name.startswith("staging-churn-")


def test_instance_type_renames_the_config_but_not_the_model():
    bigger = (VariantSpec(name="primary", instance_type="ml.m5.xlarge", instance_count=2),)
    before, after = desired(), desired(spec(variants=bigger))
    assert after.model.name == before.model.name
    assert after.config.name != before.config.name


def test_counts_and_weights_keep_every_name():
    resized = (
        VariantSpec(name="primary", instance_type="ml.m5.large", instance_count=5, weight=3),
    )
    before, after = desired(), desired(spec(variants=resized))
    assert (after.model.name, after.config.name) == (before.model.name, before.config.name)


def test_new_model_data_forces_a_new_config_and_says_which_field():
    before = desired(sha="a" * 64)
    after = desired(sha="b" * 64)
    live = LiveState(endpoints=(live_for(before, with_config=True),))
    (change,) = _plan([after], live).changes
    assert (change.action, change.reason) == (Action.UPDATE, Reason.CONFIG_CHANGED)
    assert change.forced_paths == ("model.data",)
    assert change.rollout.previous_config == before.config.name
    # blue/green: old fleet and new fleet run together for a moment
    assert change.peak_instances == 4


def test_a_tarball_moving_to_the_current_packaging_says_so():
    before = desired()  # a key of the first packaging format: models/churn/<sha256>/
    after = desired(sha="c" * 64, packaging=naming.PACKAGING_FORMAT)
    live = LiveState(endpoints=(live_for(before, with_config=True),))
    (change,) = _plan([after], live).changes
    assert (change.action, change.reason) == (Action.UPDATE, Reason.PACKAGING_CHANGED)


def test_new_content_in_the_current_packaging_is_an_ordinary_config_change():
    before = desired(sha="b" * 64, packaging=naming.PACKAGING_FORMAT)
    after = desired(sha="c" * 64, packaging=naming.PACKAGING_FORMAT)
    live = LiveState(endpoints=(live_for(before, with_config=True),))
    (change,) = _plan([after], live).changes
    assert (change.action, change.reason) == (Action.UPDATE, Reason.CONFIG_CHANGED)


@pytest.mark.parametrize(
    ("state", "reason"),
    [("missing", Reason.MODEL_DATA_MISSING), ("altered", Reason.MODEL_DATA_ALTERED)],
)
def test_broken_live_model_data_is_a_repair_of_an_otherwise_unchanged_endpoint(state, reason):
    d = desired()
    checks = (ModelDataCheck(d.model.model_data_url, state),)
    live = LiveState(endpoints=(live_for(d),), model_data=checks)
    (change,) = _plan([d], live).changes
    assert (change.action, change.reason) == (Action.REPAIR, reason)
    assert _plan([d], live).counts() == {"create": 0, "update": 1, "delete": 0}


def test_broken_data_of_a_config_being_replaced_is_a_warning_on_the_update():
    before, after = desired(), desired(sha="b" * 64)
    live_endpoint = live_for(before, with_config=True)
    checks = (ModelDataCheck(before.model.model_data_url, "missing"),)
    (change,) = _plan([after], LiveState(endpoints=(live_endpoint,), model_data=checks)).changes
    assert change.action is Action.UPDATE
    assert change.warnings == (
        f"the live config's model data {before.model.model_data_url} is missing: until this "
        "update completes, SageMaker cannot start more instances of it",
    )


def test_intact_live_model_data_stays_a_no_op():
    d = desired()
    checks = (ModelDataCheck(d.model.model_data_url, "verified"),)
    (change,) = _plan([d], LiveState(endpoints=(live_for(d),), model_data=checks)).changes
    assert change.action is Action.NOOP and change.warnings == ()


def test_environment_change_is_reported_per_key():
    before = desired()
    after = desired(spec(environment=pairs({"LOG_LEVEL": "debug"})))
    live = LiveState(endpoints=(live_for(before, with_config=True),))
    (change,) = _plan([after], live).changes
    assert [(d.path, d.before, d.after) for d in change.diffs] == [
        ("environment.LOG_LEVEL", "info", "debug")
    ]


def test_instance_count_change_only_updates_capacity_without_a_new_fleet():
    before = desired()
    three = (VariantSpec(name="primary", instance_type="ml.m5.large", instance_count=3),)
    after = desired(spec(variants=three))
    assert after.config.name == before.config.name  # counts are not part of the config
    (change,) = _plan([after], LiveState(endpoints=(live_for(before),))).changes
    assert (change.action, change.reason) == (Action.UPDATE_CAPACITY, Reason.CAPACITY_CHANGED)
    assert [(d.path, d.before, d.after) for d in change.diffs] == [
        ("variants[primary].instanceCount", "2", "3")
    ]
    assert change.peak_instances == 3


def test_instance_type_change_forces_a_new_config():
    before = desired()
    bigger = (VariantSpec(name="primary", instance_type="ml.m5.xlarge", instance_count=2),)
    after = desired(spec(variants=bigger))
    live = LiveState(endpoints=(live_for(before, with_config=True),))
    (change,) = _plan([after], live).changes
    assert change.action is Action.UPDATE
    assert change.forced_paths == ("variants[primary].instanceType",)


def test_autoscaled_instance_count_is_not_a_change():
    d = desired(spec(autoscaling=AUTOSCALING))
    scaled_out = live_for(d, variants=(LiveVariant("primary", 4, 1.0),))
    scaling = LiveScaling(
        "endpoint/staging-churn/variant/primary",
        1,
        4,
        d.scaling[0].policy_name,
        d.scaling[0].metric,
        200.0,
        300,
        60,
    )
    result = _plan([d], LiveState(endpoints=(scaled_out,), scaling=(scaling,)))
    assert not result.has_changes


def test_update_under_autoscaling_retains_scaled_capacity():
    before = desired(spec(autoscaling=AUTOSCALING))
    after = desired(spec(autoscaling=AUTOSCALING), sha="c" * 64)
    scaled_out = live_for(before, with_config=True, variants=(LiveVariant("primary", 4, 1.0),))
    (change,) = _plan([after], LiveState(endpoints=(scaled_out,))).changes
    assert change.rollout.retain_capacity is True
    assert change.peak_instances == 8  # 4 scaled-out instances, twice, during blue/green


def test_explicit_retain_false_resets_capacity_to_the_manifest():
    deployment = DeploymentSpec(retain_scaled_capacity=False)
    before = desired(spec(autoscaling=AUTOSCALING, deployment=deployment))
    after = desired(spec(autoscaling=AUTOSCALING, deployment=deployment), sha="c" * 64)
    live = live_for(before, with_config=True)
    (change,) = _plan([after], LiveState(endpoints=(live,))).changes
    assert change.rollout.retain_capacity is False


def test_rolling_update_peak_adds_one_batch_not_a_whole_fleet():
    rolling = DeploymentSpec(strategy="rolling", step=TrafficStep("percent", 25))
    four = (VariantSpec(name="primary", instance_type="ml.m5.large", instance_count=4),)
    before = desired(spec(variants=four, deployment=rolling))
    after = desired(spec(variants=four, deployment=rolling), sha="d" * 64)
    (change,) = _plan([after], LiveState(endpoints=(live_for(before, with_config=True),))).changes
    assert change.peak_instances == 5


def test_failed_endpoint_is_replaced_with_the_failure_reason_shown():
    d = desired()
    broken = live_for(d, status="Failed", failure_reason="ping health check failed")
    (change,) = _plan([d], LiveState(endpoints=(broken,))).changes
    assert (change.action, change.reason) == (Action.REPLACE, Reason.ENDPOINT_FAILED)
    assert "ping health check failed" in change.diffs[0].before
    assert _plan([d], LiveState(endpoints=(broken,))).counts() == {
        "create": 1,
        "update": 0,
        "delete": 1,
    }


def test_endpoint_mid_update_is_waited_on_not_raced():
    before = desired()
    after = desired(sha="e" * 64)
    updating = live_for(before, status="Updating", with_config=True)
    (change,) = _plan([after], LiveState(endpoints=(updating,))).changes
    assert change.action is Action.UPDATE
    assert change.wait_first is True


def test_someone_elses_endpoint_with_our_name_is_a_plan_error_not_a_change():
    d = desired()
    foreign = live_for(d, tags=(("team", "other"),))
    result = _plan([d], LiveState(endpoints=(foreign,)))
    assert result.changes == ()
    assert "not managed by smgitops" in result.errors[0]


def test_removed_manifest_is_deleted_only_when_the_env_prunes():
    d = desired()
    live = LiveState(endpoints=(live_for(d),), inventory=(d.name,))
    (change,) = _plan([], live, prune=True).changes
    assert (change.action, change.reason) == (Action.DELETE, Reason.REMOVED_FROM_GIT)
    kept_plan = _plan([], live, prune=False)
    (kept,) = kept_plan.changes
    assert (kept.action, kept.reason) == (Action.ORPHAN, Reason.PRUNE_DISABLED)
    assert kept_plan.orphans == (kept,) and not kept_plan.has_changes


def test_untagged_leftover_is_never_deleted():
    d = desired()
    foreign = live_for(d, tags=())
    result = _plan([], LiveState(endpoints=(foreign,), inventory=(d.name,)), prune=True)
    assert result.changes == ()


def test_new_autoscaling_registers_targets_without_touching_the_fleet():
    before = desired()
    after = desired(spec(autoscaling=AUTOSCALING))
    (change,) = _plan([after], LiveState(endpoints=(live_for(before),))).changes
    assert (change.action, change.reason) == (Action.UPDATE_SCALING, Reason.SCALING_CHANGED)
    assert [s.action for s in change.scaling] == [ScalingAction.REGISTER]


def test_removed_autoscaling_is_deregistered():
    d = desired()
    leftover = LiveScaling("endpoint/staging-churn/variant/primary", 1, 4)
    (change,) = _plan([d], LiveState(endpoints=(live_for(d),), scaling=(leftover,))).changes
    assert [s.action for s in change.scaling] == [ScalingAction.DEREGISTER]


def test_plan_is_sorted_by_endpoint_name():
    names = ["zeta", "alpha", "mid"]
    result = _plan([desired(spec(n)) for n in names])
    assert [c.endpoint for c in result.changes] == [
        "staging-alpha",
        "staging-mid",
        "staging-zeta",
    ]


def test_weight_change_is_capacity_only():
    two_variants = (
        VariantSpec(name="a", instance_type="ml.m5.large", instance_count=1, weight=1),
        VariantSpec(name="b", instance_type="ml.m5.large", instance_count=1, weight=1),
    )
    before = desired(spec(variants=two_variants))
    shifted = tuple(replace(v, weight=3 if v.name == "b" else 1) for v in two_variants)
    after = desired(spec(variants=shifted))
    (change,) = _plan([after], LiveState(endpoints=(live_for(before),))).changes
    assert change.action is Action.UPDATE_CAPACITY
    assert [(x.path, x.before, x.after) for x in change.diffs] == [("variants[b].weight", "1", "3")]


SMOKE = SmokeTestSpec(content_type="text/csv", body=b"1,2,3")


def test_live_config_whose_smoke_test_never_passed_is_verified():
    d = desired(spec(smoke_test=SMOKE))
    untested = live_for(d)  # an apply stopped between the update and its smoke test
    tested_other = live_for(d, tags=(*untested.tags, (naming.TAG_SMOKE_TESTED, "older-config")))

    for live in (untested, tested_other):
        result = _plan([d], LiveState(endpoints=(live,)))
        (change,) = result.changes
        assert (change.action, change.reason) == (Action.VERIFY, Reason.SMOKE_TEST_PENDING)
        assert result.has_changes


def test_live_config_that_passed_its_smoke_test_is_up_to_date():
    d = desired(spec(smoke_test=SMOKE))
    live = live_for(d)
    tested = replace(live, tags=(*live.tags, (naming.TAG_SMOKE_TESTED, d.config.name)))

    (change,) = _plan([d], LiveState(endpoints=(tested,))).changes

    assert change.action is Action.NOOP


def test_endpoint_without_a_smoke_test_is_never_verified():
    d = desired()

    (change,) = _plan([d], LiveState(endpoints=(live_for(d),))).changes

    assert change.action is Action.NOOP


def test_gpu_instances_with_the_cpu_only_image_are_a_warning_not_an_error():
    gpu = spec(variants=(VariantSpec(name="primary", instance_type="ml.g5.xlarge"),))

    (change,) = _plan([desired(gpu)]).changes

    assert change.action is Action.CREATE
    (warning,) = change.warnings
    assert warning.startswith("variant primary runs on ml.g5.xlarge (1 NVIDIA-A10G)")
    assert "CPU-only" in warning
    (cpu,) = _plan([desired(spec())]).changes
    assert cpu.warnings == ()
    dlc = replace(gpu, base_image=BaseImageSpec("pytorch", "2.0.0", "py310", "gpu"))
    (on_cuda,) = _plan([desired(dlc)]).changes
    assert on_cuda.warnings == ()
