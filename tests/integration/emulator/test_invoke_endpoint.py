"""InvokeEndpoint runs the endpoint's real model and maps its errors as SageMaker does."""

import boto3
import pytest
from botocore.exceptions import ClientError

from .conftest import model_tarball

ENV_MODEL = """
    import os

    def model_fn(model_dir):
        return float(os.environ["OFFSET"])

    def input_fn(body, content_type):
        text = body.decode() if isinstance(body, bytes) else body
        return [float(cell) for cell in text.split(",")]

    def predict_fn(row, offset):
        return sum(row) + offset

    def output_fn(prediction, accept):
        return f"{prediction:g}", "text/csv"
"""

ECHO_ATTRIBUTES_MODEL = """
    def model_fn(model_dir):
        return None

    def transform_fn(model, body, content_type, accept, context):
        context.response_custom_attributes = "seen=" + (context.custom_attributes or "")
        return body, "application/octet-stream"
"""


@pytest.fixture
def endpoint(deployer):
    deployer.config("cfg", ("primary", deployer.model("m", offset=0.5), 1.0))
    return deployer.endpoint("ep", "cfg")


def test_prediction_comes_from_the_deployed_model(deployer, endpoint):
    assert deployer.predict(endpoint, "1,2\n3,4") == "3.5\n7.5"


def test_endpoint_keeps_serving_after_its_model_data_is_deleted(deployer, endpoint):
    deployer.s3.delete_object(Bucket="models-bucket", Key="m/model.tar.gz")

    assert deployer.predict(endpoint, "1,2") == "3.5"


def test_replacing_the_model_data_does_not_change_a_deployed_endpoint(deployer, endpoint):
    deployer.upload("m/model.tar.gz", model_tarball(ENV_MODEL))

    assert deployer.predict(endpoint, "1,2") == "3.5"


def test_unknown_endpoint_is_a_validation_error_naming_the_account(deployer):
    with pytest.raises(ClientError) as raised:
        deployer.predict("nope")

    assert raised.value.response["Error"] == {
        "Code": "ValidationError",
        "Message": "Endpoint nope of account 123456789012 not found.",
    }
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_endpoint_still_creating_cannot_be_invoked(deployer, aws):
    aws.configure(transition_seconds=30)
    deployer.config("cfg", ("primary", deployer.model("m"), 1.0))
    deployer.endpoint("ep", "cfg", wait=False)

    with pytest.raises(ClientError) as raised:
        deployer.predict("ep")

    assert raised.value.response["Error"]["Code"] == "ValidationError"


@pytest.mark.parametrize(("status", "kind"), [(400, "client"), (415, "client"), (500, "server")])
def test_container_errors_become_model_errors(deployer, endpoint, status, kind):
    with pytest.raises(ClientError) as raised:
        deployer.predict(endpoint, f"status={status}")

    response = raised.value.response
    assert response["Error"]["Code"] == "ModelError"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert response["OriginalStatusCode"] == status
    assert "refused on request" in response["OriginalMessage"]
    assert response["Error"]["Message"].startswith(
        f"Received {kind} error ({status}) from primary with message "
    )
    assert "/aws/sagemaker/Endpoints/ep" in response["LogStreamArn"]


def test_model_errors_are_the_clients_modeled_exception(deployer, endpoint):
    with pytest.raises(deployer.runtime.exceptions.ModelError):
        deployer.predict(endpoint, "status=500")


def test_target_variant_chooses_the_model(deployer):
    deployer.config(
        "cfg", ("a", deployer.model("m1"), 1.0), ("b", deployer.model("m2", offset=100), 1.0)
    )
    deployer.endpoint("ep", "cfg")

    answer = deployer.runtime.invoke_endpoint(
        EndpointName="ep", ContentType="text/csv", Body=b"1,2,3", TargetVariant="b"
    )

    assert answer["Body"].read() == b"106"
    assert answer["InvokedProductionVariant"] == "b"


def test_traffic_is_split_by_variant_weights(deployer):
    deployer.config(
        "cfg", ("a", deployer.model("m1"), 1.0), ("b", deployer.model("m2", offset=100), 1.0)
    )
    deployer.endpoint("ep", "cfg")

    answers = {deployer.predict("ep") for _ in range(60)}

    assert answers == {"6", "106"}


def test_unknown_target_variant_is_a_validation_error(deployer, endpoint):
    with pytest.raises(ClientError) as raised:
        deployer.runtime.invoke_endpoint(
            EndpointName=endpoint, ContentType="text/csv", Body=b"1", TargetVariant="nope"
        )

    assert raised.value.response["Error"]["Code"] == "ValidationError"


def test_model_environment_reaches_the_model(deployer, sagemaker):
    url = deployer.upload("env/model.tar.gz", model_tarball(ENV_MODEL))
    sagemaker.create_model(
        ModelName="env-model",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker-execution",
        PrimaryContainer={
            "Image": deployer.register_image(),
            "ModelDataUrl": url,
            "Environment": {"OFFSET": "1000"},
        },
    )
    deployer.config("cfg", ("primary", "env-model", 1.0))
    deployer.endpoint("ep", "cfg")

    assert deployer.predict("ep", "1,2") == "1003"


def test_custom_attributes_travel_both_ways(deployer, sagemaker):
    url = deployer.upload("echo/model.tar.gz", model_tarball(ECHO_ATTRIBUTES_MODEL))
    sagemaker.create_model(
        ModelName="echo",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker-execution",
        PrimaryContainer={"Image": deployer.register_image(), "ModelDataUrl": url},
    )
    deployer.config("cfg", ("primary", "echo", 1.0))
    deployer.endpoint("ep", "cfg")

    answer = boto3.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="ep",
        ContentType="application/octet-stream",
        Body=b"\x00\x01binary",
        CustomAttributes="trace=42",
    )

    assert answer["Body"].read() == b"\x00\x01binary"
    assert answer["CustomAttributes"] == "seen=trace=42"
