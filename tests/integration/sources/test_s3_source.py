"""An endpoint whose model is a trained artifact in S3: plan, apply, invoke on the emulator."""

from __future__ import annotations

import json

import boto3

from testkit.scratch import INFERENCE_PY
from testkit.trained import manifest, upload

KEY = "runs/7/model.tar.gz"


def plan_json(repo) -> dict:
    result = repo.run("plan", "--env", "staging", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def apply(repo) -> None:
    result = repo.run("apply", "--env", "staging", "--yes")
    assert result.exit_code == 0, result.output


def test_s3_artifact_repacked_with_repo_code_serves_the_trained_weight(repo, aws):
    uri = upload(KEY, {"weight.txt": "3\n"})
    repo.write("deployments/staging/scorer.yaml", manifest(f"{{s3: {uri}, code: scorer}}"))
    assert repo.run("image", "push", "--env", "staging").exit_code == 0

    desired = plan_json(repo)["endpoints"][0]["desired"]
    etag = boto3.client("s3").head_object(Bucket="training-output", Key=KEY)["ETag"].strip('"')
    assert desired["source"]["kind"] == "s3"
    assert desired["source"]["etag"] == etag
    assert desired["source"]["code"] == "scorer"
    assert desired["model_data"].startswith("s3://smgitops-test-artifacts/smgitops/sources/")

    apply(repo)
    # 1+2+3 times the S3 artifact's weight (the repo folder's own artifact says 1).
    assert repo.predict() == 18.0
    assert repo.run("plan", "--env", "staging", "--detailed-exitcode").exit_code == 0


def test_silently_overwritten_s3_artifact_shows_up_as_a_model_change(repo, aws):
    uri = upload(KEY, {"weight.txt": "3\n"})
    repo.write("deployments/staging/scorer.yaml", manifest(f"{{s3: {uri}, code: scorer}}"))
    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    apply(repo)
    first = plan_json(repo)["endpoints"][0]["desired"]["source"]["etag"]

    upload(KEY, {"weight.txt": "4\n"})  # same key, new bytes, git unchanged
    change = plan_json(repo)["endpoints"][0]
    assert change["action"] == "update"
    assert change["desired"]["source"]["etag"] != first
    assert [d["path"] for d in change["changes"]] == ["model.data"]

    apply(repo)
    assert repo.predict() == 24.0


def test_code_change_repacks_under_a_new_key(repo, aws):
    uri = upload(KEY, {"weight.txt": "3\n"})
    repo.write("deployments/staging/scorer.yaml", manifest(f"{{s3: {uri}, code: scorer}}"))
    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    apply(repo)
    before = plan_json(repo)["endpoints"][0]["desired"]["model_data"]

    repo.write("models/scorer/inference.py", INFERENCE_PY.replace("sum(row)", "2 * sum(row)"))
    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    after = plan_json(repo)["endpoints"][0]["desired"]["model_data"]
    assert after != before
    apply(repo)
    assert repo.predict() == 36.0


def test_s3_artifact_with_its_own_code_and_an_explicit_image(repo, aws):
    uri = upload(KEY, {"weight.txt": "5\n", "code/inference.py": INFERENCE_PY})
    image = "registry.example.com/team/serving:1"
    repo.write("deployments/staging/scorer.yaml", manifest(f"{{s3: {uri}, image: {image}}}"))

    change = plan_json(repo)["endpoints"][0]
    assert change["desired"]["image"] == image
    assert change["desired"]["source"]["code"] is None
    apply(repo)
    assert repo.predict() == 30.0


def test_versioned_bucket_pins_the_version_id(repo, aws):
    uri = upload(KEY, {"weight.txt": "3\n"}, versioned=True)
    repo.write("deployments/staging/scorer.yaml", manifest(f"{{s3: {uri}, code: scorer}}"))
    head = boto3.client("s3").head_object(Bucket="training-output", Key=KEY)
    assert plan_json(repo)["endpoints"][0]["desired"]["source"]["version_id"] == head["VersionId"]


def test_missing_s3_artifact_is_a_one_line_error(repo, aws):
    upload("other/model.tar.gz", {"weight.txt": "3\n"})
    missing = "s3://training-output/runs/404/model.tar.gz"
    repo.write("deployments/staging/scorer.yaml", manifest(f"{{s3: {missing}, code: scorer}}"))
    result = repo.run("plan", "--env", "staging")
    assert result.exit_code == 1
    assert f"model artifact {missing} does not exist" in result.output
    assert "Traceback" not in result.output


def _deployed_from_s3(repo) -> tuple[str, str]:
    """Staging serving the S3 artifact (weight 3, repacked with the repo's code): its copy."""
    uri = upload(KEY, {"weight.txt": "3\n"})
    repo.write("deployments/staging/scorer.yaml", manifest(f"{{s3: {uri}, code: scorer}}"))
    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    apply(repo)
    copy = plan_json(repo)["endpoints"][0]["desired"]["model_data"]
    return copy.removeprefix("s3://").split("/", 1)  # type: ignore[return-value]


def test_the_env_copy_of_an_s3_artifact_is_verified_like_a_folder_tarball(repo, aws):
    bucket, key = _deployed_from_s3(repo)
    s3 = boto3.client("s3")
    original = s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    # Same key, other bytes: without a record (a plain PUT), and with a forged one.
    s3.put_object(Bucket=bucket, Key=key, Body=b"someone else's model")
    change = plan_json(repo)["endpoints"][0]
    assert (change["action"], change["reason"]) == ("repair", "model_data_unrecorded")
    metadata = s3.head_object(Bucket=bucket, Key=key)["Metadata"]
    s3.put_object(Bucket=bucket, Key=key, Body=b"forged", Metadata={"tree": key.split("/")[-2]})
    change = plan_json(repo)["endpoints"][0]
    assert (change["action"], change["reason"]) == ("repair", "model_data_altered")
    assert metadata == {}
    assert repo.run("drift", "--env", "staging").exit_code == 2
    applied = repo.run("apply", "--env", "staging", "--yes")
    assert applied.exit_code == 0, applied.output
    assert "again (the copy under its key did not verify)" in applied.output
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == original

    s3.delete_object(Bucket=bucket, Key=key)
    change = plan_json(repo)["endpoints"][0]
    assert (change["action"], change["reason"]) == ("repair", "model_data_missing")
    apply(repo)
    assert repo.run("plan", "--env", "staging", "--detailed-exitcode").exit_code == 0
    assert repo.predict() == 18.0


def test_a_copy_made_before_copies_were_verified_is_copied_again_once(repo, aws):
    bucket, key = _deployed_from_s3(repo)
    s3 = boto3.client("s3")
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.put_object(Bucket=bucket, Key=key, Body=body)  # as an older version wrote it: no metadata

    planned = repo.run("plan", "--env", "staging")
    assert "has no record of its bytes (copied by an older version, or overwritten)" in (
        planned.output.replace("\n", " ")
    )
    apply(repo)
    assert s3.head_object(Bucket=bucket, Key=key)["Metadata"]["tree"] == key.split("/")[-2]
    assert repo.run("plan", "--env", "staging", "--detailed-exitcode").exit_code == 0
