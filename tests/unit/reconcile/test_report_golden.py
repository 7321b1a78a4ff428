"""The whole plan a reviewer reads, as text and as the PR comment, compared with files checked
in beside this test: a create, an update with its files, a rename, a deployment-only change and
owned alarms changed by hand, with their preflight (a create over its GPU quota and without a
price, changes that fit their quota alone but not together, each change's monthly cost). Set
SMGITOPS_UPDATE_GOLDEN=1 to rewrite them after a deliberate change, and review their diff like
any other."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from smgitops.core import naming
from smgitops.core.desired import (
    AlarmSpec,
    DeploymentSpec,
    TrafficStep,
    VariantSpec,
)
from smgitops.core.live import LiveAlarm, LiveState
from smgitops.core.plan import Action, FileChange, plan
from smgitops.core.preflight import InService, PriceSnapshot, Quotas, count_in_service, preflight
from smgitops.core.report import render_markdown, render_text
from testkit.values import AUTOSCALING, desired, live_for, spec

GOLDEN = Path(__file__).parent / "golden"
CANARY = DeploymentSpec(
    strategy="canary",
    step=TrafficStep("instances", 1),
    bake_seconds=300,
    rollback_alarms=("team-5xx",),
)
PRICES = PriceSnapshot(
    "2026-09-28", "AWS Price List API (a test's copy)", (("us-east-1", "ml.m5.large", 0.115),)
)
FIVE_XX = AlarmSpec(name="5xx", metric="Invocation5XXErrors", threshold=0, statistic="Sum")


def _plan():
    big = desired(
        spec(
            "big",
            variants=(
                VariantSpec(name="primary", instance_type="ml.g5.12xlarge", instance_count=3),
            ),
            autoscaling=AUTOSCALING,
            deployment=CANARY,
            alarms=(FIVE_XX,),
        )
    )
    churn_before = desired(spec("churn"))
    churn_after = desired(spec("churn"), sha="b" * 64)
    renamed = desired(spec("scorer-v2", manifest_path="deployments/staging/scorer.yaml"))
    old_scorer = desired(spec("scorer"))
    guarded = desired(spec("guarded", deployment=CANARY))
    watched = desired(spec("watched", alarms=(FIVE_XX,)))
    live = LiveState(
        endpoints=(
            live_for(churn_before, with_config=True),
            live_for(
                old_scorer,
                with_config=True,
                tags=naming.ownership_tags("staging", "deployments/staging/scorer.yaml", "abc123"),
            ),
            live_for(guarded, tags=(*live_for(guarded).tags, (naming.TAG_ROLLOUT, "0" * 12))),
            live_for(watched),
        ),
        inventory=("staging-churn", "staging-guarded", "staging-scorer", "staging-watched"),
        owned_alarms=(
            LiveAlarm(
                name="smgitops/staging/staging-watched/primary/5xx",
                metric="Invocation5XXErrors",
                statistic="Sum",
                threshold=100.0,
                period_s=60,
                evaluation_periods=1,
                dimensions=(("EndpointName", "staging-watched"), ("VariantName", "primary")),
            ),
        ),
        alarms=frozenset({"team-5xx"}),
    )
    result = plan([big, churn_after, renamed, guarded, watched], live, env="staging", prune=True)
    # As reconcile adds them from git: the files the update's new tarball changes.
    files = (FileChange("code/inference.py", ("1" * 64, 912), ("2" * 64, 1240)),)
    result = replace(
        result,
        changes=tuple(
            replace(c, files=files) if c.action is Action.UPDATE else c for c in result.changes
        ),
    )
    # As `smgitops plan` adds it: quotas from Service Quotas, this env's instances in service.
    in_service = count_in_service(live, [big, churn_after, renamed, guarded, watched])
    checked = preflight(
        result,
        live,
        region="us-east-1",
        quotas=Quotas((("ml.g5.12xlarge", 2), ("ml.m5.large", 10))),
        in_service=InService(in_service.counts, "env", in_service.endpoints),
        prices=PRICES,
    )
    return replace(result, preflight=checked)


def _compare(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SMGITOPS_UPDATE_GOLDEN"):
        path.write_text(rendered)
    assert rendered == path.read_text(), f"{name} changed: review it, then update the golden file"


def test_the_text_plan_is_as_reviewed():
    _compare("plan.txt", render_text(_plan(), markup=False) + "\n")


def test_the_markdown_plan_is_as_reviewed():
    _compare("plan.md", render_markdown(_plan()) + "\n")
