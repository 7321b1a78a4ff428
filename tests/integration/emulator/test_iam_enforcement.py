"""With IAM enforcement on, requests need emulated-IAM credentials whose policy allows them."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError

DESCRIBE_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sagemaker:DescribeEndpoint", "Resource": "*"}],
}


@pytest.fixture
def enforcing(aws):
    aws.configure(enforce_iam=True)
    yield aws
    aws.configure(enforce_iam=False)


def _client(service, credentials):
    return boto3.client(
        service,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
    )


def test_unknown_credentials_are_rejected(enforcing):
    with pytest.raises(ClientError) as raised:
        boto3.client("sagemaker").list_models()

    assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_admin_credentials_are_allowed_everything(enforcing):
    admin = _client("sagemaker", enforcing.admin_credentials)

    assert admin.list_models()["Models"] == []


def test_least_privilege_user_gets_only_what_its_policy_allows(enforcing):
    iam = _client("iam", enforcing.admin_credentials)
    iam.create_user(UserName="deployer")
    iam.put_user_policy(
        UserName="deployer", PolicyName="describe", PolicyDocument=json.dumps(DESCRIBE_ONLY)
    )
    key = iam.create_access_key(UserName="deployer")["AccessKey"]
    limited = boto3.client(
        "sagemaker",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )

    with pytest.raises(ClientError) as allowed_but_missing:
        limited.describe_endpoint(EndpointName="nope")
    with pytest.raises(ClientError) as denied:
        limited.list_models()

    assert allowed_but_missing.value.response["Error"]["Code"] == "ValidationException"
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"


def test_turning_enforcement_off_accepts_any_credentials_again(enforcing):
    enforcing.configure(enforce_iam=False)

    assert boto3.client("sagemaker").list_models()["Models"] == []


def test_reset_turns_enforcement_switched_on_at_runtime_off(enforcing):
    enforcing.reset()

    assert boto3.client("sagemaker").list_models()["Models"] == []
