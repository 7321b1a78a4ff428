"""Per-env pins: prod keeps the whole tarball and image staging ran (promote --pin) while the
model folder moves on, and each byte of it is verified on the way."""

from __future__ import annotations

import json
import shutil

import boto3
import pytest
import yaml

from testkit.scratch import PROD_ENV_YAML, STORE, manifest

pytestmark = pytest.mark.integration

PROD = "deployments/prod/scorer.yaml"


def served(endpoint: str) -> dict[str, str]:
    sagemaker = boto3.client("sagemaker")
    config = sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    variant = sagemaker.describe_endpoint_config(EndpointConfigName=config)
    name = variant["ProductionVariants"][0]["ModelName"]
    return sagemaker.describe_model(ModelName=name)["PrimaryContainer"]


@pytest.fixture
def pinned(deployed):
    """Staging serves weight 1; prod promotes from it, pinned to that tarball and image."""
    deployed.write("deployments/prod/_env.yaml", PROD_ENV_YAML + "promotesFrom: staging\n")
    deployed.write(PROD, manifest())
    deployed.git("init", "-q")
    deployed.git("add", "-A")
    deployed.git("commit", "-qm", "start")
    result = deployed.run("promote", "--from", "staging", "--to", "prod", "scorer", "--pin")
    assert result.exit_code == 0, result.output
    return deployed


def test_promote_pin_writes_the_tarball_and_image_staging_serves(pinned):
    model = yaml.safe_load((pinned.root / PROD).read_text())["spec"]["model"]
    staging = served("staging-scorer")

    assert model["folder"] == "scorer"
    assert model["imageDigest"] == "sha256:" + staging["Image"].split("@sha256:")[1]
    sha = model["tarball"].removeprefix("sha256:")
    bucket, key = staging["ModelDataUrl"].removeprefix("s3://").split("/", 1)
    head = boto3.client("s3").head_object(Bucket=bucket, Key=key)
    assert head["Metadata"]["sha256"] == sha
    store_bucket, store_prefix = STORE.removeprefix("s3://").split("/", 1)
    blob = boto3.client("s3").get_object(Bucket=store_bucket, Key=f"{store_prefix}/sha256/{sha}")
    body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    assert blob["Body"].read() == body  # the store keeps the very bytes staging serves


def test_prod_keeps_serving_the_pinned_tarball_while_the_folder_moves_on(pinned):
    staging_before = served("staging-scorer")
    pinned.set_weight(2.0)
    pinned.write("container/Dockerfile", "FROM scratch\nLABEL next=1\n")  # a new image too
    assert pinned.run("image", "push", "--env", "staging").exit_code == 0
    assert pinned.run("apply", "--env", "staging", "--yes").exit_code == 0
    assert pinned.predict() == 12.0

    refused = pinned.run("apply", "--env", "prod", "--yes")
    assert refused.exit_code == 1
    assert "run `smgitops image copy --env prod` first" in refused.output
    # Named by its folder: prod uses the model only through its pin, and that counts.
    copied = pinned.run("image", "copy", "--env", "prod", "--model", "scorer")
    assert copied.exit_code == 0, copied.output
    applied = pinned.run("apply", "--env", "prod", "--yes")
    assert applied.exit_code == 0, applied.output

    assert pinned.predict(env="prod") == 6.0  # weight 1, as staging ran it
    prod = served("prod-scorer")
    assert prod["Image"].split("@")[1] == staging_before["Image"].split("@")[1]
    assert "/models/scorer/t-" in prod["ModelDataUrl"]
    plan = pinned.run("plan", "--env", "prod", "--format", "json", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    (endpoint,) = json.loads(plan.stdout)["endpoints"]
    assert endpoint["desired"]["source"]["kind"] == "tarball"


def test_a_tampered_store_copy_of_the_pinned_tarball_is_refused(pinned):
    sha = yaml.safe_load((pinned.root / PROD).read_text())["spec"]["model"]["tarball"][7:]
    store_bucket, store_prefix = STORE.removeprefix("s3://").split("/", 1)
    boto3.client("s3").put_object(
        Bucket=store_bucket, Key=f"{store_prefix}/sha256/{sha}", Body=b"not the model"
    )
    assert pinned.run("image", "copy", "--env", "prod").exit_code == 0
    shutil.rmtree(pinned.root / ".smgitops")  # a fresh CI checkout: no verified local copy

    result = pinned.run("apply", "--env", "prod", "--yes")

    assert result.exit_code == 1
    assert "holds other bytes (sha256 " in result.output
    assert "refusing to use them" in result.output


def test_gc_keeps_the_tarballs_manifests_pin(pinned):
    pinned.git("add", "-A")
    pinned.git("commit", "-qm", "promote")
    sha = yaml.safe_load((pinned.root / PROD).read_text())["spec"]["model"]["tarball"][7:]

    listed = pinned.run("model", "gc", "--grace-days", "0")

    assert listed.exit_code == 0, listed.output
    assert sha not in listed.stdout
