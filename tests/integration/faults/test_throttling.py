"""A share of AWS calls answered ThrottlingException / S3 SlowDown: apply still converges, and
retries never create a resource twice."""

from __future__ import annotations

import boto3
import pytest

from testkit.faults import lock_objects
from testkit.scratch import manifest

BUCKET = "smgitops-test-artifacts"
NAMES = ("scorer", "second", "third")


def _predictions(repo) -> list[float]:
    return [repo.predict(name) for name in NAMES]


@pytest.mark.slow  # retries back off for real: about 30 s
def test_apply_under_throttling_converges_without_duplicates(repo, aws):
    for name in NAMES[1:]:
        repo.write(f"deployments/staging/{name}.yaml", manifest(name=name))
    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    aws.configure(throttle_rate=0.2, seed=7)  # 30% with 10 endpoints: bench/faults.py

    created = repo.run("apply", "--env", "staging", "--yes")
    assert created.exit_code == 0, created.output

    throttled = {c.service for c in aws.calls() if c.throttled}
    assert {"sagemaker", "s3"} <= throttled
    aws.configure(throttle_rate=0.0)
    assert repo.run("plan", "--env", "staging", "--detailed-exitcode").exit_code == 0
    assert _predictions(repo) == [6.0, 6.0, 6.0]
    sm = boto3.client("sagemaker")
    assert len(sm.list_endpoints()["Endpoints"]) == 3
    assert len(sm.list_endpoint_configs()["EndpointConfigs"]) == 3  # one per endpoint
    assert len(sm.list_models()["Models"]) == 3
    assert lock_objects(BUCKET) == []
