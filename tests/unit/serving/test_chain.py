import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from smgitops.serving.chain import InvocationFailed, run_chain, to_response
from smgitops.serving.context import InferenceContext
from smgitops.serving.handlers import Handler, HandlerSet, default_predict_fn


class Teapot(Exception):
    status_code = 418


def handler_set(**overrides) -> HandlerSet:
    from smgitops.serving import codecs

    values = {
        "source": Path("inference.py"),
        "model_fn": Handler("model_fn", lambda d: None),
        "input_fn": Handler("input_fn", codecs.decode),
        "predict_fn": Handler("predict_fn", default_predict_fn),
        "output_fn": Handler("output_fn", codecs.encode),
        "transform_fn": None,
    }
    values.update(overrides)
    return HandlerSet(**values)


@dataclass
class Doubler:
    def predict(self, data):
        return data * 2


def call(
    handlers,
    body=b"[1, 2]",
    content_type="application/json",
    accept="application/json",
    context=None,
):
    return run_chain(handlers, Doubler(), body, content_type, accept, context or InferenceContext())


def test_default_chain_decodes_predicts_and_encodes():
    response = call(handler_set(), body=b"1,2\n3,4\n", content_type="text/csv", accept="text/csv")
    assert (response.body, response.content_type) == (b"2,4\n6,8\n", "text/csv")


def test_output_fn_may_return_str_bytes_or_a_tuple():
    for result, expected in [
        ("text", (b"text", "application/json")),
        (b"raw", (b"raw", "application/json")),
        (("a,b", "text/csv"), (b"a,b", "text/csv")),
    ]:
        handlers = handler_set(output_fn=Handler("output_fn", lambda p, a, r=result: r))
        response = call(handlers)
        assert (response.body, response.content_type) == expected


def test_a_bare_body_is_labelled_with_the_accept_header_as_it_came():
    response = to_response(b"x", "text/csv;q=0.2, application/jsonlines", "output_fn")
    assert response.content_type == "text/csv;q=0.2, application/jsonlines"


def test_a_tuple_labels_the_body_verbatim_and_none_sends_no_content_type():
    assert to_response(("x", "text/csv"), "application/json", "output_fn").content_type == (
        "text/csv"
    )
    assert to_response(("x", None), "application/json", "output_fn").content_type is None


def test_a_returned_dict_or_list_is_sent_as_indented_json():
    handlers = handler_set(output_fn=Handler("output_fn", lambda p, a: {"scores": [1, 2]}))
    response = call(handlers, accept="text/csv")
    assert json.loads(response.body) == {"scores": [1, 2]}
    assert response.body.startswith(b'{\n  "scores"')
    assert response.content_type == "text/csv"  # the Accept, as for any bare body


def test_a_result_json_cannot_write_is_a_500_naming_the_handler():
    handlers = handler_set(output_fn=Handler("output_fn", lambda p, a: {"model": object()}))
    with pytest.raises(InvocationFailed, match="output_fn returned dict") as caught:
        call(handlers)
    assert caught.value.status == 500


def test_a_handler_exception_is_a_500_with_a_one_line_message():
    def broken(data, model):
        raise ValueError("shape mismatch\nexpected 6 columns")

    with pytest.raises(InvocationFailed) as caught:
        call(handler_set(predict_fn=Handler("predict_fn", broken)))
    assert caught.value.status == 500
    assert (
        caught.value.message == "predict_fn failed: ValueError: shape mismatch expected 6 columns"
    )


def test_an_exception_with_a_status_code_keeps_its_status():
    def refuse(body, content_type):
        raise Teapot("short and stout")

    with pytest.raises(InvocationFailed) as caught:
        call(handler_set(input_fn=Handler("input_fn", refuse)))
    assert caught.value.status == 418


def test_default_codecs_map_to_415_and_406():
    with pytest.raises(InvocationFailed) as unsupported:
        call(handler_set(), content_type="application/xml")
    assert unsupported.value.status == 415
    assert "unsupported content type 'application/xml'" in unsupported.value.message
    with pytest.raises(InvocationFailed) as unacceptable:
        call(handler_set(), accept="application/xml")
    assert unacceptable.value.status == 406


def test_transform_fn_replaces_the_three_handlers():
    def transform(model, body, content_type, accept):
        return json.dumps({"body": body, "ct": content_type, "accept": accept}), "application/json"

    response = call(handler_set(transform_fn=Handler("transform_fn", transform)), body=b"[5]")
    assert json.loads(response.body) == {
        "body": "[5]",
        "ct": "application/json",
        "accept": "application/json",
    }


def test_handlers_with_context_can_set_response_custom_attributes():
    def output(prediction, accept, context):
        context.response_custom_attributes = "echo=" + (context.custom_attributes or "")
        return "ok"

    context = InferenceContext(headers={"x-amzn-sagemaker-custom-attributes": "trace=1"})
    call(handler_set(output_fn=Handler("output_fn", output, takes_context=True)), context=context)
    assert context.response_custom_attributes == "echo=trace=1"


def test_a_handler_calling_sys_exit_is_a_500_not_a_dead_worker():
    import sys

    def quit_(data, model):
        sys.exit(3)

    with pytest.raises(InvocationFailed) as caught:
        call(handler_set(predict_fn=Handler("predict_fn", quit_)))
    assert caught.value.status == 500
    assert caught.value.message == "predict_fn failed: SystemExit: 3"


def test_user_handlers_see_what_the_toolkit_hands_them():
    seen = {}

    def record(body, content_type):
        seen.update(body=body, content_type=content_type)
        return [1]

    handlers = handler_set(input_fn=Handler("input_fn", record, user_defined=True))
    call(handlers, body=b"[1]", content_type="application/json")
    assert seen == {"body": "[1]", "content_type": "application/json"}
    call(handlers, body=b"hi", content_type="text/plain")
    assert (seen["body"], type(seen["body"])) == (bytearray(b"hi"), bytearray)
    call(handlers, body=b"[1]", content_type=None)
    assert seen["content_type"] is None


def test_default_input_fn_reads_a_request_without_content_type_as_json():
    assert call(handler_set(), body=b"[3]", content_type=None).body == b"[6]"


def test_a_toolkit_error_answers_with_its_status_and_message():
    from smgitops.serving.toolkit.errors import BaseInferenceToolkitError

    def refuse(body, content_type):
        raise BaseInferenceToolkitError(415, "send JSON", "Unsupported Media Type")

    with pytest.raises(InvocationFailed) as caught:
        call(handler_set(input_fn=Handler("input_fn", refuse, user_defined=True)))
    assert (caught.value.status, caught.value.message) == (415, "input_fn failed: send JSON")
