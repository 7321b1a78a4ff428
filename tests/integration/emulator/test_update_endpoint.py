"""UpdateEndpoint: blue/green with deployment guardrails, rollbacks, retained properties."""

import threading
import time

import boto3
import pytest
from botocore.exceptions import ClientError, WaiterError

from testkit.scratch import create_5xx_alarm

from .conftest import BROKEN_MODEL

ARN = "arn:aws:sagemaker:us-east-1:123456789012"
CANARY = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {
            "Type": "CANARY",
            "WaitIntervalInSeconds": 300,
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
        },
        "TerminationWaitInSeconds": 120,
        "MaximumExecutionTimeoutInSeconds": 1800,
    },
    "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "churn-5xx"}]},
}


def test_update_switches_traffic_to_the_new_model_when_it_completes(live, aws):
    aws.configure(transition_seconds=30)

    live.sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="v2")

    updating = live.sagemaker.describe_endpoint(EndpointName="ep")
    assert updating["EndpointStatus"] == "Updating"
    assert updating["EndpointConfigName"] == "v1"
    assert updating["PendingDeploymentSummary"]["EndpointConfigName"] == "v2"
    assert live.predict("ep") == "6"
    aws.configure(transition_seconds=0.1)  # applies to the update in flight
    done = live.wait_in_service("ep")
    assert done["EndpointConfigName"] == "v2"
    assert "PendingDeploymentSummary" not in done
    assert live.predict("ep") == "106"


def test_update_of_unknown_endpoint_or_config_is_a_validation_error(live):
    with pytest.raises(ClientError) as unknown_endpoint:
        live.sagemaker.update_endpoint(EndpointName="nope", EndpointConfigName="v2")
    with pytest.raises(ClientError) as unknown_config:
        live.sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="nope")

    assert unknown_endpoint.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": f'Could not find endpoint "{ARN}:endpoint/nope".',
    }
    assert unknown_config.value.response["Error"]["Code"] == "ValidationException"
    assert "Could not find endpoint configuration" in str(unknown_config.value)


def test_injected_update_failure_rolls_back_and_reports_the_reason(live, aws):
    aws.fail_next_updates(1)

    live.sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="v2")
    described = live.wait_in_service("ep")

    assert described["EndpointConfigName"] == "v1"
    assert "emulator fault" in described["FailureReason"]
    assert live.predict("ep") == "6"


def test_next_successful_update_clears_the_failure_reason(live, aws):
    aws.fail_next_updates(1)
    live.sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="v2")
    live.wait_in_service("ep")

    live.sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="v2")
    described = live.wait_in_service("ep")

    assert described["EndpointConfigName"] == "v2"
    assert "FailureReason" not in described


def test_update_to_a_model_that_does_not_load_rolls_back(live):
    live.config("broken", ("primary", live.model("bad", source=BROKEN_MODEL), 1.0))

    live.sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="broken")
    described = live.wait_in_service("ep")

    assert described["EndpointConfigName"] == "v1"
    assert "did not pass the ping health check" in described["FailureReason"]
    assert live.predict("ep") == "6"


def test_alarm_in_alarm_state_during_a_canary_update_rolls_it_back(live, aws):
    cloudwatch = boto3.client("cloudwatch")
    create_5xx_alarm("churn-5xx", "ep")
    aws.configure(transition_seconds=30)
    live.sagemaker.update_endpoint(
        EndpointName="ep", EndpointConfigName="v2", DeploymentConfig=CANARY
    )

    cloudwatch.set_alarm_state(AlarmName="churn-5xx", StateValue="ALARM", StateReason="5xx")
    assert live.status("ep") == "RollingBack"
    aws.configure(transition_seconds=0)
    described = live.wait_in_service("ep")

    assert described["EndpointConfigName"] == "v1"
    assert "churn-5xx" in described["FailureReason"]
    assert described["LastDeploymentConfig"] == CANARY
    assert live.predict("ep") == "6"


def test_canary_update_without_alarms_firing_completes_and_shows_its_config(live):
    create_5xx_alarm("churn-5xx", "ep")

    live.sagemaker.update_endpoint(
        EndpointName="ep", EndpointConfigName="v2", DeploymentConfig=CANARY
    )
    described = live.wait_in_service("ep")

    assert described["EndpointConfigName"] == "v2"
    assert described["LastDeploymentConfig"] == CANARY


@pytest.mark.parametrize(
    "policy",
    [
        {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
            }
        },
        {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {
                    "Type": "LINEAR",
                    "WaitIntervalInSeconds": 60,
                    "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
                }
            }
        },
        {
            "RollingUpdatePolicy": {
                "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
                "WaitIntervalInSeconds": 60,
            }
        },
    ],
    ids=["all-at-once", "linear", "rolling"],
)
def test_every_deployment_policy_completes(live, policy):
    live.sagemaker.update_endpoint(
        EndpointName="ep", EndpointConfigName="v2", DeploymentConfig=policy
    )

    described = live.wait_in_service("ep")

    assert described["EndpointConfigName"] == "v2"
    assert described["LastDeploymentConfig"] == policy


def test_canary_without_a_canary_size_is_rejected(live):
    policy = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "CANARY", "WaitIntervalInSeconds": 60}
        }
    }

    with pytest.raises(ClientError) as raised:
        live.sagemaker.update_endpoint(
            EndpointName="ep", EndpointConfigName="v2", DeploymentConfig=policy
        )

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert live.status("ep") == "InService"


def test_retain_all_variant_properties_keeps_the_live_instance_count(live):
    live.sagemaker.update_endpoint_weights_and_capacities(
        EndpointName="ep",
        DesiredWeightsAndCapacities=[{"VariantName": "primary", "DesiredInstanceCount": 3}],
    )
    live.wait_in_service("ep")

    live.sagemaker.update_endpoint(
        EndpointName="ep", EndpointConfigName="v2", RetainAllVariantProperties=True
    )
    variant = live.wait_in_service("ep")["ProductionVariants"][0]

    assert variant["CurrentInstanceCount"] == 3
    assert variant["DesiredInstanceCount"] == 3


def test_excluded_properties_come_from_the_new_config(live):
    live.sagemaker.update_endpoint_weights_and_capacities(
        EndpointName="ep",
        DesiredWeightsAndCapacities=[
            {"VariantName": "primary", "DesiredInstanceCount": 3, "DesiredWeight": 5}
        ],
    )
    live.wait_in_service("ep")

    live.sagemaker.update_endpoint(
        EndpointName="ep",
        EndpointConfigName="v2",
        RetainAllVariantProperties=True,
        ExcludeRetainedVariantProperties=[{"VariantPropertyType": "DesiredInstanceCount"}],
    )
    variant = live.wait_in_service("ep")["ProductionVariants"][0]

    assert variant["CurrentInstanceCount"] == 1
    assert variant["CurrentWeight"] == 5


def test_without_retain_the_new_config_sets_the_instance_count(live):
    live.sagemaker.update_endpoint_weights_and_capacities(
        EndpointName="ep",
        DesiredWeightsAndCapacities=[{"VariantName": "primary", "DesiredInstanceCount": 3}],
    )
    live.wait_in_service("ep")

    live.sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="v2")

    assert live.wait_in_service("ep")["ProductionVariants"][0]["CurrentInstanceCount"] == 1


def test_failed_endpoint_cannot_be_updated(deployer, aws):
    aws.fail_next_creates(1)
    deployer.config("v1", ("primary", deployer.model("m1"), 1.0))
    deployer.endpoint("ep", "v1", wait=False)
    with pytest.raises(WaiterError):
        deployer.wait_in_service("ep")

    with pytest.raises(ClientError) as raised:
        deployer.sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="v1")

    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_concurrent_invocations_during_an_update_never_fail(live, aws):
    aws.configure(transition_seconds=1.0)
    answers: list[str] = []
    errors: list[Exception] = []
    stop = threading.Event()

    def keep_invoking() -> None:
        runtime = boto3.client("sagemaker-runtime")
        while not stop.is_set():
            try:
                answer = runtime.invoke_endpoint(
                    EndpointName="ep", ContentType="text/csv", Body=b"1,2,3"
                )
                answers.append(answer["Body"].read().decode())
            except Exception as error:  # collected and asserted on below
                errors.append(error)

    workers = [threading.Thread(target=keep_invoking) for _ in range(4)]
    for worker in workers:
        worker.start()
    try:
        live.sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="v2")
        live.wait_in_service("ep")
        after_update = len(answers)
        while len(answers) < after_update + 8 and not errors:
            time.sleep(0.05)
    finally:
        stop.set()
        for worker in workers:
            worker.join()

    assert errors == []
    assert set(answers) == {"6", "106"}
    assert live.predict("ep") == "106"


def test_waits_beyond_aws_limits_are_rejected_as_aws_words_it(live):
    policy = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
            "TerminationWaitInSeconds": 5000,
            "MaximumExecutionTimeoutInSeconds": 30000,
        }
    }

    with pytest.raises(ClientError) as raised:
        live.sagemaker.update_endpoint(
            EndpointName="ep", EndpointConfigName="v2", DeploymentConfig=policy
        )

    assert raised.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "2 validation errors detected: Value '5000' at "
        "'deploymentConfig.blueGreenUpdatePolicy.terminationWaitInSeconds' failed to satisfy "
        "constraint: Member must have value less than or equal to 3600; Value '30000' at "
        "'deploymentConfig.blueGreenUpdatePolicy.maximumExecutionTimeoutInSeconds' failed to "
        "satisfy constraint: Member must have value less than or equal to 28800",
    }
    assert live.status("ep") == "InService"
