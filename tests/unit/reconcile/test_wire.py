"""AWS request shapes built from the plan: what SageMaker actually receives."""

from smgitops.aws.wire import (
    create_endpoint_config_request,
    parse_endpoint,
    update_endpoint_request,
)
from smgitops.core.desired import DeploymentSpec, TrafficStep
from smgitops.core.plan import Rollout
from testkit.values import desired, spec


def _rollout(deployment, retain=False):
    return Rollout(deployment, retain, "old-config")


def test_default_all_at_once_sends_no_deployment_config():
    request = update_endpoint_request("ep", "cfg", _rollout(DeploymentSpec()))
    assert request == {"EndpointName": "ep", "EndpointConfigName": "cfg"}


def test_canary_with_alarms_maps_to_blue_green_canary_and_auto_rollback():
    deployment = DeploymentSpec(
        strategy="canary",
        step=TrafficStep("percent", 10),
        bake_seconds=300,
        rollback_alarms=("churn-5xx",),
        timeout_seconds=1800,
    )
    request = update_endpoint_request("ep", "cfg", _rollout(deployment))
    assert request["DeploymentConfig"] == {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
                "WaitIntervalInSeconds": 300,
            },
            "MaximumExecutionTimeoutInSeconds": 1800,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "churn-5xx"}]},
    }


def test_rolling_maps_to_rolling_update_policy_with_instance_batches():
    deployment = DeploymentSpec(strategy="rolling", step=TrafficStep("instances", 1))
    policy = update_endpoint_request("ep", "cfg", _rollout(deployment))["DeploymentConfig"]
    assert policy["RollingUpdatePolicy"]["MaximumBatchSize"] == {
        "Type": "INSTANCE_COUNT",
        "Value": 1,
    }


def test_retained_capacity_keeps_counts_but_takes_weights_from_git():
    request = update_endpoint_request("ep", "cfg", _rollout(DeploymentSpec(), retain=True))
    assert request["RetainAllVariantProperties"] is True
    assert request["ExcludeRetainedVariantProperties"] == [{"VariantPropertyType": "DesiredWeight"}]


def test_endpoint_config_request_carries_counts_weights_and_tags():
    d = desired(spec())
    request = create_endpoint_config_request(d.config, d.capacity, (("team", "growth"),))
    (variant,) = request["ProductionVariants"]
    assert variant == {
        "VariantName": "primary",
        "ModelName": d.model.name,
        "InitialVariantWeight": 1.0,
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 2,
    }
    assert request["Tags"] == [{"Key": "team", "Value": "growth"}]


def test_an_update_in_flight_reports_the_new_fleets_phase():
    response = {
        "EndpointName": "ep",
        "EndpointStatus": "Updating",
        "EndpointConfigName": "v1",
        "PendingDeploymentSummary": {
            "EndpointConfigName": "v2",
            "ProductionVariants": [
                {"VariantName": "primary", "VariantStatus": [{"Status": "Baking"}]}
            ],
        },
    }

    assert parse_endpoint(response, []).pending_status == "Baking"
    del response["PendingDeploymentSummary"]
    assert parse_endpoint(response, []).pending_status is None
