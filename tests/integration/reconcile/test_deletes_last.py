"""Deletes run last: an endpoint leaves only after every other change of the apply came up, so
a rename whose new endpoint fails leaves the old one serving (create before destroy)."""

from __future__ import annotations

import boto3
import pytest

from testkit.scratch import manifest

pytestmark = pytest.mark.integration


def statuses() -> dict[str, str]:
    listed = boto3.client("sagemaker").list_endpoints()["Endpoints"]
    return {e["EndpointName"]: e["EndpointStatus"] for e in listed}


def test_a_rename_whose_new_endpoint_fails_keeps_the_old_one_serving(deployed, aws):
    (deployed.root / "deployments/staging/scorer.yaml").unlink()
    deployed.write("deployments/staging/scorer-b.yaml", manifest("scorer-b"))
    aws.fail_next_creates(1)

    failed = deployed.run("apply", "--env", "staging", "--yes")

    assert failed.exit_code == 1
    assert statuses() == {"staging-scorer": "InService", "staging-scorer-b": "Failed"}
    answer = boto3.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="staging-scorer", ContentType="text/csv", Body=b"1,2,3"
    )
    assert answer["Body"].read() == b"[6.0]"  # the old endpoint still answers
    assert (
        "staging-scorer: delete_deferred: not deleted while staging-scorer-b did not come up: "
        "it keeps serving, and the next apply deletes it once they do"
    ) in " ".join(failed.output.split())

    retried = deployed.run("apply", "--env", "staging", "--yes")

    assert retried.exit_code == 0, retried.output
    assert statuses() == {"staging-scorer-b": "InService"}
    assert deployed.predict("scorer-b") == 6.0
