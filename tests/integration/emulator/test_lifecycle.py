"""Endpoint lifecycle as SageMaker shows it: Creating, InService, Failed, Deleting, gone."""

import boto3
import pytest
from botocore.exceptions import ClientError, WaiterError

from .conftest import BROKEN_MODEL, FAST_WAIT, IMAGE


def test_new_endpoint_is_creating_then_in_service(deployer, aws):
    aws.configure(transition_seconds=30)
    deployer.config("cfg", ("primary", deployer.model("m"), 1.0))
    deployer.endpoint("ep", "cfg", wait=False)

    assert deployer.status("ep") == "Creating"
    aws.configure(transition_seconds=0.1)  # applies to the transition in flight
    described = deployer.wait_in_service("ep")
    assert described["EndpointStatus"] == "InService"
    assert "FailureReason" not in described


def test_endpoint_list_shows_the_creating_status(deployer, aws):
    aws.configure(transition_seconds=30)
    deployer.config("cfg", ("primary", deployer.model("m"), 1.0))
    deployer.endpoint("ep", "cfg", wait=False)

    listed = deployer.sagemaker.list_endpoints(StatusEquals="Creating")["Endpoints"]

    assert [e["EndpointName"] for e in listed] == ["ep"]


def test_zero_transition_seconds_is_in_service_at_first_look(deployer, aws):
    aws.configure(transition_seconds=0)
    deployer.config("cfg", ("primary", deployer.model("m"), 1.0))
    deployer.endpoint("ep", "cfg", wait=False)

    assert deployer.wait_in_service("ep")["EndpointStatus"] == "InService"


def test_missing_model_data_fails_the_endpoint_with_a_reason(deployer):
    deployer.upload("unrelated", b"x")
    model = deployer.model("m", data_url="s3://models-bucket/missing/model.tar.gz")
    deployer.config("cfg", ("primary", model, 1.0))
    deployer.endpoint("ep", "cfg", wait=False)

    with pytest.raises(WaiterError, match="Failed"):
        deployer.wait_in_service("ep")
    described = deployer.sagemaker.describe_endpoint(EndpointName="ep")
    assert described["EndpointStatus"] == "Failed"
    assert described["FailureReason"].startswith(
        'Failed to download model data for container "container_1" from URL: '
        '"s3://models-bucket/missing/model.tar.gz".'
    )


def test_missing_ecr_image_fails_the_endpoint_with_a_reason(deployer):
    missing = "123456789012.dkr.ecr.us-east-1.amazonaws.com/nothing-here:v9"
    deployer.config("cfg", ("primary", deployer.model("m", image=missing), 1.0))
    deployer.endpoint("ep", "cfg", wait=False)

    with pytest.raises(WaiterError):
        deployer.wait_in_service("ep")
    described = deployer.sagemaker.describe_endpoint(EndpointName="ep")
    assert described["EndpointStatus"] == "Failed"
    assert described["FailureReason"] == f"Requested image {missing} not found."


def test_image_referenced_by_digest_is_found(deployer):
    deployer.register_image()
    digest = deployer.ecr.describe_images(repositoryName="smgitops-serve")["imageDetails"][0][
        "imageDigest"
    ]
    by_digest = f"{IMAGE.rsplit(':', 1)[0]}@{digest}"
    deployer.config("cfg", ("primary", deployer.model("m", image=by_digest), 1.0))

    described = deployer.endpoint("ep", "cfg") and deployer.sagemaker.describe_endpoint(
        EndpointName="ep"
    )

    images = described["ProductionVariants"][0]["DeployedImages"]
    assert images[0]["SpecifiedImage"] == by_digest
    assert images[0]["ResolvedImage"] == by_digest


def test_endpoint_whose_model_was_deleted_is_rejected(deployer):
    deployer.config("cfg", ("primary", deployer.model("m"), 1.0))
    deployer.sagemaker.delete_model(ModelName="m")

    with pytest.raises(ClientError) as raised:
        deployer.endpoint("ep", "cfg")

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "Could not find model" in raised.value.response["Error"]["Message"]


def test_model_that_does_not_load_fails_the_ping_health_check(deployer):
    deployer.config("cfg", ("primary", deployer.model("m", source=BROKEN_MODEL), 1.0))
    deployer.endpoint("ep", "cfg", wait=False)

    with pytest.raises(WaiterError):
        deployer.wait_in_service("ep")
    reason = deployer.sagemaker.describe_endpoint(EndpointName="ep")["FailureReason"]
    # AWS's sentence, then the model's own error, which AWS keeps in CloudWatch Logs.
    assert reason.startswith(
        "The primary container for production variant primary did not pass the ping health "
        "check. Please check CloudWatch logs for this endpoint. (emulator: the model's error: "
    )
    assert reason.endswith(
        "model_fn in code/inference.py failed: RuntimeError: weights are corrupt (inference.py:3))"
    )


def test_injected_create_failure_fails_only_the_next_endpoint(deployer, aws):
    aws.fail_next_creates(1)
    deployer.config("cfg", ("primary", deployer.model("m"), 1.0))
    deployer.endpoint("first", "cfg", wait=False)
    deployer.endpoint("second", "cfg", wait=False)

    with pytest.raises(WaiterError):
        deployer.wait_in_service("first")
    assert deployer.wait_in_service("second")["EndpointStatus"] == "InService"
    assert (
        "emulator fault"
        in deployer.sagemaker.describe_endpoint(EndpointName="first")["FailureReason"]
    )


def test_invoking_a_failed_endpoint_is_a_validation_error(deployer, aws):
    aws.fail_next_creates(1)
    deployer.config("cfg", ("primary", deployer.model("m"), 1.0))
    deployer.endpoint("ep", "cfg", wait=False)
    with pytest.raises(WaiterError):
        deployer.wait_in_service("ep")

    with pytest.raises(ClientError) as raised:
        deployer.predict("ep")
    assert raised.value.response["Error"]["Code"] == "ValidationError"


def test_delete_goes_through_deleting_and_the_deleted_waiter_returns(deployer, aws):
    deployer.config("cfg", ("primary", deployer.model("m"), 1.0))
    deployer.endpoint("ep", "cfg")
    aws.configure(transition_seconds=30)

    deployer.sagemaker.delete_endpoint(EndpointName="ep")

    assert deployer.status("ep") == "Deleting"
    aws.configure(transition_seconds=0.1)
    deployer.sagemaker.get_waiter("endpoint_deleted").wait(
        EndpointName="ep", WaiterConfig=FAST_WAIT
    )
    with pytest.raises(ClientError) as raised:
        deployer.sagemaker.describe_endpoint(EndpointName="ep")
    assert raised.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.parametrize(
    ("operation", "verb"),
    [
        ("update_endpoint", "update"),
        ("delete_endpoint", "delete"),
        ("update_endpoint_weights_and_capacities", "update"),
    ],
)
def test_changes_to_an_endpoint_in_progress_are_rejected(deployer, aws, operation, verb):
    aws.configure(transition_seconds=30)
    deployer.config("cfg", ("primary", deployer.model("m"), 1.0))
    deployer.endpoint("ep", "cfg", wait=False)
    arguments = {
        "update_endpoint": {"EndpointName": "ep", "EndpointConfigName": "cfg"},
        "delete_endpoint": {"EndpointName": "ep"},
        "update_endpoint_weights_and_capacities": {
            "EndpointName": "ep",
            "DesiredWeightsAndCapacities": [{"VariantName": "primary", "DesiredWeight": 2}],
        },
    }[operation]

    with pytest.raises(ClientError) as raised:
        getattr(deployer.sagemaker, operation)(**arguments)

    error = raised.value.response["Error"]
    assert error["Code"] == "ValidationException"
    arn = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep"
    assert error["Message"] == f'Cannot {verb} in-progress endpoint "{arn}".'


def test_weights_update_passes_through_updating_and_keeps_a_zero_weight(deployer, aws):
    deployer.config(
        "cfg", ("a", deployer.model("m1"), 1.0), ("b", deployer.model("m2", offset=100), 1.0)
    )
    deployer.endpoint("ep", "cfg")
    aws.configure(transition_seconds=30)

    deployer.sagemaker.update_endpoint_weights_and_capacities(
        EndpointName="ep",
        DesiredWeightsAndCapacities=[{"VariantName": "b", "DesiredWeight": 0}],
    )

    assert deployer.status("ep") == "Updating"
    aws.configure(transition_seconds=0.1)
    variants = {v["VariantName"]: v for v in deployer.wait_in_service("ep")["ProductionVariants"]}
    assert variants["b"]["CurrentWeight"] == 0
    assert variants["b"]["DesiredWeight"] == 0
    assert variants["a"]["CurrentInstanceCount"] == 1
    assert {deployer.predict("ep") for _ in range(10)} == {"6"}


def test_endpoints_are_per_region(deployer):
    deployer.config("cfg", ("primary", deployer.model("m"), 1.0))
    deployer.endpoint("ep", "cfg")

    elsewhere = boto3.client("sagemaker", region_name="eu-west-1")

    assert elsewhere.list_endpoints()["Endpoints"] == []


@pytest.mark.parametrize("data", [b"not a tarball", b""], ids=["garbage", "empty"])
def test_model_data_that_is_no_archive_fails_as_aws_words_it_not_as_a_ping_failure(deployer, data):
    url = deployer.upload("bad/model.tar.gz", data)
    model = deployer.model("bad", data_url=url)
    deployer.endpoint("ep", deployer.one_variant_config("cfg", model), wait=False)

    with pytest.raises(WaiterError):
        deployer.wait_in_service("ep")
    reason = deployer.sagemaker.describe_endpoint(EndpointName="ep")["FailureReason"]
    assert reason.startswith(
        f'Failed to extract model data archive for container "container_1" from URL "{url}". '
        "Please ensure that the object located at the URL is a valid tar.gz archive. "
        "(emulator: not a valid tar.gz archive: "
    )
