from __future__ import annotations

from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from smgitops.manifest import build
from smgitops.manifest.schema_check import load_schema

REPO_ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = ["endpoint.schema.json", "env.schema.json"]


@pytest.mark.parametrize("name", SCHEMAS)
def test_packaged_schema_is_byte_for_byte_the_one_in_schema_folder(name):
    packaged = resources.files("smgitops").joinpath("schemas", name).read_bytes()
    assert packaged == (REPO_ROOT / "schema" / name).read_bytes()


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_is_valid_draft_2020_12(name):
    jsonschema.Draft202012Validator.check_schema(load_schema(name))


def _objects(schema: object):
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            yield schema
        for value in schema.values():
            yield from _objects(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _objects(item)


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_object_refuses_unknown_keys_and_every_property_is_described(name):
    for node in _objects(load_schema(name)):
        assert "additionalProperties" in node, node.get("description")
        for key, prop in node.get("properties", {}).items():
            described = "description" in prop or "$ref" in prop
            assert described, f"{name}: property {key} has no description"


def test_schema_defaults_are_the_defaults_the_loader_applies():
    endpoint = load_schema("endpoint.schema.json")["$defs"]
    env = load_schema("env.schema.json")["properties"]
    minimal = {
        "metadata": {"name": "demo"},
        "spec": {
            "model": "demo",
            "variants": [{"name": "primary", "instanceType": "ml.m5.large"}],
            "autoscaling": {"minCapacity": 1, "maxCapacity": 2, "target": 10},
            "dataCapture": {"samplePercent": 10, "s3Prefix": "capture/"},
            "smokeTest": {"contentType": "text/csv", "body": "1"},
        },
    }
    settings = build.env_settings(
        {
            "accountId": "123456789012",
            "region": "us-east-1",
            "executionRoleArn": "arn:aws:iam::123456789012:role/x",
            "artifactBucket": "bucket",
            "ecrRepository": "repo",
        },
        "staging",
    )
    spec = build.endpoint_spec(minimal, env="staging", manifest_path="m.yaml", settings=settings)

    def default(node):
        return node["default"]

    variant = endpoint["variant"]["properties"]
    assert spec.variants[0].instance_count == default(variant["instanceCount"])
    assert spec.variants[0].weight == default(variant["weight"])
    scaling = endpoint["autoscaling"]["properties"]
    assert spec.autoscaling.metric == default(scaling["metric"])
    assert spec.autoscaling.scale_in_cooldown_s == default(scaling["scaleInCooldownSeconds"])
    assert spec.autoscaling.scale_out_cooldown_s == default(scaling["scaleOutCooldownSeconds"])
    deployment = endpoint["deployment"]["properties"]
    assert spec.deployment.strategy == default(deployment["strategy"])
    assert spec.deployment.timeout_seconds == default(deployment["timeoutSeconds"])
    capture = endpoint["dataCapture"]["properties"]
    assert spec.data_capture.capture_input == default(capture["captureInput"])
    assert spec.data_capture.capture_output == default(capture["captureOutput"])
    assert spec.smoke_test.expect_status == default(
        endpoint["smokeTest"]["properties"]["expectStatus"]
    )
    for strategy, size, bake in [
        ("canary", "percent", "bakeSeconds"),
        ("linear", "stepPercent", "bakeSeconds"),
        ("rolling", "batchPercent", "waitSeconds"),
    ]:
        rollout = {"strategy": strategy, strategy: {size: 10}}
        with_rollout = {**minimal, "spec": {**minimal["spec"], "deployment": rollout}}
        built = build.endpoint_spec(
            with_rollout, env="staging", manifest_path="m.yaml", settings=settings
        )
        assert built.deployment.bake_seconds == default(deployment[strategy]["properties"][bake])
    assert settings.artifact_prefix == default(env["artifactPrefix"])
    assert settings.prune == default(env["prune"])
    assert settings.require_approval == default(env["requireApproval"])
    assert settings.max_parallel == default(env["maxParallel"])
