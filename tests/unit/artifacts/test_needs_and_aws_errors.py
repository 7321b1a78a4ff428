from __future__ import annotations

import pytest
from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from smgitops.artifacts.needs import models_used
from smgitops.aws.clients import aws_errors, client
from smgitops.core.desired import DesiredEnv, EndpointSpec, ModelSource, VariantSpec
from smgitops.errors import AwsError
from testkit.values import env_settings

SETTINGS = env_settings(region="eu-west-1", artifact_bucket="bucket", ecr_repository="repo")


def _endpoint(name: str, model: str) -> EndpointSpec:
    return EndpointSpec(
        name=name,
        endpoint_name=f"staging-{name}",
        env="staging",
        manifest_path=f"deployments/staging/{name}.yaml",
        model=ModelSource(kind="folder", name=model, path=f"models/{model}"),
        variants=(VariantSpec(name="primary", instance_type="ml.m5.large", instance_count=1),),
    )


def test_models_used_lists_each_model_folder_once_sorted():
    desired = DesiredEnv(
        settings=SETTINGS,
        endpoints=(_endpoint("b", "zeta"), _endpoint("a", "alpha"), _endpoint("c", "zeta")),
    )

    assert models_used(desired) == ("alpha", "zeta")


def test_env_without_endpoints_uses_no_models():
    assert models_used(DesiredEnv(settings=SETTINGS, endpoints=())) == ()


def test_clients_use_adaptive_retries_and_the_requested_region():
    s3 = client("s3", "eu-central-1")

    assert s3.meta.region_name == "eu-central-1"
    # botocore counts the first call too: 10 retries are 11 attempts in all.
    assert s3.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 11}


def test_endpoint_url_comes_from_the_standard_environment_variable(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5999")

    assert client("ecr", "us-east-1").meta.endpoint_url == "http://127.0.0.1:5999"


@pytest.mark.parametrize(
    ("raised", "message"),
    [
        (NoCredentialsError(), "publishing demo: no AWS credentials found"),
        (
            EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
            "publishing demo: cannot reach http://127.0.0.1:1",
        ),
        (
            ClientError({"Error": {"Code": "AccessDenied", "Message": "nope"}}, "PutObject"),
            "publishing demo: AccessDenied: nope",
        ),
        (
            S3UploadFailedError("Failed to upload model.tar.gz: AccessDenied"),
            "publishing demo: Failed to upload model.tar.gz: AccessDenied",
        ),
    ],
)
def test_aws_failures_become_one_line_user_errors(raised, message):
    with pytest.raises(AwsError) as caught, aws_errors("publishing demo"):
        raise raised

    assert caught.value.message.startswith(message)
    assert "\n" not in caught.value.message
