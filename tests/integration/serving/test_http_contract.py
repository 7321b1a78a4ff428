"""The /ping and /invocations contract, over real HTTP against `smgitops serve`."""

import io
import json
from http.client import HTTPConnection

import numpy as np
import pytest

from smgitops.serving.process import ServingProcess

from .conftest import assert_one_line_json_error, http, invoke

# Only model_fn: input_fn, predict_fn and output_fn are the defaults.
DEFAULTS_ONLY = """
    class Doubler:
        def predict(self, data):
            return data * 2

    def model_fn(model_dir):
        return Doubler()
"""

# Custom handlers that act on commands in the JSON body, to reach every path.
BEHAVIOURS = """
    import json
    import time


    class Teapot(Exception):
        status_code = 418


    def model_fn(model_dir):
        return {"loaded_from": model_dir}


    def input_fn(body, content_type, context):
        return json.loads(body)


    def predict_fn(command, model, context):
        action = command["do"]
        if action == "fail":
            raise ValueError("bad input\\nsecond line")
        if action == "teapot":
            raise Teapot("I am a teapot")
        if action == "attributes":
            context.response_custom_attributes = "seen=" + context.custom_attributes
        if action == "bad-attributes":
            context.response_custom_attributes = "a\\r\\nX-Injected: 1"
        if action == "sleep":
            time.sleep(command["seconds"])
        return command


    def output_fn(prediction, accept):
        kind = prediction.get("return")
        if kind == "bytes":
            return b"raw-bytes"
        if kind == "str":
            return "plain text"
        if kind == "dict":
            return {"sent": "as JSON"}
        if kind == "object":
            return object()
        return json.dumps(prediction), "application/vnd.test+json"
"""

TRANSFORM = """
    import json

    def model_fn(model_dir):
        return 10

    def transform_fn(model, body, content_type, accept):
        values = json.loads(body)
        return json.dumps([v + model for v in values]), accept
"""


@pytest.fixture(scope="module")
def defaults_server(module_model_dir):
    env = {"SAGEMAKER_MAX_PAYLOAD_IN_MB": "0.01"}  # 10 KiB, to reach 413 cheaply
    with ServingProcess(module_model_dir(DEFAULTS_ONLY), env=env) as server:
        yield server


@pytest.fixture(scope="module")
def behaviour_server(module_model_dir):
    with ServingProcess(module_model_dir(BEHAVIOURS)) as server:
        yield server


def test_ping_is_200_with_an_empty_body_once_loaded(defaults_server):
    reply = http(defaults_server.url + "/ping")
    assert (reply.status, reply.body) == (200, b"")


def test_default_handlers_decode_json_and_answer_json(defaults_server):
    reply = invoke(defaults_server.url, "[[1, 2.5]]", "application/json")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert json.loads(reply.body) == [[2, 5.0]]


def test_default_handlers_decode_csv_and_answer_csv(defaults_server):
    reply = invoke(defaults_server.url, "1,2.5\n3,4\n", "text/csv", accept="text/csv")
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/csv"  # no charset added, as on SageMaker
    assert reply.text == "2.0,5.0\n6.0,8.0\n"


def test_default_handlers_decode_and_answer_npy(defaults_server):
    buffer = io.BytesIO()
    np.save(buffer, np.array([[1.0, 2.0]]))
    reply = invoke(
        defaults_server.url, buffer.getvalue(), "application/x-npy", accept="application/x-npy"
    )
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/x-npy"
    assert np.load(io.BytesIO(reply.body)).tolist() == [[2.0, 4.0]]


def test_media_type_parameters_are_understood(defaults_server):
    reply = invoke(defaults_server.url, "[1]", "application/json; charset=utf-8")
    assert (reply.status, reply.body) == (200, b"[2]")


def test_missing_content_type_is_treated_as_json(defaults_server):
    reply = invoke(defaults_server.url, "[3]", content_type=None)
    assert (reply.status, reply.body) == (200, b"[6]")


def test_missing_or_wildcard_accept_answers_the_default_json(defaults_server):
    for accept in (None, "*/*"):
        reply = invoke(defaults_server.url, "1,2\n", "text/csv", accept=accept)
        assert reply.headers["content-type"] == "application/json"
        assert json.loads(reply.body) == [2, 4]  # one CSV row decodes to a 1-D array


def test_accept_negotiation_picks_the_first_supported_type(defaults_server):
    reply = invoke(defaults_server.url, "[1]", accept="application/xml, text/csv;q=0.9")
    assert reply.headers["content-type"] == "text/csv"
    assert reply.text == "2\n"


def test_unsupported_content_type_is_415(defaults_server):
    error = assert_one_line_json_error(invoke(defaults_server.url, "<a/>", "application/xml"), 415)
    assert "unsupported content type 'application/xml'" in error


def test_unsupported_accept_is_406(defaults_server):
    error = assert_one_line_json_error(
        invoke(defaults_server.url, "[1]", accept="application/xml"), 406
    )
    assert "unsupported accept" in error


def test_body_over_the_payload_limit_is_413(defaults_server):
    reply = invoke(defaults_server.url, "[" + "1," * 6000 + "1]")
    error = assert_one_line_json_error(reply, 413)
    assert "SAGEMAKER_MAX_PAYLOAD_IN_MB" in error


def test_chunked_body_over_the_payload_limit_is_413(defaults_server):
    # No Content-Length to check up front: the limit applies while the body streams in.
    connection = HTTPConnection("127.0.0.1", defaults_server.port, timeout=30)
    chunks = (b"[" + b"1," * 1000 for _ in range(10))
    connection.request(
        "POST",
        "/invocations",
        body=chunks,
        headers={"Content-Type": "application/json"},
        encode_chunked=True,
    )
    response = connection.getresponse()
    assert response.status == 413
    assert "SAGEMAKER_MAX_PAYLOAD_IN_MB" in json.loads(response.read())["error"]
    connection.close()


def test_malformed_json_is_400(defaults_server):
    assert_one_line_json_error(invoke(defaults_server.url, "[1,"), 400)


def test_unknown_path_is_404(defaults_server):
    reply = http(defaults_server.url + "/predict", body=b"[1]", method="POST")
    assert reply.status == 404
    assert "error" in json.loads(reply.body)


def test_wrong_method_is_405_naming_the_allowed_ones(defaults_server):
    reply = http(defaults_server.url + "/invocations", method="GET")
    assert reply.status == 405
    assert reply.headers["allow"] == "POST"
    assert "error" in json.loads(reply.body)


def test_handler_exception_is_500_with_one_line_and_no_traceback(behaviour_server):
    reply = invoke(behaviour_server.url, json.dumps({"do": "fail"}))
    error = assert_one_line_json_error(reply, 500)
    assert error == "predict_fn failed: ValueError: bad input second line"


def test_handler_traceback_goes_to_the_log(behaviour_server):
    invoke(behaviour_server.url, json.dumps({"do": "fail"}))
    logs = behaviour_server.logs()
    assert "Traceback (most recent call last)" in logs
    assert 'raise ValueError("bad input' in logs


def test_exception_with_status_code_keeps_its_status(behaviour_server):
    reply = invoke(behaviour_server.url, json.dumps({"do": "teapot"}))
    assert assert_one_line_json_error(reply, 418) == "predict_fn failed: Teapot: I am a teapot"


def test_output_fn_tuple_sets_the_content_type(behaviour_server):
    reply = invoke(behaviour_server.url, json.dumps({"do": "echo"}))
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/vnd.test+json"
    assert json.loads(reply.body) == {"do": "echo"}


def test_output_fn_bytes_and_str_are_sent_as_is_labelled_by_accept(behaviour_server):
    raw = invoke(
        behaviour_server.url,
        json.dumps({"do": "x", "return": "bytes"}),
        accept="application/octet-stream",
    )
    assert (raw.status, raw.body) == (200, b"raw-bytes")
    assert raw.headers["content-type"] == "application/octet-stream"
    text = invoke(
        behaviour_server.url, json.dumps({"do": "x", "return": "str"}), accept="text/plain"
    )
    assert (text.status, text.body) == (200, b"plain text")
    assert text.headers["content-type"] == "text/plain"


def test_output_fn_returning_a_dict_is_sent_as_json_labelled_by_accept(behaviour_server):
    reply = invoke(behaviour_server.url, json.dumps({"do": "x", "return": "dict"}))
    assert (reply.status, json.loads(reply.body)) == (200, {"sent": "as JSON"})
    assert reply.headers["content-type"] == "application/json"


def test_output_fn_returning_what_json_cannot_write_is_500(behaviour_server):
    reply = invoke(behaviour_server.url, json.dumps({"do": "x", "return": "object"}))
    assert "output_fn returned object" in assert_one_line_json_error(reply, 500)


def test_custom_attributes_round_trip_through_the_context(behaviour_server):
    reply = invoke(
        behaviour_server.url,
        json.dumps({"do": "attributes"}),
        **{"X-Amzn-SageMaker-Custom-Attributes": "trace_id=abc123"},
    )
    assert reply.status == 200
    assert reply.headers["x-amzn-sagemaker-custom-attributes"] == "seen=trace_id=abc123"


def test_response_custom_attributes_that_would_break_the_header_are_a_500(behaviour_server):
    reply = invoke(behaviour_server.url, json.dumps({"do": "bad-attributes"}))
    assert "visible ASCII" in assert_one_line_json_error(reply, 500)
    assert "x-injected" not in reply.headers


def test_no_custom_attributes_header_unless_a_handler_sets_one(behaviour_server):
    reply = invoke(behaviour_server.url, json.dumps({"do": "echo"}))
    assert "x-amzn-sagemaker-custom-attributes" not in reply.headers


def test_transform_fn_handles_the_whole_request(model_dir):
    with ServingProcess(model_dir(TRANSFORM)) as server:
        reply = invoke(server.url, "[1, 2]", accept="application/json")
        assert (reply.status, json.loads(reply.body)) == (200, [11, 12])


def test_inference_py_at_the_model_dir_root_is_served(model_dir):
    with ServingProcess(model_dir(DEFAULTS_ONLY, in_code_dir=False)) as server:
        assert invoke(server.url, "[2]").body == b"[4]"


def test_sagemaker_program_selects_the_module(model_dir, tmp_path):
    directory = model_dir(DEFAULTS_ONLY)
    (directory / "code" / "inference.py").rename(directory / "code" / "my_handlers.py")
    with ServingProcess(directory, env={"SAGEMAKER_PROGRAM": "my_handlers.py"}) as server:
        assert invoke(server.url, "[2]").body == b"[4]"


def test_default_accept_comes_from_the_environment(model_dir):
    env = {"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv"}
    with ServingProcess(model_dir(DEFAULTS_ONLY), env=env) as server:
        reply = invoke(server.url, "[1, 2]")
        assert reply.headers["content-type"] == "text/csv"
        assert reply.text == "2\n4\n"
