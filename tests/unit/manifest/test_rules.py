from __future__ import annotations

import pytest

from smgitops.manifest.env_rules import bucket_name_problem, env_name_problem
from smgitops.manifest.model_folder import handler_problem, requirement_problem
from smgitops.manifest.problems import Problem, format_field, summary
from smgitops.manifest.yaml_reader import YamlDocument, parse_yaml


@pytest.mark.parametrize(
    "source",
    [
        "def model_fn(model_dir):\n    return 1\n",
        "async def model_fn(model_dir):\n    return 1\n",
        "def model_fn(model_dir, context):\n    return 1\n",
        "def model_fn(*args):\n    return 1\n",
        "def model_fn(d):\n    pass\ndef transform_fn(model, body, ctype, accept):\n    pass\n",
        "import functools\n@functools.lru_cache\ndef model_fn(model_dir, extra, more):\n    pass\n",
        "class model_fn:\n    def __init__(self, model_dir):\n        pass\n",
        "from helpers import model_fn\n",
        "from helpers import load as model_fn\n",
        "model_fn = make_loader()\n",
    ],
)
def test_model_loaders_are_found_without_importing(source):
    assert handler_problem(source) is None


REFUSED = "is refused by the serving stack"


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("def predict_fn(x, model):\n    return x\n", f"{REFUSED}: defines no model_fn(model_dir)"),
        (
            "class Handler:\n    def model_fn(self):\n        pass\n",
            f"{REFUSED}: defines no model_fn(model_dir)",
        ),
        (
            "if True:\n    def model_fn(d):\n        pass\n",
            f"{REFUSED}: defines no model_fn(model_dir)",
        ),
        (
            "def transform_fn(model, body, content_type, accept):\n    return body\n",
            f"{REFUSED}: defines no model_fn(model_dir)",
        ),
        (
            "def model_fn(d):\n    pass\n\ndef transform_fn(m, b, c, a):\n    pass\n"
            "def input_fn(b, c):\n    pass\n",
            f"{REFUSED}: transform_fn cannot be combined with input_fn",
        ),
        (
            "def model_fn(d):\n    pass\n\ndef predict_fn(data):\n    pass\n",
            f"{REFUSED} at line 4: predict_fn takes 1 arguments; expected (data, model) or "
            "(data, model, context)",
        ),
        ("def model_fn(d)\n", "has a syntax error at line 1: expected ':'"),
    ],
)
def test_what_the_serving_stack_refuses_is_reported(source, problem):
    assert handler_problem(source) == problem


def test_handler_check_never_runs_the_code():
    assert handler_problem("raise SystemExit('ran')\ndef model_fn(d):\n    pass\n") is None


@pytest.mark.parametrize(
    ("bucket", "problem"),
    [
        ("smgitops-artifacts-123456789012", None),
        ("my.bucket.name", None),
        ("my..bucket", "must not contain two adjacent dots"),
        ("192.168.5.4", "must not look like an IP address"),
        ("sthree-bucket", "must not start with 'sthree-' (reserved by S3)"),
        ("amzn-s3-demo-bucket", "must not start with 'amzn-s3-demo-' (reserved by S3)"),
        ("bucket-s3alias", "must not end with '-s3alias' (reserved by S3)"),
        ("bucket--ol-s3", "must not end with '--ol-s3' (reserved by S3)"),
        ("bucket.mrap", "must not end with '.mrap' (reserved by S3)"),
        ("bucket--x-s3", "must not end with '--x-s3' (reserved by S3)"),
    ],
)
def test_bucket_naming_rules(bucket, problem):
    assert bucket_name_problem(bucket) == problem


@pytest.mark.parametrize(
    ("env", "ok"),
    [("staging", True), ("prod-eu-1", True), ("Prod", False), ("-dev", False), ("a" * 25, False)],
)
def test_env_names(env, ok):
    assert (env_name_problem(env) is None) == ok


def test_positions_are_one_based_for_values_and_keys():
    document = parse_yaml("spec:\n  variants:\n    - name: a\n      weight: 2\n")

    assert isinstance(document, YamlDocument)
    assert document.position(("spec", "variants", 0, "weight")) == (4, 15)
    assert document.position(("spec", "variants", 0, "weight"), key=True) == (4, 7)
    # an absent field points at its nearest written parent
    assert document.position(("spec", "variants", 0, "instanceType")) == (3, 7)


def test_field_paths_quote_keys_that_are_not_plain():
    assert format_field(("spec", "variants", 0, "name")) == "spec.variants[0].name"
    assert format_field(("metadata", "tags", "smgitops:env")) == 'metadata.tags["smgitops:env"]'


def test_summary_counts_problems_and_distinct_files():
    problems = [Problem("a.yaml", 1, 1, "x", "m"), Problem("a.yaml", 2, 1, "y", "m")]
    assert summary(problems) == "2 problems in 1 file"
    assert summary([*problems, Problem("b.yaml", 0, 0, "", "m")]) == "3 problems in 2 files"


@pytest.mark.parametrize(
    "line",
    [
        "",
        "# a comment",
        "numpy==2.4.6",
        "scikit-learn==1.9.1  # serving",
        "uvloop==0.21.0; sys_platform != 'win32'",
        "torch[cpu]==2.13.0",
    ],
)
def test_exact_pins_comments_and_markers_are_accepted(line):
    assert requirement_problem(line) is None


PIN = "is not an exact pin (allowed: name==version, e.g. numpy==1.2.3)"
OPTION = "is a pip option (allowed: only name==version lines)"


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("numpy>=1.26", PIN),
        ("numpy", PIN),
        ("numpy==2.*", PIN),
        ("--extra-index-url https://evil.example/simple", OPTION),
        ("-e git+https://example.com/x.git#egg=x", OPTION),
        (
            "helper @ https://example.com/helper-1.0.tar.gz",
            "installs from a direct URL (allowed: name==version from the index)",
        ),
        ("https://example.com/x.whl", "is not a requirement (allowed: name==version)"),
    ],
)
def test_loose_pins_options_and_direct_urls_are_refused(line, why):
    assert requirement_problem(line) == f"'{line}' {why}"


@pytest.mark.parametrize(
    ("line", "package"), [("sklearn==1.9.1", "scikit-learn"), ("PIL==11.0.0", "pillow")]
)
def test_a_requirement_naming_a_module_names_the_package_instead(line, package):
    problem = requirement_problem(line)

    assert problem is not None
    assert f"names the module {line.split('==')[0]}, not the package" in problem
    assert f"(allowed: {package}=={line.split('==')[1]})" in problem
