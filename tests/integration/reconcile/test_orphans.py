"""A managed endpoint whose manifest left git, in an env that does not prune: plan shows it as
an orphan, drift reports it, apply leaves it serving."""

from __future__ import annotations

import json

import boto3
import pytest

from testkit.scratch import ENV_YAML

pytestmark = pytest.mark.integration


def test_an_orphan_is_shown_by_plan_reported_by_drift_and_kept_by_apply(deployed):
    deployed.write("deployments/staging/_env.yaml", ENV_YAML.replace("prune: true", "prune: false"))
    (deployed.root / "deployments/staging/scorer.yaml").unlink()

    planned = deployed.run("plan", "--env", "staging", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output  # nothing for apply to do
    text = " ".join(planned.output.split())
    assert "0 to create, 0 to update, 0 to delete, 1 orphan(s) kept (prune off)" in text
    assert "? staging-scorer orphan (prune off: no manifest in git, kept running" in text
    document = json.loads(deployed.run("plan", "--env", "staging", "--format", "json").stdout)
    assert [e["action"] for e in document["endpoints"]] == ["orphan"]

    drift = deployed.run("drift", "--env", "staging")
    assert drift.exit_code == 2
    assert "drift detected in staging" in drift.output

    applied = deployed.run("apply", "--env", "staging", "--yes")
    assert applied.exit_code == 0, applied.output
    status = boto3.client("sagemaker").describe_endpoint(EndpointName="staging-scorer")
    assert status["EndpointStatus"] == "InService"
