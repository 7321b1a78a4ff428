"""Every Describe/List answer that smgitops and the SageMaker Python SDK read fits botocore's
output shape: what a strict client (or one copying a response into a request) gets."""

import boto3
import pytest

from .conftest import FAST_WAIT, Deployer
from .shape_check import recording_client

DATA_CAPTURE = {
    "EnableCapture": True,
    "InitialSamplingPercentage": 50,
    "DestinationS3Uri": "s3://models-bucket/capture",
    "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
}


@pytest.fixture
def recorded(aws):
    sagemaker, raw = recording_client("sagemaker")
    deployer = Deployer(
        sagemaker=sagemaker,
        runtime=boto3.client("sagemaker-runtime"),
        s3=boto3.client("s3"),
        ecr=boto3.client("ecr"),
    )
    return deployer, raw


def _walk_hosting(deployer: Deployer) -> None:
    """A deploy, an update with a DeploymentConfig and a serverless endpoint, read back with
    every Describe/List call of hosting, at each status a poller sees."""
    sm = deployer.sagemaker
    deployer.config("plain", ("primary", deployer.model("m1"), 1.0))
    sm.create_endpoint_config(
        EndpointConfigName="captured",
        ProductionVariants=[
            {
                "VariantName": "primary",
                "ModelName": deployer.model("m2", offset=100),
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 2,
                "InitialVariantWeight": 0,
                "ContainerStartupHealthCheckTimeoutInSeconds": 600,
            }
        ],
        DataCaptureConfig=DATA_CAPTURE,
        Tags=[{"Key": "team", "Value": "ml"}],
    )
    sm.create_endpoint_config(
        EndpointConfigName="serverless",
        ProductionVariants=[
            {
                "VariantName": "primary",
                "ModelName": "m1",
                "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 2},
            }
        ],
    )
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="plain")
    sm.create_endpoint(EndpointName="sls", EndpointConfigName="serverless")
    sm.describe_endpoint(EndpointName="ep")  # Creating
    sm.list_endpoints()
    deployer.wait_in_service("ep")
    deployer.wait_in_service("sls")
    sm.update_endpoint(
        EndpointName="ep",
        EndpointConfigName="captured",
        DeploymentConfig={
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {
                    "Type": "ALL_AT_ONCE",
                    "WaitIntervalInSeconds": 0,
                },
                "TerminationWaitInSeconds": 0,
            }
        },
    )
    sm.describe_endpoint(EndpointName="ep")  # Updating, with its pending deployment
    sm.get_waiter("endpoint_in_service").wait(EndpointName="ep", WaiterConfig=FAST_WAIT)
    for name in ("plain", "captured", "serverless"):
        sm.describe_endpoint_config(EndpointConfigName=name)
    for name in ("ep", "sls"):
        sm.describe_endpoint(EndpointName=name)
    sm.describe_model(ModelName="m1")
    sm.list_models()
    sm.list_endpoint_configs()
    sm.list_endpoints()
    sm.list_tags(
        ResourceArn=sm.describe_endpoint_config(EndpointConfigName="captured")["EndpointConfigArn"]
    )


def test_hosting_describe_and_list_answers_fit_the_output_shapes(recorded):
    deployer, raw = recorded

    _walk_hosting(deployer)

    assert raw.problems() == {name: [] for name in raw.bodies}
    assert {"DescribeEndpoint", "DescribeEndpointConfig", "DescribeModel", "ListTags"} <= set(
        raw.bodies
    )


def test_model_registry_answers_fit_the_output_shapes(recorded):
    deployer, raw = recorded
    sm = deployer.sagemaker
    sm.create_model_package_group(ModelPackageGroupName="churn")
    image = deployer.register_image()
    data = deployer.upload("pkg/model.tar.gz", b"not read")
    arn = sm.create_model_package(
        ModelPackageGroupName="churn",
        InferenceSpecification={
            "Containers": [{"Image": image, "ModelDataUrl": data}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]

    sm.describe_model_package_group(ModelPackageGroupName="churn")
    sm.describe_model_package(ModelPackageName=arn)
    sm.list_model_packages(ModelPackageGroupName="churn")
    sm.list_model_package_groups()

    assert raw.problems() == {name: [] for name in raw.bodies}


def test_a_described_config_can_be_sent_back_as_a_new_one(recorded):
    """The SDK's update_endpoint copies DescribeEndpointConfig into CreateEndpointConfig."""
    deployer, _ = recorded
    sm = deployer.sagemaker
    deployer.config("plain", ("primary", deployer.model("m1"), 1.0))
    described = sm.describe_endpoint_config(EndpointConfigName="plain")

    copy = {
        key: described[key]
        for key in ("ProductionVariants", "DataCaptureConfig", "KmsKeyId")
        if key in described
    }
    sm.create_endpoint_config(EndpointConfigName="plain-copy", **copy)

    assert "DataCaptureConfig" not in described


def test_image_and_autoscaling_answers_the_project_reads_fit_the_output_shapes(recorded):
    deployer, _ = recorded
    ecr, ecr_raw = recording_client("ecr")
    autoscaling, scaling_raw = recording_client("application-autoscaling")
    deployer.ecr = ecr
    deployer.register_image("serve")
    target = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": "endpoint/ep/variant/primary",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
    }
    autoscaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=4)
    autoscaling.put_scaling_policy(
        **target,
        PolicyName="invocations",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 70.0,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
        },
    )

    ecr.describe_repositories()
    ecr.describe_images(repositoryName="serve")
    autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")
    autoscaling.describe_scaling_policies(ServiceNamespace="sagemaker")

    assert ecr_raw.problems() == {name: [] for name in ecr_raw.bodies}
    assert scaling_raw.problems() == {name: [] for name in scaling_raw.bodies}
