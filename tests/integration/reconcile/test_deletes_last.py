"""Deletes run last: an endpoint leaves only after every other change of the apply came up, so
a rename whose new endpoint fails leaves the old one serving (create before destroy)."""

from __future__ import annotations

import json

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


def test_a_new_name_in_the_same_manifest_file_is_planned_as_a_rename(deployed, aws):
    deployed.write("deployments/staging/scorer.yaml", manifest("scorer-v2"))

    planned = deployed.run("plan", "--env", "staging")

    assert planned.exit_code == 0, planned.output
    text = planned.stdout
    assert "+ staging-scorer-v2  create (renamed from staging-scorer)" in text
    assert "- staging-scorer  delete (renamed to staging-scorer-v2: deleted once it is up)" in text
    # The delete lists what goes, as the create lists what comes.
    gone = text.split("- staging-scorer  delete")[1]
    assert "variant primary: ml.m5.large x 1 (2 vCPU, 8 GiB each), weight 1" in gone
    assert "model data s3://" in gone
    document = json.loads(deployed.run("plan", "--env", "staging", "--format", "json").stdout)
    by_name = {e["endpoint"]: e for e in document["endpoints"]}
    assert by_name["staging-scorer-v2"]["renamed_from"] == "staging-scorer"
    assert by_name["staging-scorer"]["renamed_to"] == "staging-scorer-v2"
    (variant,) = by_name["staging-scorer"]["removed"]["variants"]
    assert (variant["instance_type"], variant["instance_count"]) == ("ml.m5.large", 1)

    applied = deployed.run("apply", "--env", "staging", "--yes")

    assert applied.exit_code == 0, applied.output
    assert statuses() == {"staging-scorer-v2": "InService"}
