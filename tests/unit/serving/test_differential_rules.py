"""The differential test's judge (bench/differential_rules.py): what counts as the same
answer, and that only a documented improvement excuses a difference. Loaded alone."""

import importlib.util
import io
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

RULES = Path(__file__).resolve().parents[3] / "bench" / "differential_rules.py"


@pytest.fixture(scope="module")
def rules():
    spec = importlib.util.spec_from_file_location("differential_rules", RULES)
    module = importlib.util.module_from_spec(spec)
    sys.modules["differential_rules"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("differential_rules", None)


def script(rules, tmp_path, source):
    (tmp_path / "inference.py").write_text(textwrap.dedent(source))
    return rules.read_script(tmp_path)


DEFAULTS = "def model_fn(d): return 1\ndef predict_fn(x, m): return x\n"
OWN_INPUT = "def model_fn(d): return 1\ndef input_fn(b, c): return b\n"


def npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_the_same_json_value_or_array_is_the_same_body(rules):
    assert rules.same_body(b'{"a": [1, 2]}', b'{"a":[1,2]}', "application/json")
    assert rules.same_body(npy(np.arange(3.0)), npy(np.arange(3.0)), "application/x-npy")
    assert not rules.same_body(b"1.0\n", b"1.00\n", "text/csv")  # text: its digits matter
    assert not rules.same_body(npy(np.arange(3)), npy(np.arange(3.0)), "application/x-npy")


def test_the_script_decides_whose_defaults_run(rules, tmp_path):
    defaults = script(rules, tmp_path, DEFAULTS)
    assert defaults.default_input and defaults.default_output and not defaults.default_predict
    own = script(rules, tmp_path, OWN_INPUT + "class Bad(Exception):\n    status_code = 422\n")
    assert not own.default_input and own.raises_status


def test_a_difference_no_rule_explains_is_divergent(rules, tmp_path):
    request = rules.Request("text/plain", None, "row", b"x")
    aws = rules.Answer(200, "application/json", b'{"body": "bytearray"}')
    ours = rules.Answer(200, "application/json", b'{"body": "str"}')
    verdict = rules.classify(script(rules, tmp_path, OWN_INPUT), request, aws, ours)
    assert verdict == ("divergent", "")


def test_a_charset_added_to_the_content_type_is_divergent(rules, tmp_path):
    request = rules.Request("text/csv", "text/csv", "row", b"1,2\n")
    aws = rules.Answer(200, "text/csv", b"3\n")
    ours = rules.Answer(200, "text/csv; charset=utf-8", b"3\n")
    assert rules.classify(script(rules, tmp_path, DEFAULTS), request, aws, ours)[0] == "divergent"


def test_a_415_only_excuses_a_500_when_the_default_input_fn_ran(rules, tmp_path):
    request = rules.Request("text/plain", None, "row", b"x")
    aws, ours = rules.Answer(500, None, b"trace"), rules.Answer(415, "application/json", b"{}")
    assert rules.classify(script(rules, tmp_path, DEFAULTS), request, aws, ours)[0] == "better"
    assert rules.classify(script(rules, tmp_path, OWN_INPUT), request, aws, ours)[0] == (
        "divergent"
    )


def test_an_answer_missing_on_either_side_is_divergent(rules, tmp_path):
    request = rules.Request("application/json", None, "row", b"[1]")
    gone = rules.Answer(0, None, b"ConnectionRefusedError")
    ok = rules.Answer(200, "application/json", b"[1]")
    assert rules.classify(script(rules, tmp_path, DEFAULTS), request, gone, ok)[0] == "divergent"
