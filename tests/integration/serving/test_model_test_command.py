"""`smgitops model test` on the demo model and on broken model folders."""

import json
import shutil
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

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


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run(*args: str) -> Run:
    """`smgitops model test ARGS` as a user runs it, in the current directory (it runs the
    model in the model's serving environment, a process of its own)."""
    done = subprocess.run(
        [sys.executable, "-m", "smgitops", "model", "test", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


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


# What a model's serving environment is built from (model_env): the image's Python and locks.
PROJECT_FILES = ("container/Dockerfile", "requirements/models.txt", "requirements/serve.txt")


def make_model(root: Path, name: str, source: str | None, *, artifact: bool = True) -> None:
    for relative in PROJECT_FILES:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / relative, root / relative)
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


USES_JOBLIB = """
    import joblib

    def model_fn(model_dir):
        return 2.0

    def predict_fn(data, model):
        return [joblib.__name__]
"""


def _locked_joblib() -> str:
    lock = (REPO / "requirements" / "models.txt").read_text().splitlines()
    return next(line.split()[0] for line in lock if line.startswith("joblib=="))


def test_a_package_requirements_txt_lacks_fails_with_one_line_until_listed(tmp_path, monkeypatch):
    # This virtualenv has joblib; the model's serving environment has only what the image has.
    make_model(tmp_path, "needs-joblib", USES_JOBLIB)
    monkeypatch.chdir(tmp_path)

    lacking = run("needs-joblib")
    assert lacking.exit_code == 1
    assert (
        "models/needs-joblib/inference.py:2:1: warning: imports joblib, which neither "
        "models/needs-joblib/requirements.txt nor the serving image installs"
    ) in lacking.stderr
    assert lacking.stderr.strip().splitlines()[-1] == (
        "Error: models/needs-joblib/inference.py: import failed: No module named 'joblib' "
        "(inference.py:2): this serving environment does not install it (list joblib in the "
        "model's requirements.txt)"
    )
    assert "Traceback" not in lacking.output

    (tmp_path / "models" / "needs-joblib" / "requirements.txt").write_text(_locked_joblib() + "\n")
    listed = run("needs-joblib")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == ["joblib"]
    assert "warning" not in listed.stderr


def test_a_requirement_missing_from_the_lock_is_one_line_before_anything_runs(
    tmp_path, monkeypatch
):
    make_model(tmp_path, "unlocked", USES_JOBLIB)
    (tmp_path / "models" / "unlocked" / "requirements.txt").write_text("joblib==0.0.1\n")
    monkeypatch.chdir(tmp_path)

    result = run("unlocked")

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: models/unlocked/requirements.txt:1: 'joblib==0.0.1' is not in the lock: "
        f"requirements/models.txt holds {_locked_joblib()} (run `make lock` and commit "
        "requirements/models.txt)"
    )


def test_the_serving_environment_is_built_once_and_reused(tmp_path, monkeypatch):
    make_model(tmp_path, "reused", USES_JOBLIB.replace("import joblib", "import json as joblib"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SMGITOPS_CACHE_DIR", str(tmp_path / "cache"))

    first, second = run("reused"), run("reused")

    assert first.exit_code == second.exit_code == 0, first.output + second.output
    assert json.loads(second.stdout) == ["json"]
    assert "building the serving environment of models/reused/requirements.txt" in first.stderr
    assert "building" not in second.stderr


def test_an_image_python_not_installed_here_is_one_line(tmp_path, monkeypatch):
    make_model(tmp_path, "old-python", "def model_fn(d):\n    return 1\n")
    dockerfile = tmp_path / "container" / "Dockerfile"
    dockerfile.write_text(
        dockerfile.read_text().replace("ARG BASE_IMAGE=python:3.11", "ARG BASE_IMAGE=python:3.99")
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SMGITOPS_CACHE_DIR", str(tmp_path / "cache"))

    result = run("old-python")

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: Python 3.99 (the serving image's, from container/Dockerfile) is not installed "
        "here: install it (e.g. `uv python install 3.99`) and run again"
    )
