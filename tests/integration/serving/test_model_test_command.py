"""`smgitops model test` on the demo model and on broken model folders."""

import json
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from smgitops.cli import main
from smgitops.serving import localcheck
from smgitops.serving.process import ServingProcess

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "models" / "demo-regressor"


@pytest.fixture(scope="module")
def trained_demo() -> Path:
    """The demo model folder with its artifact (train.py is deterministic and quick)."""
    if not (DEMO / "artifact" / "model.joblib").exists():
        subprocess.run([sys.executable, str(DEMO / "train.py")], check=True, capture_output=True)
    return DEMO


def run(*args: str):
    return CliRunner().invoke(main, ["model", "test", *args])


def test_demo_model_answers_the_same_in_process_and_over_http(trained_demo, monkeypatch):
    monkeypatch.chdir(REPO)
    result = run("demo-regressor")
    assert result.exit_code == 0, result.output
    predictions = json.loads(result.stdout)["predictions"]
    assert len(predictions) == 1
    assert isinstance(predictions[0], float)
    assert "in-process: application/json" in result.stderr
    assert "http 200: application/json" in result.stderr
    assert "responses match" in result.stderr


def test_demo_model_csv_rows_in_csv_out(trained_demo, monkeypatch):
    monkeypatch.chdir(REPO)
    payload = "models/demo-regressor/payloads/two-rows.csv"
    result = run("demo-regressor", "--payload", payload, "--accept", "text/csv")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2


@pytest.fixture(scope="module")
def demo_server(trained_demo, tmp_path_factory):
    model_dir = localcheck.build_model_dir(trained_demo, tmp_path_factory.mktemp("demo") / "m")
    with ServingProcess(model_dir) as server:
        yield model_dir, server


def post(url: str, body: bytes, content_type: str) -> localcheck.Answer:
    request = urllib.request.Request(
        url + "/invocations",
        data=body,
        headers={"Content-Type": content_type, "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return localcheck.Answer(
                "http", response.status, response.headers["Content-Type"], response.read()
            )
    except urllib.error.HTTPError as error:
        return localcheck.Answer("http", error.code, error.headers["Content-Type"], error.read())


@pytest.mark.parametrize("payload", sorted(p.name for p in (DEMO / "payloads").iterdir()))
def test_demo_prediction_over_http_equals_the_in_process_chain(demo_server, payload):
    model_dir, server = demo_server
    path = DEMO / "payloads" / payload
    body, content_type = path.read_bytes(), localcheck.content_type_for(path)
    local = localcheck.answer_in_process(model_dir, body, content_type, "application/json")
    remote = post(server.url, body, content_type)
    assert remote.status == 200
    assert localcheck.difference(local, remote) is None
    assert len(json.loads(remote.body)["predictions"]) == len(body.strip().splitlines())


def test_demo_model_rejects_a_row_of_the_wrong_width(demo_server):
    _, server = demo_server
    remote = post(server.url, b"1,2,3\n", "text/csv")
    assert remote.status == 400
    assert "expected rows of 6 numbers" in json.loads(remote.body)["error"]


def make_model(root: Path, name: str, source: str | None, *, artifact: bool = True) -> None:
    folder = root / "models" / name
    (folder / "payloads").mkdir(parents=True)
    (folder / "payloads" / "sample.json").write_text("[1, 2]")
    if source is not None:
        (folder / "inference.py").write_text(textwrap.dedent(source))
    if artifact:
        (folder / "artifact").mkdir()
        (folder / "artifact" / "weights.txt").write_text("3")


def test_missing_model_folder_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("nope")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: no model folder models/nope (expected models/nope/)"


def test_missing_inference_py_is_one_line(tmp_path, monkeypatch):
    make_model(tmp_path, "bare", None)
    monkeypatch.chdir(tmp_path)
    result = run("bare")
    assert result.exit_code == 1
    assert "models/bare/inference.py is missing" in result.stderr


def test_missing_artifact_says_to_train_first(tmp_path, monkeypatch):
    make_model(tmp_path, "untrained", "def model_fn(d):\n    return 1\n", artifact=False)
    monkeypatch.chdir(tmp_path)
    result = run("untrained")
    assert result.exit_code == 1
    assert "run models/untrained/train.py first" in result.stderr


def test_handler_error_is_one_line_with_its_status(tmp_path, monkeypatch):
    make_model(
        tmp_path,
        "broken",
        """
        def model_fn(model_dir):
            return 1

        def predict_fn(data, model):
            raise ValueError("cannot predict")
    """,
    )
    monkeypatch.chdir(tmp_path)
    result = run("broken")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: handler error (HTTP 500): predict_fn failed: ValueError: cannot predict"
    )
    assert "Traceback" not in result.output


def test_responses_that_differ_fail_the_test(tmp_path, monkeypatch):
    # The answer depends on the process, so the HTTP worker answers differently.
    make_model(
        tmp_path,
        "flaky",
        """
        import os

        def model_fn(model_dir):
            return os.getpid()

        def predict_fn(data, model):
            return [model]
    """,
    )
    monkeypatch.chdir(tmp_path)
    result = run("flaky")
    assert result.exit_code == 1
    assert "in-process and HTTP responses differ: body" in result.stderr


def test_model_reads_its_artifact_from_the_model_dir_root(tmp_path, monkeypatch):
    make_model(
        tmp_path,
        "reads",
        """
        from pathlib import Path

        def model_fn(model_dir):
            return float((Path(model_dir) / "weights.txt").read_text())

        def predict_fn(data, model):
            return data * model
    """,
    )
    monkeypatch.chdir(tmp_path)
    result = run("reads")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [3.0, 6.0]
