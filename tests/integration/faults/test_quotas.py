"""An instance quota too small for the plan: ResourceLimitExceeded named, with what was needed."""

from __future__ import annotations

import json

from testkit.faults import count, lock_objects
from testkit.scratch import manifest

BUCKET = "smgitops-test-artifacts"


def test_blue_green_update_over_the_quota_names_it_and_the_instances_needed(repo, aws):
    repo.write("deployments/staging/scorer.yaml", manifest(count=2))
    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    assert repo.run("apply", "--env", "staging", "--yes").exit_code == 0
    aws.configure(instance_quotas={"ml.m5.large": 3})  # room for one fleet of 2, not two
    repo.set_weight(2.0)

    result = repo.run("apply", "--env", "staging", "--yes")

    assert result.exit_code == 1
    assert "staging-scorer: quota_exceeded" in result.output
    assert "'ml.m5.large for endpoint usage' is 3 Instances" in result.output
    assert "this change needs 4 instances at once: blue/green runs the old and new fleets" in (
        result.output
    )
    assert "Traceback" not in result.output
    assert repo.predict() == 6.0
    assert lock_objects(BUCKET) == []

    aws.configure(instance_quotas={"ml.m5.large": 4})  # the quota was raised
    assert repo.run("apply", "--env", "staging", "--yes").exit_code == 0
    assert repo.predict() == 12.0


def test_new_endpoint_over_the_quota_is_never_created(repo, aws):
    repo.write("deployments/staging/scorer.yaml", manifest(count=5))
    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    aws.configure(instance_quotas={"ml.m5.large": 4})

    result = repo.run("apply", "--env", "staging", "--yes")

    assert result.exit_code == 1
    assert "current utilization of 0 Instances and a request delta of 5 Instances" in result.output
    assert "this change needs 5 instances at once: the new fleet" in result.output
    assert count(aws.calls(), "CreateEndpoint") == 1
    listed = repo.run("plan", "--env", "staging", "--format", "json")
    assert json.loads(listed.stdout)["summary"]["create"] == 1  # still to do: nothing half-made
