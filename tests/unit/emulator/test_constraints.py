"""The constraint check of requests against botocore's model, in AWS's wording (pure)."""

import botocore.session
import pytest

from smgitops.emulator import constraints, limits
from smgitops.emulator.served import ServedContainer, ServedVariant

_SESSION = botocore.session.get_session()
SAGEMAKER = _SESSION.get_service_model("sagemaker")
RUNTIME = _SESSION.get_service_model("sagemaker-runtime")
ROLE = "arn:aws:iam::123456789012:role/sagemaker-execution"


def _model_request(**changes):
    return {
        "ModelName": "scorer",
        "ExecutionRoleArn": ROLE,
        "PrimaryContainer": {"Image": "registry.example.com/serve:1"},
        **changes,
    }


def test_a_valid_request_breaks_nothing():
    assert constraints.errors(SAGEMAKER.operation_model("CreateModel"), _model_request()) == []


def test_list_items_and_nested_members_are_named_by_their_path():
    request = {
        "EndpointConfigName": "cfg",
        "ProductionVariants": [
            {"VariantName": "ok", "ModelName": "m", "InstanceType": "ml.m5.large"},
            {
                "VariantName": "v",
                "ModelName": "m",
                "InstanceType": "ml.m5.large",
                "ContainerStartupHealthCheckTimeoutInSeconds": 3601,
            },
        ],
    }

    problems = constraints.errors(SAGEMAKER.operation_model("CreateEndpointConfig"), request)

    assert problems == [
        "Value '3601' at 'productionVariants.2.member.containerStartupHealthCheckTimeoutInSeconds'"
        " failed to satisfy constraint: Member must have value less than or equal to 3600"
    ]


def test_missing_required_members_are_null():
    problems = constraints.errors(
        SAGEMAKER.operation_model("CreateEndpoint"), {"EndpointName": "ep"}
    )

    assert problems == [
        "Value null at 'endpointConfigName' failed to satisfy constraint: Member must not be null"
    ]


def test_map_entries_are_reported_against_the_map():
    request = _model_request(
        PrimaryContainer={"Image": "i", "Environment": {"1BAD": "x", "OK": "y" * 1025}}
    )

    problems = constraints.errors(SAGEMAKER.operation_model("CreateModel"), request)

    assert [p.split(" failed")[0] for p in problems] == [
        "Value '1BAD' at 'primaryContainer.environment'",
        f"Value '{'y' * 1025}' at 'primaryContainer.environment'",
    ]
    assert "Map keys must satisfy constraint: [Member must satisfy regular" in problems[0]
    assert problems[1].endswith(
        "Map value must satisfy constraint: [Member must have length less than or equal to 1024]"
    )


@pytest.mark.parametrize(
    ("attributes", "broken"),
    [("plain ascii; k=v", False), ("caf\u00e9", True)],
)
def test_java_classes_in_patterns_are_understood(attributes, broken):
    problems = constraints.errors(
        RUNTIME.operation_model("InvokeEndpoint"),
        {"EndpointName": "ep", "Body": b"1", "CustomAttributes": attributes},
    )

    assert bool(problems) is broken
    # CustomAttributes is sensitive: its value is not repeated.
    assert all(p.startswith("Value at 'customAttributes'") for p in problems)


def test_owned_enums_are_left_to_their_owner():
    request = {
        "EndpointConfigName": "cfg",
        "ProductionVariants": [
            {"VariantName": "v", "ModelName": "m", "InstanceType": "ml.future.large"}
        ],
    }
    operation = SAGEMAKER.operation_model("CreateEndpointConfig")

    assert constraints.errors(operation, request)
    assert (
        constraints.errors(operation, request, frozenset({"ProductionVariantInstanceType"})) == []
    )


def test_the_message_counts_the_errors():
    assert constraints.message(["a"]) == "1 validation error detected: a"
    assert constraints.message(["a", "b"]) == "2 validation errors detected: a; b"


def _variant(serverless=False, startup=None, download=None) -> ServedVariant:
    container = ServedContainer("m", "image", None, ())
    return ServedVariant("v", 1.0, container, serverless, startup, download)


def test_startup_timeouts_are_the_variants_own_scaled():
    timeouts = limits.timeouts_of(_variant(startup=600, download=120), timeout_scale=0.5)

    assert (timeouts.startup_seconds, timeouts.download_seconds) == (300, 60)


def test_startup_timeouts_default_per_variant_kind():
    instance = limits.timeouts_of(_variant(), timeout_scale=1)
    serverless = limits.timeouts_of(_variant(serverless=True, startup=3600), timeout_scale=1)

    assert (instance.startup_seconds, instance.download_seconds) == (60, 3600)
    assert (serverless.startup_seconds, serverless.download_seconds) == (180, 180)
