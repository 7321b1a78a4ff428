"""Scripts written for AWS's sagemaker-inference toolkit run unchanged, over real HTTP.

What a handler receives (body type, content type, Accept, context) and how its answer is
labelled follow the toolkit; docs/serving.md's "Handler contract" table lists each rule.
"""

import json

import pytest

from smgitops.serving.process import ServingProcess
from testkit.contract import ARGUMENTS

from .conftest import assert_one_line_json_error, invoke

# The way AWS's examples use the toolkit's own modules.
TOOLKIT_MODULES = """
    from sagemaker_inference import content_types, decoder, encoder, errors


    def model_fn(model_dir):
        return 3


    def input_fn(body, content_type):
        if content_type not in content_types.UTF8_TYPES:
            raise errors.BaseInferenceToolkitError(415, "send JSON or CSV", "Unsupported")
        return decoder.decode(body, content_type)


    def predict_fn(data, model):
        return data * model


    def output_fn(prediction, accept):
        return encoder.encode(prediction, content_types.CSV), content_types.CSV
"""


@pytest.fixture(scope="module")
def arguments_server(module_model_dir):
    with ServingProcess(module_model_dir(ARGUMENTS)) as server:
        yield server


def seen(reply):
    assert reply.status in (200, 202), reply
    return json.loads(reply.body)


def test_input_fn_gets_text_for_exactly_json_and_csv(arguments_server):
    for content_type in ("application/json", "text/csv"):
        answer = seen(invoke(arguments_server.url, "hello", content_type))
        assert (answer["body_type"], answer["content_type"]) == ("str", content_type)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/json; charset=utf-8", "application/x-npy"]
)
def test_input_fn_gets_bytes_it_can_decode_itself_for_other_types(arguments_server, content_type):
    answer = seen(invoke(arguments_server.url, "hello", content_type))
    assert answer["body_type"] == "bytearray"
    assert (answer["text"], answer["content_type"]) == ("hello", content_type)


def test_input_fn_sees_no_content_type_when_the_request_has_none(arguments_server):
    answer = seen(invoke(arguments_server.url, "hello", content_type=None))
    assert (answer["content_type"], answer["body_type"]) == (None, "bytearray")


def test_output_fn_sees_the_default_accept_for_none_or_any(arguments_server):
    for accept in (None, "*/*"):
        assert seen(invoke(arguments_server.url, "x", accept=accept))["accept"] == (
            "application/json"
        )


def test_a_bare_body_is_labelled_with_the_accept_header_as_sent(arguments_server):
    accept = "text/csv;q=0.5, application/json"
    reply = invoke(arguments_server.url, "x", accept=accept)
    assert seen(reply)["accept"] == accept
    assert reply.headers["content-type"] == accept


def test_context_has_the_toolkits_interface(arguments_server):
    answer = seen(invoke(arguments_server.url, "x", **{"X-Trace": "abc"}))
    assert answer["trace"] == "abc"
    assert answer["gpu_id"] is None  # served on CPU
    assert answer["loaded"]


def test_context_sets_the_status_and_headers_of_an_answer(arguments_server):
    reply = invoke(arguments_server.url, "accepted")
    assert reply.status == 202
    assert reply.headers["x-model-version"] == "7"


def test_scripts_importing_the_toolkits_modules_run_unchanged(model_dir):
    with ServingProcess(model_dir(TOOLKIT_MODULES)) as server:
        reply = invoke(server.url, "1,2\n3,4\n", "text/csv")
        assert (reply.status, reply.body) == (200, b"3,6\n9,12\n")
        assert reply.headers["content-type"] == "text/csv"
        error = assert_one_line_json_error(invoke(server.url, "x", "text/plain"), 415)
        assert error == "input_fn failed: send JSON or CSV"


GPU_REPORT = """
    def model_fn(model_dir, context):
        return context.system_properties["gpu_id"]


    def transform_fn(gpu_at_load, body, content_type, accept, context):
        return "{} {}".format(gpu_at_load, context.system_properties["gpu_id"])
"""


def test_each_worker_is_given_its_own_gpu_as_multi_model_server_does(model_dir):
    env = {"CUDA_VISIBLE_DEVICES": "0,1"}
    with ServingProcess(model_dir(GPU_REPORT), workers=2, env=env) as server:
        # Each new connection goes to the next worker.
        answers = {invoke(server.url, "x").text for _ in range(4)}
    assert answers == {"0 0", "1 1"}
