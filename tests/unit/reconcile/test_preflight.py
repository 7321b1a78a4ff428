"""The plan's preflight, pure: what each change needs of the instance quotas and what it does
to the monthly on-demand bill."""

from __future__ import annotations

import json

import pytest

from smgitops.core.desired import DeploymentSpec, ServerlessSpec, TrafficStep, VariantSpec
from smgitops.core.live import LiveState
from smgitops.core.plan import plan
from smgitops.core.preflight import (
    InService,
    PriceSnapshot,
    Quotas,
    count_in_service,
    needed_types,
    preflight,
    snapshot_from_document,
)
from smgitops.core.report import render_json, render_text
from testkit.values import desired, live_for, spec

PRICES = PriceSnapshot("2026-09-28", "a test", (("us-east-1", "ml.m5.large", 0.115),))
NO_QUOTAS = Quotas()


def _checked(desired_endpoints, live, quotas=NO_QUOTAS, in_service=None):
    result = plan(desired_endpoints, live, env="staging", prune=True)
    counted = in_service or count_in_service(live, desired_endpoints)
    return replace_preflight(result, live, quotas, counted)


def replace_preflight(result, live, quotas, counted):
    from dataclasses import replace

    checked = preflight(
        result, live, region="us-east-1", quotas=quotas, in_service=counted, prices=PRICES
    )
    return replace(result, preflight=checked)


def test_a_create_costs_its_fleet_for_730_hours_and_needs_its_instances_from_the_quota():
    result = _checked([desired()], LiveState(), Quotas((("ml.m5.large", 8),)))
    (entry,) = result.preflight.endpoints
    assert entry.cost.delta == round(2 * 0.115 * 730, 2) == 167.9
    (check,) = entry.quotas
    assert (check.instance_type, check.more, check.free, check.exceeds) == (
        "ml.m5.large",
        2,
        8,
        False,
    )
    text = render_text(result, markup=False)
    assert "cost $0.00 -> $167.90 a month on demand (+$167.90)" in text
    assert "quota ml.m5.large: 2 more at once (2 at the peak), 8 of 8 free" in text
    assert "Monthly on-demand cost: +$167.90 (730 h a month at the us-east-1 prices" in text


def test_a_blue_green_update_over_the_quota_says_so_before_apply_fails():
    before = desired()
    after = desired(sha="b" * 64)
    live = LiveState(endpoints=(live_for(before, with_config=True),))
    result = _checked([after], live, Quotas((("ml.m5.large", 3),)))
    (check,) = result.preflight.endpoints[0].quotas
    # The old fleet (2, in service) and the new one (2) run together: 2 more, 1 free.
    assert (check.peak, check.now, check.more, check.in_service, check.free) == (4, 2, 2, 2, 1)
    text = render_text(result, markup=False)
    assert "warning: quota exceeded: staging-churn needs 2 more ml.m5.large at once, 1 of 3" in text
    assert "(2 in service: this env's endpoints); apply fails with ResourceLimitExceeded" in text
    assert "cost $167.90 -> $167.90 a month on demand (+$0.00)" in text
    document = json.loads(render_json(result))
    assert document["preflight"]["quota_exceeded"] == [
        {"endpoint": "staging-churn", "instance_type": "ml.m5.large"}
    ]
    assert document["endpoints"][0]["preflight"]["quotas"][0]["exceeds"] is True


def test_a_rolling_update_needs_one_batch_more_not_a_whole_fleet():
    rolling = DeploymentSpec(strategy="rolling", step=TrafficStep("instances", 1))
    variants = (VariantSpec(name="primary", instance_type="ml.m5.large", instance_count=4),)
    before = desired(spec(variants=variants, deployment=rolling))
    after = desired(spec(variants=variants, deployment=rolling), sha="b" * 64)
    live = LiveState(endpoints=(live_for(before, with_config=True),))
    result = _checked([after], live, Quotas((("ml.m5.large", 5),)))
    (check,) = result.preflight.endpoints[0].quotas
    assert (check.peak, check.more, check.exceeds) == (5, 1, False)


def test_the_account_count_is_labelled_and_an_unreadable_quota_is_unknown_not_an_error():
    counted = InService((("ml.m5.large", 30),), "account", 12)
    result = _checked(
        [desired()], LiveState(), Quotas(unknown="Service Quotas: AccessDenied"), counted
    )
    text = render_text(result, markup=False)
    assert "ml.m5.large: 2 more at once (2 at the peak); quota unknown (Service Quotas: Acc" in text
    assert "Quotas: in service counted over the whole account (12 endpoint(s))" in text
    assert not result.preflight.exceeded


def test_scale_in_and_delete_save_money_and_need_no_quota():
    live_d = desired()
    smaller = desired(
        spec(variants=(VariantSpec(name="primary", instance_type="ml.m5.large", instance_count=1),))
    )
    # A removed endpoint's config is read (the plan lists what goes), so its types are known.
    live = LiveState(endpoints=(live_for(live_d, with_config=True),), inventory=("staging-churn",))
    (entry,) = _checked([smaller], live).preflight.endpoints
    assert (entry.quotas, entry.cost.delta) == ((), -83.95)
    deleted = _checked([], live).preflight
    assert (
        deleted.cost_delta == -167.9
        and needed_types(plan([], live, env="staging", prune=True), live) == ()
    )


def test_serverless_and_unpriced_types_show_n_a_and_stay_out_of_the_total():
    serverless = desired(
        spec("sls", variants=(VariantSpec(name="primary", serverless=ServerlessSpec(2048, 5)),))
    )
    gpu = desired(
        spec(
            "gpu",
            variants=(VariantSpec(name="primary", instance_type="ml.g5.xlarge", instance_count=1),),
        )
    )
    result = _checked([serverless, gpu, desired()], LiveState())
    text = render_text(result, markup=False)
    assert "cost n/a (serverless: billed per request, not per hour)" in text
    assert (
        "cost n/a (no price for ml.g5.xlarge in us-east-1 in the price snapshot of 2026-09-28)"
        in text
    )
    assert result.preflight.cost_delta == 167.9
    assert "n/a for staging-gpu, staging-sls" in text


def test_changes_that_fit_alone_can_exceed_the_quota_together():
    one, two = desired(spec("one")), desired(spec("two"))
    result = _checked([one, two], LiveState(), Quotas((("ml.m5.large", 3),)))
    assert not result.preflight.exceeded
    assert result.preflight.exceeded_together == (("ml.m5.large", 4, 3, 3),)
    assert "the changes together need 4 more ml.m5.large at once, 3 of 3 free" in render_text(
        result, markup=False
    )


def test_a_plan_without_changes_reads_no_quota():
    d = desired()
    live = LiveState(endpoints=(live_for(d),))
    assert needed_types(plan([d], live, env="staging", prune=True), live) == ()


@pytest.mark.parametrize(
    "document",
    [
        {"date": "2026-01-01", "source": "x", "prices": {"us-east-1": {"ml.m5.large": 0}}},
        {"date": "2026-01-01", "source": "x", "prices": {"us-east-1": {"ml.m5.large": "0.1"}}},
        {"date": "2026-01-01", "prices": {}},
    ],
)
def test_a_malformed_snapshot_is_refused(document):
    with pytest.raises(ValueError):
        snapshot_from_document(document)
