import re
import subprocess
import sys

from click.testing import CliRunner

from smgitops.cli import main
from smgitops.serving.settings import settings_from_env
from smgitops.serving.worker import KEEP_ALIVE_SECONDS


def test_the_serve_path_never_imports_boto3():
    # Container start time: `smgitops serve` must not pay for boto3/botocore.
    code = (
        "import sys\n"
        "from smgitops.cli import main\n"
        "main.get_command(None, 'serve')\n"
        "import smgitops.serving.supervisor, smgitops.serving.app, smgitops.serving.host\n"
        "heavy = ('boto3', 'botocore', 'moto')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_serve_help_documents_the_contract_flags():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for flag in ("--model-dir", "--port", "--workers", "SM_MODEL_DIR", "SAGEMAKER_BIND_TO_PORT"):
        assert flag in result.output


def test_serve_help_documents_the_request_bounds_and_their_defaults():
    output = " ".join(CliRunner().invoke(main, ["serve", "--help"]).output.split())
    defaults = settings_from_env({}, cpu_count=1)
    for variable, default in [
        ("SMGITOPS_MAX_REQUEST_LINE_BYTES", defaults.max_request_line_bytes),
        ("SMGITOPS_MAX_REQUEST_HEADERS", defaults.max_headers),
        ("SMGITOPS_MAX_REQUEST_HEADER_BYTES", defaults.max_header_bytes),
        ("SMGITOPS_REQUEST_HEADER_TIMEOUT", f"{defaults.header_timeout_seconds:g}"),
        ("SAGEMAKER_MAX_PAYLOAD_IN_MB", f"{defaults.max_payload_bytes / 2**20:g}"),
    ]:
        assert re.search(rf"{variable} [^(]*\({default};", output), variable
    assert f"idle {KEEP_ALIVE_SECONDS} s" in output


def test_invalid_worker_setting_is_one_line_error(monkeypatch, tmp_path):
    monkeypatch.setenv("SAGEMAKER_MODEL_SERVER_WORKERS", "lots")
    result = CliRunner().invoke(main, ["serve", "--model-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: SAGEMAKER_MODEL_SERVER_WORKERS='lots' is not a number"
