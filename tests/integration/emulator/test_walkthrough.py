"""The classic manual boto3 walkthrough works unchanged and returns the real prediction."""

import boto3

from .conftest import ROLE_ARN, SUM_MODEL, model_tarball


def test_manual_boto3_walkthrough_returns_the_models_real_prediction(aws):
    s3 = boto3.client("s3")
    ecr = boto3.client("ecr")
    sagemaker = boto3.client("sagemaker")
    runtime = boto3.client("sagemaker-runtime")

    s3.create_bucket(Bucket="walkthrough-artifacts")
    s3.put_object(
        Bucket="walkthrough-artifacts",
        Key="churn/model.tar.gz",
        Body=model_tarball(SUM_MODEL, {"offset.txt": "0.5"}),
    )
    repository = ecr.create_repository(repositoryName="churn")["repository"]
    ecr.put_image(
        repositoryName="churn",
        imageTag="1",
        imageManifest='{"schemaVersion": 2, "config": {"size": 1, "digest": "sha256:00"},'
        ' "layers": [], "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}',
    )

    sagemaker.create_model(
        ModelName="churn-model",
        ExecutionRoleArn=ROLE_ARN,
        PrimaryContainer={
            "Image": f"{repository['repositoryUri']}:1",
            "ModelDataUrl": "s3://walkthrough-artifacts/churn/model.tar.gz",
        },
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="churn-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "churn-model",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="churn-config")
    sagemaker.get_waiter("endpoint_in_service").wait(
        EndpointName="churn", WaiterConfig={"Delay": 0.1, "MaxAttempts": 300}
    )

    response = runtime.invoke_endpoint(
        EndpointName="churn", ContentType="text/csv", Body=b"1.0,2.0,3.2"
    )

    assert response["Body"].read() == b"6.7"
    assert response["ContentType"].startswith("text/csv")
    assert response["InvokedProductionVariant"] == "AllTraffic"
