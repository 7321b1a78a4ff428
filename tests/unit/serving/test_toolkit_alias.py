"""Scripts importing AWS's toolkit modules get the stand-in, or the real package if present."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from smgitops.serving.chain import InvocationFailed, status_of
from smgitops.serving.toolkit import content_types, decoder, encoder, errors
from smgitops.serving.toolkit_alias import install


def run(code: str, *, pythonpath: str = "") -> str:
    env = {"PYTHONPATH": pythonpath} if pythonpath else {}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        env={**env, "PATH": ""},
    )
    return result.stdout.strip()


def test_the_toolkits_public_modules_import_as_one_set_of_objects():
    output = run(
        """
        from smgitops.serving.toolkit_alias import install
        install()
        from sagemaker_inference import content_types, decoder, encoder, errors
        import sagemaker_inference.errors
        from smgitops.serving.toolkit import errors as ours
        print(errors is sagemaker_inference.errors is ours, content_types.UTF8_TYPES)
        """
    )
    assert output == "True ['application/json', 'text/csv']"


def test_modules_the_toolkit_has_but_scripts_do_not_use_are_not_pretended():
    output = run(
        """
        from smgitops.serving.toolkit_alias import install
        install()
        try:
            import sagemaker_inference.transformer
        except ImportError as error:
            print(type(error).__name__)
        """
    )
    assert output == "ModuleNotFoundError"


def test_an_installed_sagemaker_inference_wins(tmp_path):
    package = tmp_path / "sagemaker_inference"
    package.mkdir()
    (package / "__init__.py").write_text("REAL = True\n")
    (package / "errors.py").write_text("WHO = 'real'\n")
    output = run(
        """
        from smgitops.serving.toolkit_alias import install
        install()
        import sagemaker_inference
        from sagemaker_inference import errors
        print(sagemaker_inference.REAL, errors.WHO)
        """,
        pythonpath=str(tmp_path),
    )
    assert output == "True real"


def test_install_is_idempotent():
    install()
    install()
    assert sum(type(f).__name__ == "ToolkitAliasFinder" for f in sys.meta_path) == 1


def test_toolkit_errors_carry_their_status_and_message():
    error = errors.BaseInferenceToolkitError(415, "send JSON", "Unsupported Media Type")
    assert (status_of(error), error.message, error.phrase) == (
        415,
        "send JSON",
        "Unsupported Media Type",
    )
    generic = errors.GenericInferenceToolkitError(400)
    assert (status_of(generic), generic.message, generic.phrase) == (
        400,
        "Invalid Request",
        "Invalid Request",
    )
    assert status_of(errors.UnsupportedFormatError("text/plain")) == 500  # as in the toolkit


def test_decoder_and_encoder_take_exact_content_types_only():
    assert decoder.decode("[[1, 2]]", content_types.JSON).tolist() == [[1, 2]]
    assert decoder.decode(bytearray(b"1,2\n"), content_types.CSV).tolist() == [1, 2]
    assert encoder.encode(np.array([1.5, 2.5]), content_types.CSV) == "1.5\n2.5\n"
    assert encoder.encode([1, 2], content_types.JSON) == "[1, 2]"
    assert isinstance(encoder.encode([1, 2], content_types.NPY), bytes)
    with pytest.raises(errors.UnsupportedFormatError, match="text/plain"):
        decoder.decode(b"x", "text/plain")
    with pytest.raises(errors.UnsupportedFormatError):
        encoder.encode([1], "application/json; charset=utf-8")


def test_a_stand_in_decoder_failure_is_a_400_not_a_500():
    with pytest.raises(Exception) as caught:
        decoder.decode("[1,", content_types.JSON)
    assert status_of(caught.value) == 400
    assert not isinstance(caught.value, InvocationFailed)
