"""SageMaker's limits hold at the API, before any model sees a request (docs/emulator.md,
"Limits"): request bodies per variant kind, the invocation timeout, header and name lengths."""

import pytest
from botocore.exceptions import ClientError

from .conftest import ROLE_ARN

# Answers with the size of what it received, so a test sees whether the model was reached.
SIZE_MODEL = """
    import json

    def model_fn(model_dir):
        return None

    def transform_fn(model, body, content_type, accept):
        return json.dumps({"received": len(body)}), "application/json"
"""

SLOW_ANSWER_MODEL = """
    import time

    def model_fn(model_dir):
        return None

    def transform_fn(model, body, content_type, accept):
        time.sleep(5)
        return "late", "text/plain"
"""

REAL_TIME_LIMIT = 6_291_456
SERVERLESS_LIMIT = 4 * 1024 * 1024


def _endpoint(deployer, name, source=SIZE_MODEL, environment=None, **variant):
    """An InService endpoint `name` with one variant `primary` running `source`."""
    deployer.one_variant_config(name, deployer.unique_model(name, source, environment), **variant)
    return deployer.endpoint(name, name)


def _invoke(deployer, endpoint, body: bytes, **kwargs):
    answer = deployer.runtime.invoke_endpoint(
        EndpointName=endpoint, Body=body, ContentType="application/octet-stream", **kwargs
    )
    return answer["Body"].read()


def test_a_body_over_six_mb_is_refused_by_the_api_even_if_the_model_would_take_it(deployer):
    endpoint = _endpoint(deployer, "big", environment={"SAGEMAKER_MAX_PAYLOAD_IN_MB": "20"})

    with pytest.raises(ClientError) as raised:
        _invoke(deployer, endpoint, b"x" * (REAL_TIME_LIMIT + 1))

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert raised.value.response["Error"]["Message"] == (
        f"HTTP content length exceeded {REAL_TIME_LIMIT} bytes."
    )
    assert _invoke(deployer, endpoint, b"x" * REAL_TIME_LIMIT) == (
        f'{{"received": {REAL_TIME_LIMIT}}}'.encode()
    )


def test_a_serverless_endpoint_refuses_bodies_over_four_mb(deployer):
    endpoint = _endpoint(
        deployer,
        "sls",
        environment={"SAGEMAKER_MAX_PAYLOAD_IN_MB": "20"},
        ServerlessConfig={"MemorySizeInMB": 2048, "MaxConcurrency": 1},
    )

    with pytest.raises(ClientError) as raised:
        _invoke(deployer, endpoint, b"x" * (SERVERLESS_LIMIT + 1))

    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert raised.value.response["Error"]["Message"].endswith("has oversize body.")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert _invoke(deployer, endpoint, b"x" * SERVERLESS_LIMIT) == (
        f'{{"received": {SERVERLESS_LIMIT}}}'.encode()
    )


@pytest.mark.parametrize(
    ("argument", "value", "shown", "limit"),
    [
        # A sensitive member's value is left out of the message.
        ("CustomAttributes", "a" * 1025, "Value at 'customAttributes'", 1024),
        ("InferenceId", "i" * 65, f"Value '{'i' * 65}' at 'inferenceId'", 64),
        ("TargetVariant", "v" * 64, f"Value '{'v' * 64}' at 'targetVariant'", 63),
        (
            "InferenceComponentName",
            "c" * 64,
            f"Value '{'c' * 64}' at 'inferenceComponentName'",
            63,
        ),
    ],
)
def test_over_long_invocation_headers_are_validation_errors(
    deployer, argument, value, shown, limit
):
    endpoint = _endpoint(deployer, "hdr")

    with pytest.raises(ClientError) as raised:
        _invoke(deployer, endpoint, b"1", **{argument: value})

    assert raised.value.response["Error"] == {
        "Code": "ValidationError",
        "Message": (
            f"1 validation error detected: {shown} failed to satisfy constraint: "
            f"Member must have length less than or equal to {limit}"
        ),
    }


def test_an_answer_slower_than_the_invocation_timeout_is_a_model_error(deployer, aws):
    # 60 s of AWS time is 1 s here; the server itself may take up to an hour (60 s) to start.
    aws.configure(timeout_scale=1 / 60)
    endpoint = _endpoint(
        deployer,
        "slow",
        source=SLOW_ANSWER_MODEL,
        ContainerStartupHealthCheckTimeoutInSeconds=3600,
    )

    with pytest.raises(ClientError) as raised:
        _invoke(deployer, endpoint, b"1")

    error = raised.value.response["Error"]
    assert error["Code"] == "ModelError"
    assert (
        "Your invocation timed out while waiting for a response from container primary"
        in (error["Message"])
    )


def _create_error(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]


def test_create_calls_refuse_names_over_63_characters(deployer):
    sm, long_name = deployer.sagemaker, "n" * 64
    model = deployer.model("m")
    deployer.config("cfg", ("primary", model, 1.0))

    refusals = {
        "modelName": _create_error(
            sm.create_model,
            ModelName=long_name,
            ExecutionRoleArn=ROLE_ARN,
            PrimaryContainer={"Image": "registry.example.com/serve:1"},
        ),
        "endpointConfigName": _create_error(
            sm.create_endpoint_config,
            EndpointConfigName=long_name,
            ProductionVariants=[
                {"VariantName": "v", "ModelName": model, "InstanceType": "ml.m5.large"}
            ],
        ),
        "endpointName": _create_error(
            sm.create_endpoint, EndpointName=long_name, EndpointConfigName="cfg"
        ),
    }

    for member, error in refusals.items():
        # Some name patterns bound the length too, so a second error may be listed.
        assert error["Code"] == "ValidationException"
        assert (
            f"Value '{long_name}' at '{member}' failed to satisfy constraint: "
            "Member must have length less than or equal to 63"
        ) in error["Message"]


def test_names_must_match_the_documented_pattern(deployer):
    model = deployer.model("m")

    error = _create_error(
        deployer.sagemaker.create_endpoint_config,
        EndpointConfigName="cfg",
        ProductionVariants=[
            {"VariantName": "blue_green", "ModelName": model, "InstanceType": "ml.m5.large"}
        ],
    )

    assert error == {
        "Code": "ValidationException",
        "Message": (
            "1 validation error detected: Value 'blue_green' at "
            "'productionVariants.1.member.variantName' failed to satisfy constraint: Member "
            "must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
        ),
    }
    assert "cfg" not in str(deployer.sagemaker.list_endpoint_configs())


def test_every_broken_constraint_of_a_request_is_listed(deployer):
    error = _create_error(
        deployer.sagemaker.create_model,
        ModelName="bad_name",
        ExecutionRoleArn=ROLE_ARN,
        PrimaryContainer={
            "Image": "registry.example.com/serve:1",
            "ModelDataUrl": "ftp://models/model.tar.gz",
        },
    )

    assert error["Message"].startswith("2 validation errors detected: Value 'bad_name' at")
    assert "at 'primaryContainer.modelDataUrl' failed to satisfy constraint" in error["Message"]
