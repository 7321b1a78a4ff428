"""Alarms a manifest declares are created, tagged and owned: the canary watches them, drift
sees them changed by hand, and they leave with their endpoint."""

from __future__ import annotations

import boto3

from testkit.scratch import manifest

OWNED = "smgitops/staging/staging-scorer/primary/5xx"
ALARMS = """\
  alarms:
    - name: 5xx
      metric: Invocation5XXErrors
      threshold: 0
  deployment:
    strategy: canary
    canary: {percent: 50}
"""


def _with_alarms(text: str) -> str:
    return text.replace("  smokeTest:\n", ALARMS + "  smokeTest:\n")


def _owned() -> dict[str, dict]:
    pages = boto3.client("cloudwatch").get_paginator("describe_alarms")
    found = {}
    for page in pages.paginate(AlarmNamePrefix="smgitops/staging/"):
        found |= {a["AlarmName"]: a for a in page["MetricAlarms"]}
    return found


def test_owned_alarms_are_created_watched_kept_in_line_and_pruned(deployed, aws):
    deployed.write("deployments/staging/scorer.yaml", _with_alarms(manifest()))
    deployed.set_weight(2.0)  # an update, which the canary guards with the owned alarm

    planned = deployed.run("plan", "--env", "staging").stdout
    assert "alarms[primary/5xx]: (none) -> Invocation5XXErrors Sum > 0 for 1 x 60s" in planned
    assert f"rollback on alarms {OWNED}" in planned
    applied = deployed.run("apply", "--env", "staging", "--yes")

    assert applied.exit_code == 0, applied.output
    alarm = _owned()[OWNED]
    assert (alarm["MetricName"], alarm["Namespace"], alarm["Threshold"]) == (
        "Invocation5XXErrors",
        "AWS/SageMaker",
        0.0,
    )
    assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == {
        "EndpointName": "staging-scorer",
        "VariantName": "primary",
    }
    tags = boto3.client("cloudwatch").list_tags_for_resource(ResourceARN=alarm["AlarmArn"])
    assert {"Key": "smgitops:env", "Value": "staging"} in tags["Tags"]
    assert deployed.predict() == 12.0

    # Changed by hand: drift says so, and the next apply puts git's rule back.
    boto3.client("cloudwatch").put_metric_alarm(
        **{k: alarm[k] for k in ("AlarmName", "Namespace", "MetricName", "Dimensions")},
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=100.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    drift = deployed.run("drift", "--env", "staging")
    assert drift.exit_code == 2, drift.output
    assert "update_alarms" in drift.output
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    assert _owned()[OWNED]["Threshold"] == 0.0
    assert deployed.run("drift", "--env", "staging").exit_code == 0

    # The manifest goes (prune is on): the endpoint and its alarm go together.
    (deployed.root / "deployments/staging/scorer.yaml").unlink()
    removed = deployed.run("apply", "--env", "staging", "--yes")
    assert removed.exit_code == 0, removed.output
    assert _owned() == {}
