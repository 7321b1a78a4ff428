"""Fault injection (throttling, failed updates), the call log and the HTTP control API."""

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from smgitops.emulator import ApiCall, Emulator, EmulatorControl

NO_RETRIES = Config(retries={"mode": "standard", "max_attempts": 1})


def test_throttled_json_call_is_a_throttling_exception(aws):
    aws.configure(throttle_rate=1.0)
    sagemaker = boto3.client("sagemaker", config=NO_RETRIES)

    with pytest.raises(ClientError) as raised:
        sagemaker.list_endpoints()

    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_throttled_s3_call_is_a_slow_down_503(aws):
    aws.configure(throttle_rate=1.0)
    s3 = boto3.client("s3", config=NO_RETRIES)

    with pytest.raises(ClientError) as raised:
        s3.list_buckets()

    assert raised.value.response["Error"]["Code"] == "SlowDown"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503


@pytest.mark.parametrize(
    ("service", "call", "code"),
    [
        ("iam", lambda client: client.list_users(), "Throttling"),
        ("cloudwatch", lambda client: client.describe_alarms(), "ThrottlingException"),
        (
            "sagemaker-runtime",
            lambda client: client.invoke_endpoint(EndpointName="x", Body=b"1"),
            "ThrottlingException",
        ),
    ],
)
def test_every_protocol_gets_its_own_throttling_error(aws, service, call, code):
    aws.configure(throttle_rate=1.0)

    with pytest.raises(ClientError) as raised:
        call(boto3.client(service, config=NO_RETRIES))

    assert raised.value.response["Error"]["Code"] == code


def test_throttling_can_target_one_service(aws):
    aws.configure(throttle_rate=1.0, throttle_services=["sagemaker"])

    boto3.client("s3", config=NO_RETRIES).list_buckets()
    with pytest.raises(ClientError):
        boto3.client("sagemaker", config=NO_RETRIES).list_models()


def test_standard_retries_ride_out_partial_throttling(aws):
    aws.configure(throttle_rate=0.3, seed=7)
    retrying = Config(retries={"mode": "standard", "max_attempts": 10})
    sagemaker = boto3.client("sagemaker", config=retrying)

    for _ in range(10):
        sagemaker.list_models()

    calls = aws.calls()
    assert len([c for c in calls if not c.throttled]) == 10
    assert any(c.throttled for c in calls)


def test_call_log_names_service_and_operation(deployer, aws):
    aws.clear_calls()
    deployer.config("cfg", ("primary", deployer.model("m"), 1.0))

    calls = {(c.service, c.operation) for c in aws.calls()}

    assert ("s3", "PutObject") in calls
    assert ("ecr", "PutImage") in calls
    assert ("sagemaker", "CreateModel") in calls
    assert ("sagemaker", "CreateEndpointConfig") in calls


def test_control_api_reports_calls_to_another_process(aws):
    boto3.client("sagemaker").list_models()
    control = EmulatorControl(aws.url)

    assert control.calls() == [ApiCall("sagemaker", "ListModels", False)]
    control.clear_calls()
    assert control.calls() == []


def test_control_api_sets_knobs(aws):
    control = EmulatorControl(aws.url)

    knobs = control.configure(
        fail_next_updates=2, transition_seconds=0.5, latency_seconds=0.01, wait_scale=0.5
    )

    assert knobs["fail_next_updates"] == 2
    assert knobs["transition_seconds"] == 0.5
    assert knobs["latency_seconds"] == 0.01
    assert knobs["wait_scale"] == 0.5
    assert aws.knobs() == knobs


def test_control_api_rejects_a_negative_wait_scale(aws):
    answer = requests.post(f"{aws.url}/_smgitops/faults", json={"wait_scale": -1}, timeout=10)

    assert answer.status_code == 400
    assert "wait_scale" in answer.json()["error"]


def test_control_api_rejects_unknown_knobs(aws):
    answer = requests.post(f"{aws.url}/_smgitops/faults", json={"explode": True}, timeout=10)

    assert answer.status_code == 400
    assert "explode" in answer.json()["error"]


def test_control_api_reset_forgets_resources_and_faults(deployer, aws):
    deployer.model("m")
    aws.configure(fail_next_updates=3)

    EmulatorControl(aws.url).reset()

    assert deployer.sagemaker.list_models()["Models"] == []
    assert aws.knobs()["fail_next_updates"] == 0


def test_injected_update_failures_count_down(deployer, aws):
    deployer.config("v1", ("primary", deployer.model("m1"), 1.0))
    deployer.config("v2", ("primary", deployer.model("m2", offset=100), 1.0))
    deployer.endpoint("ep", "v1")
    EmulatorControl(aws.url).configure(fail_next_updates=2)

    outcomes = []
    for _ in range(3):
        deployer.sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="v2")
        outcomes.append("FailureReason" in deployer.wait_in_service("ep"))

    assert outcomes == [True, True, False]


def test_a_second_emulator_in_the_same_process_is_refused(emulator):
    with pytest.raises(RuntimeError, match="already running"):
        Emulator(port=0).start()
