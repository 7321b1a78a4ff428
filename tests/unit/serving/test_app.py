import pytest

from smgitops.serving.app import BadHandlerResponse, handler_extras, valid_custom_attributes
from smgitops.serving.context import InferenceContext


def test_custom_attributes_must_be_visible_ascii_up_to_1024_characters():
    assert valid_custom_attributes("trace_id=abc, model=v2")
    assert valid_custom_attributes("x" * 1024)
    assert not valid_custom_attributes("x" * 1025)
    assert not valid_custom_attributes("a\r\nX-Injected: 1")
    assert not valid_custom_attributes("café")
    assert not valid_custom_attributes(42)


def test_a_handler_chooses_the_status_and_extra_headers_through_its_context():
    context = InferenceContext()
    assert handler_extras(context) == (200, [])
    context.set_response_status(202)
    context.set_response_header(0, "X-Model-Version", "7")
    context.set_response_content_type(0, "text/plain")  # the handler's result decides that
    context.response_custom_attributes = "a=1"
    status, extra = handler_extras(context)
    assert status == 202
    assert extra == [
        (b"x-model-version", b"7"),
        (b"x-amzn-sagemaker-custom-attributes", b"a=1"),
    ]


@pytest.mark.parametrize(
    "misuse",
    [
        lambda c: c.set_response_status(99),
        lambda c: c.set_response_status("200"),
        lambda c: c.set_response_header(0, "X-Bad", "a\r\nX-Injected: 1"),
        lambda c: c.set_response_header(0, "Bad Name", "1"),
        lambda c: c.set_response_header(0, "X-Count", 3),
    ],
)
def test_what_cannot_be_sent_is_refused(misuse):
    context = InferenceContext()
    misuse(context)
    with pytest.raises(BadHandlerResponse):
        handler_extras(context)
