import pytest

from smgitops.aws.smoke import SmokeResult, json_path, judge
from smgitops.core.desired import JsonExpectation, SmokeTestSpec


@pytest.mark.parametrize(
    ("path", "expected"),
    [("$", {"a": [1, {"b-c": 2}]}), ("$.a[0]", 1), ("$.a[1]['b-c']", 2), ("$.a[1].b-c", 2)],
)
def test_json_path_resolves_the_small_subset(path, expected):
    assert json_path({"a": [1, {"b-c": 2}]}, path) == expected


@pytest.mark.parametrize("path", ["$.missing", "$.a[5]", "a", "$..a", "$.a[x]"])
def test_json_path_that_does_not_resolve_is_a_key_error(path):
    with pytest.raises(KeyError):
        json_path({"a": [1]}, path)


def _spec(**kw):
    return SmokeTestSpec(content_type="text/csv", body=b"1,2", **kw)


def test_wrong_status_fails_with_the_body_shown():
    failure = judge(_spec(), SmokeResult(500, b'{"error": "boom"}', None, None))
    assert failure == 'status 500, expected 200: {"error": "boom"}'


def test_json_expectation_checks_value():
    spec = _spec(expect_json=JsonExpectation("$[0]", "3.5"))
    assert judge(spec, SmokeResult(200, b"[3.5]", "application/json", "primary")) is None
    assert judge(spec, SmokeResult(200, b"[1.0]", None, None)) == "$[0] is 1.0, expected 3.5"
    assert judge(spec, SmokeResult(200, b"not json", None, None)) == "response is not JSON"


def test_expected_error_status_passes():
    assert judge(_spec(expect_status=415), SmokeResult(415, b"", None, None)) is None
