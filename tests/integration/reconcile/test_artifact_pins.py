"""Git pins every byte: deploys work from the committed artifact pin, never from whatever
weights happen to be on the machine, and never from store bytes that do not hash to the pin."""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import boto3

from smgitops.artifacts.pin import PIN_FILE
from testkit.scratch import STORE

PIN = f"models/scorer/{PIN_FILE}"


def forget_local_weights(repo) -> None:
    """A fresh checkout: no artifact/ (git-ignored) and no local cache."""
    shutil.rmtree(repo.root / "models" / "scorer" / "artifact")
    shutil.rmtree(repo.root / ".smgitops", ignore_errors=True)


def test_a_checkout_without_weights_plans_and_applies_from_the_pin(repo, aws):
    forget_local_weights(repo)
    assert repo.run("image", "push", "--env", "staging").exit_code == 0

    planned = repo.run("plan", "--env", "staging", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    applied = repo.run("apply", "--env", "staging", "--yes")
    assert applied.exit_code == 0, applied.output
    assert "fetching weight.txt" in applied.output
    assert repo.predict() == 6.0


def test_revert_of_a_pin_without_retraining_deploys_the_previous_bytes(deployed, aws):
    first_pin = (deployed.root / PIN).read_text()
    deployed.set_weight(3.0)
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    assert deployed.predict() == 18.0

    # `git revert`: the old pin comes back; the weights on disk are still the newer ones.
    (deployed.root / PIN).write_text(first_pin)
    stale = deployed.run("plan", "--env", "staging")
    assert stale.exit_code == 1
    assert "models/scorer/artifact/ (files digest " in stale.output
    assert "smgitops model fetch scorer" in stale.output
    assert deployed.run("model", "fetch", "scorer").exit_code == 0
    assert (deployed.root / "models/scorer/artifact/weight.txt").read_text() == "1.0\n"

    reverted = deployed.run("apply", "--env", "staging", "--yes")
    assert reverted.exit_code == 0, reverted.output
    assert "model.tar.gz already in S3" in reverted.output  # the same tarball, not rebuilt
    assert deployed.predict() == 6.0


def test_weights_retrained_but_not_pinned_are_refused_naming_both_hashes(deployed, aws):
    deployed.write("models/scorer/artifact/weight.txt", "9.0\n")

    result = deployed.run("apply", "--env", "staging", "--yes")

    assert result.exit_code == 1
    (line,) = [ln for ln in result.output.splitlines() if ln.startswith("Error:")]
    assert "weight.txt changed" in line
    assert "smgitops model pin scorer" in line and "smgitops model fetch scorer" in line
    assert deployed.predict() == 6.0  # nothing was deployed


def test_a_tampered_store_object_is_refused_before_any_model_points_at_it(repo, aws):
    forget_local_weights(repo)
    pin = json.loads((repo.root / PIN).read_text())
    digest = pin["files"]["weight.txt"]["sha256"]
    bucket, prefix = STORE.removeprefix("s3://").split("/", 1)
    # Same key, other bytes: someone with write access to the shared store.
    boto3.client("s3").put_object(Bucket=bucket, Key=f"{prefix}/sha256/{digest}", Body=b"99.0\n")
    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    aws.clear_calls()

    result = repo.run("apply", "--env", "staging", "--yes")

    assert result.exit_code == 1
    assert "holds other bytes" in result.output and "refusing to use them" in result.output
    assert "CreateModel" not in {c.operation for c in aws.calls()}


def test_a_readme_or_a_sample_payload_in_the_model_folder_plans_no_change(deployed, aws):
    deployed.write("models/scorer/README.md", "# Scorer\nOwner: data science.\n")
    deployed.write("models/scorer/payloads/one-row.csv", "1,2,3\n")
    deployed.write("models/scorer/train.py", "print('trained')\n")

    result = deployed.run("plan", "--env", "staging", "--detailed-exitcode")
    assert result.exit_code == 0, result.output


def test_a_saved_plan_is_refused_when_a_pin_changed_since(deployed, aws, tmp_path):
    saved = tmp_path / "plan.json"
    deployed.set_weight(2.0)
    assert deployed.run("plan", "--env", "staging", "--out", str(saved)).exit_code == 0
    deployed.set_weight(4.0)  # re-pinned after the review

    result = deployed.run("apply", "--env", "staging", "--plan", str(saved))

    assert result.exit_code == 1
    assert "is stale" in result.output
    assert deployed.predict() == 6.0


def _live_model_data() -> tuple[str, str]:
    """(bucket, key) of the model data the live endpoint's config points at."""
    sm = boto3.client("sagemaker")
    config = sm.describe_endpoint(EndpointName="staging-scorer")["EndpointConfigName"]
    model = sm.describe_endpoint_config(EndpointConfigName=config)["ProductionVariants"][0]
    url = sm.describe_model(ModelName=model["ModelName"])["PrimaryContainer"]["ModelDataUrl"]
    return url.removeprefix("s3://").split("/", 1)  # type: ignore[return-value]


def test_a_deleted_live_tarball_is_planned_as_a_repair_flagged_by_drift_and_put_back(deployed, aws):
    bucket, key = _live_model_data()
    s3 = boto3.client("s3")
    original = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.delete_object(Bucket=bucket, Key=key)

    planned = deployed.run("plan", "--env", "staging", "--format", "json", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    (change,) = json.loads(planned.stdout)["endpoints"]
    assert (change["action"], change["reason"]) == ("repair", "model_data_missing")
    assert deployed.run("drift", "--env", "staging").exit_code == 2

    config_before = boto3.client("sagemaker").describe_endpoint(EndpointName="staging-scorer")
    applied = deployed.run("apply", "--env", "staging", "--yes")
    assert applied.exit_code == 0, applied.output
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == original
    config_after = boto3.client("sagemaker").describe_endpoint(EndpointName="staging-scorer")
    assert config_after["EndpointConfigName"] == config_before["EndpointConfigName"]
    assert deployed.run("plan", "--env", "staging", "--detailed-exitcode").exit_code == 0


def test_other_bytes_under_the_live_key_are_planned_as_a_repair_and_replaced(deployed, aws):
    bucket, key = _live_model_data()
    s3 = boto3.client("s3")
    original = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.put_object(Bucket=bucket, Key=key, Body=b"someone else's model")

    planned = deployed.run("plan", "--env", "staging")
    assert "repair (the live model.tar.gz was overwritten with other bytes" in planned.output
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == original


def test_a_missing_tarball_of_the_kept_previous_config_is_a_warning_not_a_change(deployed, aws):
    previous_bucket, previous_key = _live_model_data()
    deployed.set_weight(2.0)
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    boto3.client("s3").delete_object(Bucket=previous_bucket, Key=previous_key)

    planned = deployed.run("plan", "--env", "staging", "--detailed-exitcode")

    assert planned.exit_code == 0, planned.output
    assert "warning: the kept previous config's model data" in planned.output
    assert f"{previous_key} is missing" in planned.output.replace("\n", "")


def _store_keys() -> set[str]:
    bucket, prefix = STORE.removeprefix("s3://").split("/", 1)
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/sha256/")
    return {o["Key"].rsplit("/", 1)[1] for o in listed.get("Contents", [])}


def _pinned_sha(repo) -> str:
    return json.loads((repo.root / PIN).read_text())["files"]["weight.txt"]["sha256"]


def test_gc_deletes_only_blobs_no_pin_in_git_history_names(repo, aws):
    committed = _pinned_sha(repo)  # weight 1, committed below
    repo.git("init", "-q")
    repo.git("add", "-A")
    repo.git("commit", "-qm", "scorer pinned at weight 1")
    repo.set_weight(2.0)  # pinned, never committed, then replaced by another pin
    abandoned = _pinned_sha(repo)
    repo.set_weight(3.0)  # the working tree's pin: kept until it is committed or replaced
    current = _pinned_sha(repo)
    assert {committed, abandoned, current} <= _store_keys()
    fresh = repo.run("model", "gc")  # the default grace period keeps blobs pinned this week
    assert fresh.exit_code == 0 and fresh.stdout == ""

    listed = repo.run("model", "gc", "--grace-days", "0")
    assert listed.exit_code == 0, listed.output
    assert [line.rsplit("/", 1)[1].split()[0] for line in listed.stdout.splitlines()] == [abandoned]
    assert abandoned in _store_keys()  # without --yes nothing is deleted

    assert repo.run("model", "gc", "--grace-days", "0", "--yes").exit_code == 0
    assert _store_keys() == {committed, current}


def test_model_pin_prints_the_pin_files_sha256_as_sha256sum_does(repo, aws):
    result = repo.run("model", "pin", "scorer")  # the store named by the current pin
    assert result.exit_code == 0, result.output
    digest, path = result.stdout.split()
    assert path == PIN
    assert digest == hashlib.sha256((repo.root / PIN).read_bytes()).hexdigest()


def test_gc_refuses_when_a_manifest_cannot_be_read_and_deletes_nothing(repo, aws):
    repo.git("init", "-q")
    repo.git("add", "-A")
    repo.git("commit", "-qm", "scorer pinned at weight 1")
    repo.set_weight(2.0)
    repo.set_weight(3.0)  # the weight-2 blob is no longer pinned anywhere
    before = _store_keys()
    os.mkfifo(repo.root / "deployments/staging/pipe.yaml")  # never opened: nothing waits on it

    refused = repo.run("model", "gc", "--grace-days", "0", "--yes")

    assert refused.exit_code == 1
    assert refused.output.strip().splitlines()[-1] == (
        "Error: deployments/staging/pipe.yaml is a FIFO (named pipe) (allowed: a regular file "
        "in the repository, or a symlink to one); gc reads every pin and manifest to know what "
        "to keep"
    )
    assert _store_keys() == before
