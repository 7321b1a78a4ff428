"""Valid manifest values -> the frozen desired-state dataclasses of `smgitops.core.desired`."""

from __future__ import annotations

import json
from typing import Any

from smgitops.core.desired import (
    AlarmSpec,
    AutoscalingSpec,
    BaseImageSpec,
    DataCaptureSpec,
    DeploymentSpec,
    EndpointSpec,
    EnvSettings,
    JsonExpectation,
    ModelSource,
    ServerlessSpec,
    SmokeTestSpec,
    TrafficStep,
    VariantSpec,
    pairs,
)
from smgitops.manifest.defaults import with_defaults
from smgitops.manifest.endpoint_rules import STEP_KEYS, endpoint_name
from smgitops.manifest.model_folder import MODELS_DIR
from smgitops.manifest.schema_check import ENDPOINT_SCHEMA, ENV_SCHEMA


def env_settings(value: dict[str, Any], env: str) -> EnvSettings:
    """EnvSettings of a valid `_env.yaml`. No side effects."""
    value = with_defaults(value, ENV_SCHEMA)
    return EnvSettings(
        name=env,
        account_id=value["accountId"],
        region=value["region"],
        execution_role_arn=value["executionRoleArn"],
        artifact_bucket=value["artifactBucket"],
        ecr_repository=value["ecrRepository"],
        artifact_prefix=value["artifactPrefix"],
        prune=value["prune"],
        require_approval=value["requireApproval"],
        max_parallel=value["maxParallel"],
        promotes_from=value.get("promotesFrom"),
        kms_key_id=value.get("kmsKeyId"),
    )


def _variant(value: dict[str, Any]) -> VariantSpec:
    serverless = value.get("serverless")
    return VariantSpec(
        name=value["name"],
        weight=float(value["weight"]),
        instance_type=value.get("instanceType"),
        instance_count=value["instanceCount"] if "instanceType" in value else None,
        serverless=ServerlessSpec(
            memory_size_mb=serverless["memorySizeMB"],
            max_concurrency=serverless["maxConcurrency"],
            provisioned_concurrency=serverless.get("provisionedConcurrency"),
        )
        if serverless
        else None,
        startup_health_check_timeout_s=value.get("containerStartupHealthCheckTimeoutSeconds"),
        model_download_timeout_s=value.get("modelDataDownloadTimeoutSeconds"),
    )


def _autoscaling(value: dict[str, Any] | None) -> AutoscalingSpec | None:
    if value is None:
        return None
    if "targetInvocationsPerInstance" in value:
        metric, target = (
            "SageMakerVariantInvocationsPerInstance",
            value["targetInvocationsPerInstance"],
        )
    else:
        metric = value["metric"]
        target = value["target"]
    return AutoscalingSpec(
        min_capacity=value["minCapacity"],
        max_capacity=value["maxCapacity"],
        target_value=float(target),
        metric=metric,
        scale_in_cooldown_s=value["scaleInCooldownSeconds"],
        scale_out_cooldown_s=value["scaleOutCooldownSeconds"],
    )


# Counts add up over a period; latencies are averaged (the schema cannot say "depends on metric").
_LATENCIES = {"ModelLatency", "OverheadLatency"}


def _alarm(value: dict[str, Any]) -> AlarmSpec:
    metric = value["metric"]
    return AlarmSpec(
        name=value["name"],
        metric=metric,
        threshold=float(value["threshold"]),
        statistic=value.get("statistic") or ("Average" if metric in _LATENCIES else "Sum"),
        period_s=value["periodSeconds"],
        evaluation_periods=value["evaluationPeriods"],
        rollback=value["rollback"],
    )


def _deployment(value: dict[str, Any] | None) -> DeploymentSpec:
    if value is None:
        return DeploymentSpec()
    strategy = value["strategy"]
    step = None
    bake_seconds = 0
    if strategy in STEP_KEYS:
        keys, block = STEP_KEYS[strategy], value[strategy]
        if keys.percent in block:
            step = TrafficStep(unit="percent", value=block[keys.percent])
        else:
            step = TrafficStep(unit="instances", value=block[keys.count])
        bake_seconds = block[keys.bake]
    return DeploymentSpec(
        strategy=strategy,
        step=step,
        bake_seconds=bake_seconds,
        rollback_alarms=tuple(value.get("rollbackAlarms", ())),
        retain_scaled_capacity=value.get("retainScaledCapacity"),
        timeout_seconds=value["timeoutSeconds"],
    )


def data_capture_uri(value: dict[str, Any], settings: EnvSettings) -> str:
    """s3Uri as written, or s3Prefix inside the env's artifact bucket. No side effects."""
    if "s3Uri" in value:
        return value["s3Uri"]
    return f"s3://{settings.artifact_bucket}/{value['s3Prefix'].lstrip('/')}"


def _data_capture(value: dict[str, Any] | None, settings: EnvSettings) -> DataCaptureSpec | None:
    if value is None:
        return None
    return DataCaptureSpec(
        sample_percent=value["samplePercent"],
        s3_uri=data_capture_uri(value, settings),
        capture_input=value["captureInput"],
        capture_output=value["captureOutput"],
    )


def _smoke_test(value: dict[str, Any] | None, body: bytes | None) -> SmokeTestSpec | None:
    if value is None:
        return None
    expect_json = None
    if "expectJson" in value:
        expectation = value["expectJson"]
        equals = (
            json.dumps(expectation["equals"], sort_keys=True) if "equals" in expectation else None
        )
        expect_json = JsonExpectation(path=expectation["path"], equals_json=equals)
    return SmokeTestSpec(
        content_type=value["contentType"],
        body=body if body is not None else value["body"].encode("utf-8"),
        accept=value.get("accept"),
        expect_status=value["expectStatus"],
        expect_json=expect_json,
        target_variant=value.get("targetVariant"),
    )


def _base_image(value: dict[str, Any] | None) -> BaseImageSpec | None:
    if value is None:
        return None
    return BaseImageSpec(
        framework=value["framework"],
        version=value["version"],
        py=value["py"],
        processor=value["processor"],
    )


def model_source(value: str | dict[str, Any], manifest_name: str) -> ModelSource:
    """ModelSource of a valid `spec.model` (folder name or source block). No side effects."""
    if isinstance(value, str):
        return ModelSource(kind="folder", name=value, path=f"{MODELS_DIR}/{value}")
    if "tarball" in value:
        folder = value["folder"]
        return ModelSource(
            kind="tarball",
            name=folder,
            path=f"{MODELS_DIR}/{folder}",
            tarball_sha256=value["tarball"].removeprefix("sha256:"),
            image_digest=value["imageDigest"],
        )
    if "s3" in value:
        code = value.get("code")
        return ModelSource(
            kind="s3",
            name=code or manifest_name,
            path=f"{MODELS_DIR}/{code}" if code else "",
            s3_uri=value["s3"],
            code=code,
            image=value.get("image"),
            s3_etag=value.get("etag"),
            s3_version_id=value.get("versionId"),
        )
    version = value.get("version")
    return ModelSource(
        kind="package",
        name=manifest_name,
        path="",
        package_arn=value.get("modelPackage"),
        package_group=value.get("modelPackageGroup"),
        package_version=None if version is None else str(version),
    )


def endpoint_spec(
    value: dict[str, Any],
    *,
    env: str,
    manifest_path: str,
    settings: EnvSettings,
    smoke_body: bytes | None = None,
) -> EndpointSpec:
    """EndpointSpec of a valid manifest; `smoke_body` is the content of smokeTest.bodyFile.

    No side effects.
    """
    value = with_defaults(value, ENDPOINT_SCHEMA)
    metadata, spec = value["metadata"], value["spec"]
    return EndpointSpec(
        name=metadata["name"],
        endpoint_name=endpoint_name(value, env),
        env=env,
        manifest_path=manifest_path,
        model=model_source(spec["model"], metadata["name"]),
        variants=tuple(_variant(variant) for variant in spec["variants"]),
        shadow_variants=tuple(_variant(variant) for variant in spec.get("shadowVariants", ())),
        environment=pairs(spec.get("environment")),
        tags=pairs(metadata.get("tags")),
        autoscaling=_autoscaling(spec.get("autoscaling")),
        alarms=tuple(_alarm(alarm) for alarm in spec.get("alarms", ())),
        deployment=_deployment(spec.get("deployment")),
        data_capture=_data_capture(spec.get("dataCapture"), settings),
        smoke_test=_smoke_test(spec.get("smokeTest"), smoke_body),
        base_image=_base_image(spec.get("image")),
    )
