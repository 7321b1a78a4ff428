"""Translation between our values and SageMaker's API shapes, both ways. All pure.

Requests are built here (CreateModel, CreateEndpointConfig, UpdateEndpoint's DeploymentConfig,
...) and Describe* responses are parsed here, so the reader and apply modules only move dicts
between these functions and boto3.
"""

from __future__ import annotations

from typing import Any

from smgitops.core.desired import DataCaptureSpec, Pairs, ServerlessSpec, TrafficStep, pairs
from smgitops.core.live import (
    LiveAlarm,
    LiveConfig,
    LiveConfigVariant,
    LiveEndpoint,
    LiveModel,
    LiveScaling,
    LiveVariant,
)
from smgitops.core.plan import Rollout
from smgitops.core.resources import (
    AlarmDef,
    Capacity,
    ConfigDef,
    ModelDef,
    ScalingDef,
    VariantDef,
)

Request = dict[str, Any]


def aws_tags(tags: Pairs) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags]


def object_encryption(kms_key_id: str | None) -> Request:
    """PutObject/CopyObject/upload ExtraArgs that encrypt with the env's KMS key (SSE-KMS), or
    {} (the bucket's default encryption) when the env names none."""
    if not kms_key_id:
        return {}
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}


def create_model_request(model: ModelDef, tags: Pairs) -> Request:
    return {
        "ModelName": model.name,
        "ExecutionRoleArn": model.execution_role_arn,
        "PrimaryContainer": {
            "Image": model.image_uri,
            "ModelDataUrl": model.model_data_url,
            "Environment": dict(model.environment),
        },
        "Tags": aws_tags(tags),
    }


def _variant(variant: VariantDef, capacity: Capacity | None) -> Request:
    shape: Request = {
        "VariantName": variant.name,
        "ModelName": variant.model_name,
        "InitialVariantWeight": capacity.weight if capacity else variant.initial_weight,
    }
    if variant.serverless is not None:
        serverless: Request = {
            "MemorySizeInMB": variant.serverless.memory_size_mb,
            "MaxConcurrency": variant.serverless.max_concurrency,
        }
        if variant.serverless.provisioned_concurrency is not None:
            serverless["ProvisionedConcurrency"] = variant.serverless.provisioned_concurrency
        shape["ServerlessConfig"] = serverless
    else:
        shape["InstanceType"] = variant.instance_type
        count = capacity.instance_count if capacity else variant.initial_instance_count
        shape["InitialInstanceCount"] = count or 1
    if variant.startup_health_check_timeout_s is not None:
        shape["ContainerStartupHealthCheckTimeoutInSeconds"] = (
            variant.startup_health_check_timeout_s
        )
    if variant.model_download_timeout_s is not None:
        shape["ModelDataDownloadTimeoutInSeconds"] = variant.model_download_timeout_s
    return shape


def create_endpoint_config_request(
    config: ConfigDef, capacity: tuple[Capacity, ...], tags: Pairs
) -> Request:
    by_variant = {c.variant: c for c in capacity}
    request: Request = {
        "EndpointConfigName": config.name,
        "ProductionVariants": [_variant(v, by_variant.get(v.name)) for v in config.variants],
        "Tags": aws_tags(tags),
    }
    if config.shadow_variants:
        request["ShadowProductionVariants"] = [_variant(v, None) for v in config.shadow_variants]
    if config.kms_key_id:
        request["KmsKeyId"] = config.kms_key_id
    if config.data_capture is not None:
        capture = config.data_capture
        modes = [
            m
            for m, on in (("Input", capture.capture_input), ("Output", capture.capture_output))
            if on
        ]
        request["DataCaptureConfig"] = {
            "EnableCapture": True,
            "InitialSamplingPercentage": capture.sample_percent,
            "DestinationS3Uri": capture.s3_uri,
            "CaptureOptions": [{"CaptureMode": m} for m in modes],
        }
    return request


def _capacity_size(step: TrafficStep) -> Request:
    unit = "CAPACITY_PERCENT" if step.unit == "percent" else "INSTANCE_COUNT"
    return {"Type": unit, "Value": step.value}


def deployment_config(rollout: Rollout) -> Request | None:
    """UpdateEndpoint's DeploymentConfig for the guardrails (None: SageMaker's default)."""
    deployment = rollout.deployment
    alarms = {"Alarms": [{"AlarmName": a} for a in deployment.rollback_alarms]}
    if deployment.strategy == "rolling":
        policy: Request = {
            "MaximumBatchSize": _capacity_size(deployment.step or TrafficStep("percent", 100)),
            "WaitIntervalInSeconds": deployment.bake_seconds,
            "MaximumExecutionTimeoutInSeconds": deployment.timeout_seconds,
        }
        config: Request = {"RollingUpdatePolicy": policy}
    else:
        routing: Request = {"WaitIntervalInSeconds": deployment.bake_seconds}
        if deployment.strategy == "canary":
            routing["Type"] = "CANARY"
            routing["CanarySize"] = _capacity_size(deployment.step or TrafficStep("percent", 10))
        elif deployment.strategy == "linear":
            routing["Type"] = "LINEAR"
            routing["LinearStepSize"] = _capacity_size(
                deployment.step or TrafficStep("percent", 20)
            )
        else:
            if not deployment.rollback_alarms and deployment.bake_seconds == 0:
                return None
            routing["Type"] = "ALL_AT_ONCE"
        config = {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": routing,
                "MaximumExecutionTimeoutInSeconds": deployment.timeout_seconds,
            }
        }
    if deployment.rollback_alarms:
        config["AutoRollbackConfiguration"] = alarms
    return config


def update_endpoint_request(endpoint: str, config_name: str, rollout: Rollout | None) -> Request:
    request: Request = {"EndpointName": endpoint, "EndpointConfigName": config_name}
    if rollout is None:
        return request
    deployment = deployment_config(rollout)
    if deployment is not None:
        request["DeploymentConfig"] = deployment
    if rollout.retain_capacity:
        # Keep the autoscaled instance counts, but take weights from git.
        request["RetainAllVariantProperties"] = True
        request["ExcludeRetainedVariantProperties"] = [{"VariantPropertyType": "DesiredWeight"}]
    return request


def capacity_request(endpoint: str, capacity: tuple[Capacity, ...], scaled: set[str]) -> Request:
    desired = []
    for cap in capacity:
        entry: Request = {"VariantName": cap.variant, "DesiredWeight": cap.weight}
        if cap.instance_count is not None and cap.variant not in scaled:
            entry["DesiredInstanceCount"] = cap.instance_count
        desired.append(entry)
    return {"EndpointName": endpoint, "DesiredWeightsAndCapacities": desired}


def scalable_target_request(scaling: ScalingDef, tags: dict[str, str]) -> Request:
    return {
        "ServiceNamespace": "sagemaker",
        "ResourceId": scaling.resource_id,
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "MinCapacity": scaling.min_capacity,
        "MaxCapacity": scaling.max_capacity,
        "Tags": tags,
    }


def scaling_policy_request(scaling: ScalingDef) -> Request:
    return {
        "PolicyName": scaling.policy_name,
        "ServiceNamespace": "sagemaker",
        "ResourceId": scaling.resource_id,
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": scaling.target_value,
            "PredefinedMetricSpecification": {"PredefinedMetricType": scaling.metric},
            "ScaleInCooldown": scaling.scale_in_cooldown_s,
            "ScaleOutCooldown": scaling.scale_out_cooldown_s,
        },
    }


# ---- responses -> live values ----------------------------------------------------------


def parse_endpoint(response: Request, tags: list[dict[str, str]]) -> LiveEndpoint:
    variants = tuple(
        LiveVariant(
            name=v["VariantName"],
            instance_count=v.get("DesiredInstanceCount", v.get("CurrentInstanceCount")),
            weight=v.get("DesiredWeight", v.get("CurrentWeight")),
        )
        for v in response.get("ProductionVariants", [])
    )
    return LiveEndpoint(
        name=response["EndpointName"],
        status=response["EndpointStatus"],
        config_name=response["EndpointConfigName"],
        tags=tuple(sorted((t["Key"], t["Value"]) for t in tags)),
        variants=variants,
        failure_reason=response.get("FailureReason") or None,
        arn=response.get("EndpointArn", ""),
        pending_status=_pending_status(response.get("PendingDeploymentSummary")),
    )


def _pending_status(summary: Request | None) -> str | None:
    """The first status of the new fleet's variants, e.g. "Baking" during a canary bake."""
    for variant in (summary or {}).get("ProductionVariants") or []:
        for status in variant.get("VariantStatus") or []:
            if status.get("Status"):
                return status["Status"]
    return None


def _parse_config_variant(shape: Request) -> LiveConfigVariant:
    serverless = None
    if "ServerlessConfig" in shape:
        s = shape["ServerlessConfig"]
        serverless = ServerlessSpec(
            s["MemorySizeInMB"], s["MaxConcurrency"], s.get("ProvisionedConcurrency")
        )
    return LiveConfigVariant(
        name=shape["VariantName"],
        model_name=shape["ModelName"],
        instance_type=shape.get("InstanceType"),
        initial_instance_count=shape.get("InitialInstanceCount"),
        initial_weight=shape.get("InitialVariantWeight"),
        serverless=serverless,
    )


def parse_config(response: Request, models: tuple[LiveModel, ...]) -> LiveConfig:
    capture = None
    raw = response.get("DataCaptureConfig") or {}
    if raw.get("EnableCapture"):
        modes = {o.get("CaptureMode") for o in raw.get("CaptureOptions", [])}
        capture = DataCaptureSpec(
            sample_percent=raw.get("InitialSamplingPercentage", 0),
            s3_uri=raw.get("DestinationS3Uri", ""),
            capture_input="Input" in modes,
            capture_output="Output" in modes,
        )
    return LiveConfig(
        name=response["EndpointConfigName"],
        variants=tuple(_parse_config_variant(v) for v in response.get("ProductionVariants", [])),
        shadow_variants=tuple(
            _parse_config_variant(v) for v in response.get("ShadowProductionVariants", [])
        ),
        data_capture=capture,
        models=models,
    )


def parse_model(response: Request) -> LiveModel:
    container = response.get("PrimaryContainer") or (response.get("Containers") or [{}])[0]
    return LiveModel(
        name=response["ModelName"],
        image_uri=container.get("Image", ""),
        model_data_url=container.get("ModelDataUrl", ""),
        environment=pairs(container.get("Environment")),
        execution_role_arn=response.get("ExecutionRoleArn", ""),
    )


def parse_scaling(targets: list[Request], policies: list[Request]) -> tuple[LiveScaling, ...]:
    by_resource = {
        p["ResourceId"]: p for p in policies if p.get("PolicyType") == "TargetTrackingScaling"
    }
    result = []
    for target in targets:
        policy = by_resource.get(target["ResourceId"], {})
        tracking = policy.get("TargetTrackingScalingPolicyConfiguration", {})
        metric = tracking.get("PredefinedMetricSpecification", {}).get("PredefinedMetricType")
        result.append(
            LiveScaling(
                resource_id=target["ResourceId"],
                min_capacity=target["MinCapacity"],
                max_capacity=target["MaxCapacity"],
                policy_name=policy.get("PolicyName"),
                metric=metric,
                target_value=tracking.get("TargetValue"),
                scale_in_cooldown_s=tracking.get("ScaleInCooldown"),
                scale_out_cooldown_s=tracking.get("ScaleOutCooldown"),
            )
        )
    return tuple(sorted(result, key=lambda s: s.resource_id))


def put_metric_alarm_request(alarm: AlarmDef, tags: Pairs) -> Request:
    """PutMetricAlarm of an owned alarm on one variant's SageMaker metric (CloudWatch API
    reference; SageMaker's endpoint invocation metrics, namespace AWS/SageMaker). The tags only
    take on creation: CloudWatch ignores them when the alarm exists."""
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": f"owned by smgitops: {alarm.endpoint} variant {alarm.variant}",
        "Namespace": "AWS/SageMaker",
        "MetricName": alarm.metric,
        "Dimensions": [
            {"Name": "EndpointName", "Value": alarm.endpoint},
            {"Name": "VariantName", "Value": alarm.variant},
        ],
        "Statistic": alarm.statistic,
        "Period": alarm.period_s,
        "EvaluationPeriods": alarm.evaluation_periods,
        "Threshold": alarm.threshold,
        "ComparisonOperator": "GreaterThanThreshold",
        # No invocations is no evidence of errors: an idle endpoint must not roll back.
        "TreatMissingData": "notBreaching",
        "Tags": [{"Key": k, "Value": v} for k, v in tags],
    }


def parse_alarm(shape: Request) -> LiveAlarm:
    return LiveAlarm(
        name=shape["AlarmName"],
        metric=shape.get("MetricName", ""),
        statistic=shape.get("Statistic", ""),
        threshold=float(shape.get("Threshold", 0.0)),
        period_s=int(shape.get("Period", 0)),
        evaluation_periods=int(shape.get("EvaluationPeriods", 0)),
        dimensions=tuple((d["Name"], d["Value"]) for d in shape.get("Dimensions", [])),
    )
