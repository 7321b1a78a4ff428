"""The handler contract through InvokeEndpoint: what a user's handlers receive on an emulated
endpoint is what AWS's toolkit hands them (docs/serving.md's "Handler contract" rows), since
the emulator forwards the request headers SageMaker forwards to the serving stack."""

import json

import pytest

from testkit.contract import ARGUMENTS


@pytest.fixture
def endpoint(deployer):
    model = deployer.unique_model("contract", ARGUMENTS)
    deployer.endpoint("contract", deployer.one_variant_config("contract", model))
    return "contract"


def _seen(deployer, endpoint: str, body: str, **request: str) -> tuple[dict, str]:
    answer = deployer.runtime.invoke_endpoint(EndpointName=endpoint, Body=body.encode(), **request)
    return json.loads(answer["Body"].read()), answer["ContentType"]


@pytest.mark.parametrize("content_type", ["application/json", "text/csv"])
def test_input_fn_gets_text_for_exactly_json_and_csv(deployer, endpoint, content_type):
    seen, _ = _seen(deployer, endpoint, "hello", ContentType=content_type)
    assert (seen["body_type"], seen["content_type"], seen["text"]) == ("str", content_type, "hello")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/json; charset=utf-8", "application/x-npy"]
)
def test_input_fn_gets_bytes_for_every_other_content_type(deployer, endpoint, content_type):
    seen, _ = _seen(deployer, endpoint, "hello", ContentType=content_type)
    assert (seen["body_type"], seen["content_type"], seen["text"]) == (
        "bytearray",
        content_type,
        "hello",
    )


@pytest.mark.parametrize("accept", [None, "*/*"])
def test_output_fn_sees_the_default_accept_when_none_or_any(deployer, endpoint, accept):
    request = {"ContentType": "text/csv", **({"Accept": accept} if accept else {})}
    seen, _ = _seen(deployer, endpoint, "x", **request)
    assert seen["accept"] == "application/json"


def test_a_bare_body_is_labelled_with_the_accept_header_as_sent(deployer, endpoint):
    accept = "text/csv;q=0.5, application/json"
    seen, content_type = _seen(deployer, endpoint, "x", ContentType="text/csv", Accept=accept)
    assert seen["accept"] == accept
    assert content_type == accept


def test_context_has_the_toolkits_interface(deployer, endpoint):
    seen, _ = _seen(deployer, endpoint, "x", ContentType="text/csv")
    assert seen["gpu_id"] is None  # ml.m5.large: no GPU
    assert seen["loaded"]  # model_fn read system_properties["model_dir"]
