import textwrap
from pathlib import Path

import pytest

from smgitops.serving.context import InferenceContext
from smgitops.serving.errors import ModelLoadError
from smgitops.serving.handlers import load_handlers, load_model


def write(model_dir: Path, source: str, where: str = "code/inference.py") -> Path:
    path = model_dir / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return model_dir


def test_omitted_handlers_fall_back_to_defaults(tmp_path):
    handlers = load_handlers(write(tmp_path, "def model_fn(model_dir):\n    return 1\n"))
    assert handlers.model_fn.user_defined
    assert not handlers.input_fn.user_defined
    assert not handlers.predict_fn.user_defined
    assert not handlers.output_fn.user_defined
    assert handlers.transform_fn is None


def test_code_dir_wins_over_model_dir_root(tmp_path):
    write(tmp_path, "def model_fn(d):\n    return 'root'\n", where="inference.py")
    write(tmp_path, "def model_fn(d):\n    return 'code'\n")
    handlers = load_handlers(tmp_path)
    assert load_model(handlers, tmp_path) == "code"


def test_inference_py_at_the_model_dir_root_is_found(tmp_path):
    write(tmp_path, "def model_fn(d):\n    return 'root'\n", where="inference.py")
    assert load_model(load_handlers(tmp_path), tmp_path) == "root"


def test_sagemaker_program_names_another_module(tmp_path):
    write(tmp_path, "def model_fn(d):\n    return 'custom'\n", where="code/serve_me.py")
    assert load_model(load_handlers(tmp_path, "serve_me.py"), tmp_path) == "custom"
    assert load_model(load_handlers(tmp_path, "serve_me"), tmp_path) == "custom"


def test_helpers_next_to_inference_py_import(tmp_path):
    write(tmp_path, "VALUE = 42\n", where="code/helper_for_test_handlers.py")
    write(
        tmp_path,
        "import helper_for_test_handlers\ndef model_fn(d):\n"
        "    return helper_for_test_handlers.VALUE\n",
    )
    assert load_model(load_handlers(tmp_path), tmp_path) == 42


def test_missing_module_names_both_places_looked(tmp_path):
    with pytest.raises(ModelLoadError, match=r"no inference.py in .*code or "):
        load_handlers(tmp_path)


def test_missing_model_fn_is_an_error(tmp_path):
    with pytest.raises(ModelLoadError, match="defines no model_fn"):
        load_handlers(write(tmp_path, "def predict_fn(data, model):\n    return data\n"))


def test_transform_fn_with_input_fn_is_an_error_at_load(tmp_path):
    source = """
        def model_fn(d): return 1
        def input_fn(body, content_type): return body
        def transform_fn(model, body, content_type, accept): return body
    """
    with pytest.raises(ModelLoadError, match="transform_fn cannot be combined with input_fn"):
        load_handlers(write(tmp_path, source))


def test_trailing_context_argument_is_detected_by_arity(tmp_path):
    source = """
        def model_fn(d): return 1
        def input_fn(body, content_type, context): return context.custom_attributes
        def predict_fn(data, model): return data
    """
    handlers = load_handlers(write(tmp_path, source))
    assert handlers.input_fn.takes_context
    assert not handlers.predict_fn.takes_context
    context = InferenceContext(headers={"x-amzn-sagemaker-custom-attributes": "a=1"})
    assert handlers.input_fn("body", "text/csv", context=context) == "a=1"


def test_wrong_arity_is_an_error_naming_the_expected_signature(tmp_path):
    source = """
        def model_fn(d): return 1
        def predict_fn(data): return data
    """
    with pytest.raises(
        ModelLoadError, match=r"predict_fn takes 1 arguments; expected \(data, model\)"
    ):
        load_handlers(write(tmp_path, source))


def test_import_error_names_the_file_and_line(tmp_path):
    source = "import os\nraise ImportError('no module named torch')\n"
    with pytest.raises(
        ModelLoadError,
        match=r"inference.py: import failed: ImportError: no module "
        r"named torch \(inference.py:2\)",
    ):
        load_handlers(write(tmp_path, source))


def test_syntax_error_names_the_line(tmp_path):
    with pytest.raises(ModelLoadError, match=r"SyntaxError.*\(inference.py:2\)"):
        load_handlers(write(tmp_path, "def model_fn(d):\n    return (\n"))


def test_model_fn_failure_is_one_line_naming_the_file_and_cause(tmp_path):
    source = """
        def model_fn(model_dir):
            raise FileNotFoundError("model.joblib\\nnot found")
    """
    handlers = load_handlers(write(tmp_path, source))
    with pytest.raises(ModelLoadError) as caught:
        load_model(handlers, tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert message == (
        f"model_fn in {tmp_path}/code/inference.py failed: "
        "FileNotFoundError: model.joblib not found (inference.py:3)"
    )


def test_model_fn_calling_sys_exit_is_a_load_error(tmp_path):
    handlers = load_handlers(
        write(tmp_path, "import sys\ndef model_fn(d):\n    sys.exit('no GPU')\n")
    )
    with pytest.raises(ModelLoadError, match=r"model_fn in .* failed: SystemExit: no GPU"):
        load_model(handlers, tmp_path)


def test_pre_model_and_warmup_hooks_run_around_model_fn_in_order(tmp_path):
    source = """
        CALLS = []
        def pre_model_fn(model_dir): CALLS.append("pre")
        def model_fn(model_dir):
            CALLS.append("model")
            return "m"
        def model_warmup_fn(model_dir, model): CALLS.append("warmup:" + model)
    """
    handlers = load_handlers(write(tmp_path, source))
    assert load_model(handlers, tmp_path) == "m"
    import inference

    assert inference.CALLS == ["pre", "model", "warmup:m"]


def test_a_failing_warmup_names_the_hook(tmp_path):
    source = """
        def model_fn(model_dir): return 1
        def model_warmup_fn(model_dir, model): raise RuntimeError("cold")
    """
    with pytest.raises(ModelLoadError, match=r"^model_warmup_fn in .* failed: RuntimeError: cold"):
        load_model(load_handlers(write(tmp_path, source)), tmp_path)


def test_a_module_missing_at_import_names_the_package_to_list(tmp_path):
    with pytest.raises(ModelLoadError) as caught:
        load_handlers(write(tmp_path, "import os\nimport surely_absent_pkg\n"))
    assert str(caught.value) == (
        f"{tmp_path}/code/inference.py: import failed: No module named 'surely_absent_pkg' "
        "(inference.py:2): this serving environment does not install it (list "
        "surely_absent_pkg in the model's requirements.txt)"
    )


def test_a_module_a_pickle_needs_in_model_fn_names_its_package_not_the_module(tmp_path):
    # joblib.load of a scikit-learn model fails this way where scikit-learn is missing.
    source = """
        def model_fn(model_dir):
            raise ModuleNotFoundError("No module named 'sklearn'", name="sklearn.linear_model")
    """
    handlers = load_handlers(write(tmp_path, source))
    with pytest.raises(ModelLoadError) as caught:
        load_model(handlers, tmp_path)
    assert str(caught.value).endswith(
        "failed: No module named 'sklearn.linear_model' (inference.py:3): this serving "
        "environment does not install it (list scikit-learn in the model's requirements.txt)"
    )


def test_a_missing_module_of_the_models_own_package_gets_no_package_hint(tmp_path):
    write(tmp_path, "", where="code/features/__init__.py")
    with pytest.raises(ModelLoadError) as caught:
        load_handlers(write(tmp_path, "import features.scaling\n"))
    message = str(caught.value)
    assert "No module named 'features.scaling' (inference.py:1)" in message
    assert "requirements.txt" not in message
