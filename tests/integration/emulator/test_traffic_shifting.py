"""Blue/green traffic shifting: canary and linear updates move part of the traffic, bake, and
roll back on an alarm; the emulator waits the bakes out (scaled by its `wait_scale`)."""

import time

import boto3

from testkit.scratch import create_5xx_alarm


def blue_green(routing: dict, termination_wait: int = 0, alarms: tuple[str, ...] = ()) -> dict:
    config = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": termination_wait,
            "MaximumExecutionTimeoutInSeconds": 3600,
        }
    }
    if alarms:
        config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in alarms]}
    return config


def pending_status(live, endpoint: str = "ep") -> str | None:
    summary = live.sagemaker.describe_endpoint(EndpointName=endpoint).get(
        "PendingDeploymentSummary"
    )
    if summary is None:
        return None
    return summary["ProductionVariants"][0]["VariantStatus"][0]["Status"]


def wait_for_phase(live, phase: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while pending_status(live) != phase:
        assert time.monotonic() < deadline, f"the update never reached {phase}"
        time.sleep(0.05)


def test_a_canary_serves_both_models_while_it_bakes_then_only_the_new_one(live):
    canary = blue_green(
        {
            "Type": "CANARY",
            "WaitIntervalInSeconds": 400,  # 4 s at the tests' wait scale
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50},
        }
    )
    live.sagemaker.update_endpoint(
        EndpointName="ep", EndpointConfigName="v2", DeploymentConfig=canary
    )

    wait_for_phase(live, "Baking")
    during_bake = {live.predict("ep") for _ in range(40)}
    still = live.sagemaker.describe_endpoint(EndpointName="ep")
    done = live.wait_in_service("ep")

    assert during_bake == {"6", "106"}
    assert (still["EndpointStatus"], still["EndpointConfigName"]) == ("Updating", "v1")
    assert done["EndpointConfigName"] == "v2"
    assert {live.predict("ep") for _ in range(10)} == {"106"}


def test_the_bake_is_waited_out_before_the_update_completes(live, aws):
    aws.configure(wait_scale=1.0)
    canary = blue_green(
        {
            "Type": "CANARY",
            "WaitIntervalInSeconds": 600,
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
        }
    )
    live.sagemaker.update_endpoint(
        EndpointName="ep", EndpointConfigName="v2", DeploymentConfig=canary
    )
    wait_for_phase(live, "Baking")
    time.sleep(1.0)

    assert live.status("ep") == "Updating"
    aws.configure(wait_scale=0)  # a knob change applies to the bake in flight
    assert live.wait_in_service("ep")["EndpointConfigName"] == "v2"


def test_an_alarm_during_the_termination_wait_moves_traffic_back_to_the_old_fleet(live):
    create_5xx_alarm("ep-5xx", "ep")
    linear = blue_green(
        {
            "Type": "LINEAR",
            "WaitIntervalInSeconds": 0,
            "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 50},
        },
        termination_wait=600,  # 6 s at the tests' wait scale
        alarms=("ep-5xx",),
    )
    live.sagemaker.update_endpoint(
        EndpointName="ep", EndpointConfigName="v2", DeploymentConfig=linear
    )
    wait_for_phase(live, "Baking")
    on_new_fleet = {live.predict("ep") for _ in range(10)}
    baking = live.sagemaker.describe_endpoint(EndpointName="ep")

    boto3.client("cloudwatch").set_alarm_state(
        AlarmName="ep-5xx", StateValue="ALARM", StateReason="5xx on the new fleet"
    )
    rolled_back = live.wait_in_service("ep")

    assert on_new_fleet == {"106"}
    assert (baking["EndpointStatus"], baking["EndpointConfigName"]) == ("Updating", "v1")
    assert rolled_back["EndpointConfigName"] == "v1"
    assert "ep-5xx" in rolled_back["FailureReason"]
    assert {live.predict("ep") for _ in range(10)} == {"6"}


def test_the_pending_variants_say_creating_until_the_new_fleet_is_up(live, aws):
    aws.configure(transition_seconds=30)
    live.sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="v2")

    assert pending_status(live) == "Creating"
    assert live.predict("ep") == "6"
    aws.configure(transition_seconds=0)
    live.wait_in_service("ep")


def test_invokes_never_fail_through_a_linear_update(live):
    linear = blue_green(
        {
            "Type": "LINEAR",
            "WaitIntervalInSeconds": 100,
            "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
        }
    )
    live.sagemaker.update_endpoint(
        EndpointName="ep", EndpointConfigName="v2", DeploymentConfig=linear
    )
    answers = []
    while live.status("ep") == "Updating":
        answers.append(live.predict("ep"))

    third = len(answers) // 3
    early, late = answers[:third], answers[-third:]
    assert set(answers) == {"6", "106"}
    # 25% of the traffic on the new model in the first step, 75% in the last one.
    assert early.count("106") < late.count("106")
    assert live.predict("ep") == "106"
