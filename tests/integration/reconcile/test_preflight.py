"""The plan's preflight against the emulator: the quota knob is what Service Quotas lists and
what CreateEndpoint enforces, so a plan that says a change goes over the quota is one whose
apply fails on it; the plan names what it counted and what the change costs a month."""

from __future__ import annotations

import json

import pytest

from testkit.scratch import manifest

pytestmark = pytest.mark.integration


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_a_plan_over_the_quota_says_so_and_apply_then_fails_on_it(deployed, aws):
    aws.configure(instance_quotas={"ml.m5.large": 2})  # one of two held by staging-scorer
    deployed.write("deployments/staging/second.yaml", manifest(name="second", count=2))

    planned = deployed.run("plan", "--env", "staging")
    assert planned.exit_code == 0, planned.output
    text = _flat(planned.stdout)
    assert (
        "warning: quota exceeded: staging-second needs 2 more ml.m5.large at once, 1 of 2 free"
        in text
    )
    assert (
        "EXCEEDED: 2 more at once (2 at the peak), 1 of 2 free (1 in service: the whole account)"
        in text
    )
    assert "Quotas: in service counted over the whole account (1 endpoint(s))" in text
    assert "cost $0.00 -> $167.90 a month on demand (+$167.90)" in text
    assert "Monthly on-demand cost: +$167.90 (730 h a month at the us-east-1 prices of" in text

    applied = deployed.run("apply", "--env", "staging", "--yes")
    assert applied.exit_code == 1
    assert "staging-second: quota_exceeded" in applied.output

    aws.configure(instance_quotas={"ml.m5.large": 3})  # raised: the plan sees the room
    again = deployed.run("plan", "--env", "staging", "--format", "json")
    document = json.loads(again.stdout)
    (second,) = [e for e in document["endpoints"] if e["endpoint"] == "staging-second"]
    assert second["preflight"]["quotas"][0] == {
        "instance_type": "ml.m5.large",
        "peak": 2,
        "now": 0,
        "more": 2,
        "quota": 3,
        "in_service": 1,
        "free": 2,
        "exceeds": False,
    }
    assert document["preflight"]["in_service"]["counted"] == "account"


def test_without_a_quota_listed_the_plan_says_unknown_and_its_saved_plan_applies(deployed, aws):
    deployed.write("deployments/staging/second.yaml", manifest(name="second", count=1))

    planned = deployed.run("plan", "--env", "staging", "--out", "plan.json")
    assert planned.exit_code == 0, planned.output
    assert "quota unknown (Service Quotas lists no such quota)" in _flat(planned.stdout)
    aws.configure(instance_quotas={"ml.m5.large": 9})  # the preflight moves; the plan does not
    applied = deployed.run("apply", "--env", "staging", "--plan", "plan.json")
    assert applied.exit_code == 0, applied.output
