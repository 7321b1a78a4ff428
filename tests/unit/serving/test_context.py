import pytest

from smgitops.serving.context import InferenceContext


def context(**headers: str) -> InferenceContext:
    return InferenceContext(headers={k.lower(): v for k, v in headers.items()}, model_dir="/m")


def test_system_properties_are_those_a_toolkit_handler_reads():
    properties = context().system_properties
    assert properties["model_dir"] == "/m"
    assert properties["gpu_id"] is None
    assert properties["batch_size"] == 1
    assert {"server_name", "server_version"} <= properties.keys()


def test_request_headers_are_found_by_any_spelling_of_their_name():
    seen = context(**{"X-Amzn-SageMaker-Custom-Attributes": "trace=1"})
    assert seen.get_request_header(0, "X-Amzn-SageMaker-Custom-Attributes") == "trace=1"
    assert seen.get_request_header(0, "x-amzn-sagemaker-custom-attributes") == "trace=1"
    assert seen.get_request_header(0, "Accept") is None
    assert seen.custom_attributes == "trace=1"
    assert seen.get_all_request_header(0) == {"x-amzn-sagemaker-custom-attributes": "trace=1"}


def test_a_request_has_one_id_for_its_whole_life():
    seen = context()
    assert seen.get_request_id() == seen.get_request_id(0) == seen.request_ids[0]
    assert context().get_request_id() != seen.get_request_id()


def test_response_status_and_headers_are_recorded_for_the_answer():
    seen = context()
    assert seen.get_response_status(0) == (200, "")
    seen.set_response_status(201, "Created")
    seen.set_response_header(0, "X-Model-Version", "7")
    seen.set_response_content_type(0, "text/csv")
    assert seen.get_response_status(0) == (201, "Created")
    assert seen.get_response_headers(0)["x-model-version"] == "7"
    assert seen.get_response_content_type(0) == "text/csv"


def test_only_one_request_is_ever_in_a_context():
    with pytest.raises(IndexError, match="one at a time"):
        context().get_request_header(1, "Accept")
