import subprocess
import sys

from click.testing import CliRunner

from smgitops.cli import main


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


def test_invalid_worker_setting_is_one_line_error(monkeypatch, tmp_path):
    monkeypatch.setenv("SAGEMAKER_MODEL_SERVER_WORKERS", "lots")
    result = CliRunner().invoke(main, ["serve", "--model-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: SAGEMAKER_MODEL_SERVER_WORKERS='lots' is not a number"
