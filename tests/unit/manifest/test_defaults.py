"""The schemas own the manifest defaults: a minimal manifest builds to what they declare."""

from __future__ import annotations

from smgitops.core.desired import DeploymentSpec
from smgitops.manifest import build

MINIMAL_ENV = {
    "accountId": "123456789012",
    "region": "eu-west-1",
    "executionRoleArn": "arn:aws:iam::123456789012:role/sm",
    "artifactBucket": "bucket",
    "ecrRepository": "repo",
}


def test_an_env_without_optional_keys_gets_the_schema_defaults():
    settings = build.env_settings(MINIMAL_ENV, "staging")

    assert (settings.artifact_prefix, settings.prune, settings.require_approval) == (
        "smgitops",
        False,
        False,
    )
    assert settings.max_parallel == 4


def _endpoint(spec_extra):
    manifest = {
        "apiVersion": "smgitops/v1",
        "kind": "Endpoint",
        "metadata": {"name": "churn"},
        "spec": {
            "model": "churn",
            "variants": [{"name": "primary", "instanceType": "ml.m5.large"}],
            **spec_extra,
        },
    }
    settings = build.env_settings(MINIMAL_ENV, "staging")
    return build.endpoint_spec(
        manifest, env="staging", manifest_path="deployments/staging/churn.yaml", settings=settings
    )


def test_omitted_keys_take_the_schema_defaults_and_agree_with_the_core_defaults():
    spec = _endpoint(
        {
            "autoscaling": {"minCapacity": 1, "maxCapacity": 2, "target": 50},
            "deployment": {"rollbackAlarms": ["a"]},
            "smokeTest": {"contentType": "text/csv", "body": "1,2"},
        }
    )

    (variant,) = spec.variants
    assert (variant.instance_count, variant.weight) == (1, 1.0)
    assert spec.autoscaling.metric == "SageMakerVariantInvocationsPerInstance"
    assert (spec.autoscaling.scale_in_cooldown_s, spec.autoscaling.scale_out_cooldown_s) == (
        300,
        60,
    )
    assert spec.smoke_test.expect_status == 200
    # A deployment block that sets only alarms is the default deployment with those alarms.
    assert spec.deployment == DeploymentSpec(rollback_alarms=("a",))
    assert _endpoint({}).deployment == DeploymentSpec()


def test_a_canary_without_bake_time_bakes_for_the_schema_default():
    spec = _endpoint(
        {"deployment": {"strategy": "canary", "canary": {"percent": 10}, "rollbackAlarms": ["a"]}}
    )

    assert spec.deployment.bake_seconds == 0
    assert spec.deployment.step.value == 10
