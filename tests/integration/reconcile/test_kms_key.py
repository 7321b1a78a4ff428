"""An env that names a KMS key: everything it writes to its bucket is SSE-KMS with that key,
and its endpoint configs encrypt the ML storage volumes with it."""

from __future__ import annotations

import boto3
import pytest

from testkit.scratch import ENV_YAML

pytestmark = pytest.mark.integration

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_tarballs_inventory_and_endpoint_volumes_use_the_env_key(repo):
    repo.write("deployments/staging/_env.yaml", ENV_YAML + f"kmsKeyId: {KEY}\n")
    assert repo.run("image", "push", "--env", "staging").exit_code == 0

    applied = repo.run("apply", "--env", "staging", "--yes")

    assert applied.exit_code == 0, applied.output
    assert repo.predict() == 6.0
    s3, sagemaker = boto3.client("s3"), boto3.client("sagemaker")
    written = s3.list_objects_v2(Bucket="smgitops-test-artifacts")["Contents"]
    keys = [o["Key"] for o in written]
    assert any(k.endswith("/model.tar.gz") for k in keys)
    assert any("/inventory/" in k for k in keys)
    for key in keys:
        head = s3.head_object(Bucket="smgitops-test-artifacts", Key=key)
        assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", KEY), key
    config = sagemaker.describe_endpoint(EndpointName="staging-scorer")["EndpointConfigName"]
    assert sagemaker.describe_endpoint_config(EndpointConfigName=config)["KmsKeyId"] == KEY


def test_naming_a_key_replaces_the_config_once_and_plans_nothing_after(deployed):
    deployed.write("deployments/staging/_env.yaml", ENV_YAML + f"kmsKeyId: {KEY}\n")

    changed = deployed.run("plan", "--env", "staging", "--detailed-exitcode")
    assert changed.exit_code == 2, changed.output
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    unchanged = deployed.run("plan", "--env", "staging", "--detailed-exitcode")
    assert unchanged.exit_code == 0, unchanged.output
