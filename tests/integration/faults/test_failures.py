"""Failures during an update: each one gives a one-line reason, exit 1, and an endpoint that
still serves the previous model (the lock released, a re-run free to try again)."""

from __future__ import annotations

import json

import boto3

from testkit.faults import count, finish, lock_objects, start_apply, wait_for
from testkit.scratch import INFERENCE_PY, create_5xx_alarm, manifest

BUCKET = "smgitops-test-artifacts"


def _failure_line(output: str) -> str:
    (line,) = [line for line in output.splitlines() if line.startswith("staging-scorer: ")]
    return line


def _still_serving_the_old_model(repo) -> None:
    assert repo.predict() == 6.0
    assert lock_objects(BUCKET) == []


def test_missing_image_stops_before_any_change(deployed, aws):
    deployed.write("container/Dockerfile", "FROM scratch\nLABEL changed=yes\n")  # new image tag
    aws.clear_calls()
    result = deployed.run("apply", "--env", "staging", "--yes")
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("Error: image ")
    assert "is missing in ECR: run `smgitops image push --env staging` first" in result.output
    assert count(aws.calls(), "CreateModel") == 0
    _still_serving_the_old_model(deployed)


def test_model_that_fails_to_load_is_rolled_back_by_sagemaker(deployed, aws, monkeypatch):
    deployed.write(
        "models/scorer/inference.py",
        INFERENCE_PY.replace(
            "    return float(", "    raise RuntimeError('weights corrupt')\n    return float("
        ),
    )
    monkeypatch.setenv("GITHUB_SHA", "bad0c0ffee00")  # the commit CI would apply
    result = deployed.run("apply", "--env", "staging", "--yes")
    assert result.exit_code == 1
    line = _failure_line(result.output)
    assert line.startswith("staging-scorer: update_rolled_back: SageMaker rolled the update back")
    assert "did not pass the ping health check" in line
    assert "RuntimeError: weights corrupt" in line  # the model's own error, offline
    assert "container logs: CloudWatch log group /aws/sagemaker/Endpoints/staging-scorer" in line
    _still_serving_the_old_model(deployed)
    # The endpoint still names the commit of the config it serves, not the one that failed.
    (row,) = json.loads(deployed.run("status", "--env", "staging", "--format", "json").stdout)[
        "endpoints"
    ]
    assert row["commit"] != "bad0c0ffee00"
    # The next plan offers the update again, and says how the last attempt ended.
    replanned = deployed.run("plan", "--env", "staging").stdout
    (last,) = [x.strip() for x in replanned.splitlines() if "last apply failed:" in x]
    assert last.startswith("last apply failed: update_rolled_back at ")
    assert "SageMaker rolled the update back" in last


def test_model_data_deleted_mid_apply_is_rolled_back_by_sagemaker(deployed, aws):
    s3 = boto3.client("s3")

    def tarballs() -> set[str]:
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="smgitops/models/")["Contents"]
        return {item["Key"] for item in listed}

    before = tarballs()
    deployed.set_weight(2.0)
    aws.clear_calls()
    aws.configure(latency_seconds=1.0, latency_operations=["CreateEndpointConfig"])
    process = start_apply(deployed.root)
    wait_for(aws, lambda calls: count(calls, "CreateEndpointConfig") >= 1, process)
    (uploaded,) = tarballs() - before
    s3.delete_object(Bucket=BUCKET, Key=uploaded)  # gone before SageMaker fetches it
    code, output = finish(process)
    assert code == 1, output
    line = _failure_line(output)
    assert "update_rolled_back" in line and "Failed to download model data" in line
    _still_serving_the_old_model(deployed)


def test_alarm_firing_during_the_canary_bake_rolls_back(repo, aws):
    create_5xx_alarm("scorer-5xx", "staging-scorer")
    canary = (
        "  deployment:\n"
        "    strategy: canary\n"
        "    canary: {percent: 50, bakeSeconds: 600}\n"  # 6 s at the tests' wait scale
        "    rollbackAlarms: [scorer-5xx]\n"
    )
    repo.write("deployments/staging/scorer.yaml", manifest(count=2) + canary)
    repo.write("deployments/staging/second.yaml", manifest(name="second"))
    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    assert repo.run("apply", "--env", "staging", "--yes").exit_code == 0
    repo.set_weight(2.0)
    (repo.root / "deployments/staging/second.yaml").unlink()  # pruned in the same apply
    process = start_apply(repo.root)
    wait_for(aws, lambda calls: count(calls, "UpdateEndpoint") >= 1, process)
    boto3.client("cloudwatch").set_alarm_state(
        AlarmName="scorer-5xx", StateValue="ALARM", StateReason="5xx on the canary"
    )
    code, output = finish(process)
    assert code == 1, output
    line = _failure_line(output)
    assert "update_rolled_back" in line
    assert "CloudWatch alarm 'scorer-5xx' was in ALARM state" in line
    _still_serving_the_old_model(repo)
    # The delete waited for the update, which failed: the endpoint stays, and says why.
    assert "staging-second: delete_deferred: not deleted while staging-scorer did not come up" in (
        " ".join(output.split())
    )
    answer = boto3.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="staging-second", ContentType="text/csv", Body=b"1,2,3"
    )
    assert answer["Body"].read() == b"[6.0]"
    # status names the alarm that rolled the update back.
    shown = repo.run("status", "--env", "staging", "scorer", "--format", "json")
    (row,) = json.loads(shown.stdout)["endpoints"]
    assert row["last_apply"]["outcome"] == "update_rolled_back"
    assert "CloudWatch alarm 'scorer-5xx' was in ALARM state" in row["last_apply"]["message"]
