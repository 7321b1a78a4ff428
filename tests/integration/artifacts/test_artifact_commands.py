from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from smgitops.aws.clients import client as aws_client
from smgitops.cli import main

pytestmark = pytest.mark.integration

ENV_YAML = """\
accountId: "123456789012"
region: eu-west-1
executionRoleArn: arn:aws:iam::123456789012:role/smgitops-execution
artifactBucket: acme-ml-artifacts
ecrRepository: smgitops-serving
"""

ENDPOINT_YAML = """\
apiVersion: smgitops/v1
kind: Endpoint
metadata:
  name: {name}
spec:
  model: {model}
  variants:
    - name: primary
      instanceType: ml.m5.large
      instanceCount: 1
"""

HANDLERS = """\
def model_fn(model_dir):
    return 1


def input_fn(body, content_type):
    return body


def predict_fn(data, model):
    return data


def output_fn(prediction, accept):
    return prediction
"""


@pytest.fixture
def checkout(repo: Path, monkeypatch) -> Path:
    """The artifacts test repo plus a staging env whose two endpoints use model `demo`."""
    for name in ("demo", "other"):
        (repo / "models" / name / "inference.py").write_text(HANDLERS)
    staging = repo / "deployments" / "staging"
    staging.mkdir(parents=True)
    (staging / "_env.yaml").write_text(ENV_YAML)
    (staging / "scorer.yaml").write_text(ENDPOINT_YAML.format(name="scorer", model="demo"))
    (staging / "scorer-b.yaml").write_text(ENDPOINT_YAML.format(name="scorer-b", model="demo"))
    monkeypatch.chdir(repo)
    return repo


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_model_package_prints_sha256_and_path_of_the_tarball(checkout, tmp_path):
    result = run("model", "package", "demo", "--out", str(tmp_path / "build"))

    assert result.exit_code == 0, result.output
    sha256, path = result.stdout.strip().split("  ")
    assert path == str(tmp_path / "build" / "demo" / "model.tar.gz")
    assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == sha256


def test_model_package_of_untrained_model_is_one_error_line(checkout):
    for weights in (checkout / "models" / "demo" / "artifact").iterdir():
        weights.unlink()

    result = CliRunner().invoke(main, ["model", "package", "demo"])

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: models/demo/artifact/ is empty: run `python models/demo/train.py` first"
    )


def test_model_publish_refuses_an_unpinned_model(checkout, aws):
    result = run("model", "publish", "demo", "--env", "staging")

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: models/demo/artifact.pin.json is missing: train the model, then run "
        "`smgitops model pin demo --store s3://BUCKET/PREFIX` and commit the pin"
    )


def test_model_publish_uploads_then_reports_already_present(checkout, aws):
    assert run("model", "pin", "demo", "--store", "s3://acme-ml-store/pins").exit_code == 0
    first = run("model", "publish", "demo", "--env", "staging")
    second = run("model", "publish", "demo", "--env", "staging")

    assert first.exit_code == second.exit_code == 0
    assert "demo: uploaded s3://acme-ml-artifacts/smgitops/models/demo/" in first.stderr
    assert "demo: already present" in second.stderr
    assert first.stdout == second.stdout
    s3 = aws_client("s3", "eu-west-1")
    assert s3.list_objects_v2(Bucket="acme-ml-artifacts")["KeyCount"] == 1
    assert "/p2-" in first.stdout  # named by the tree digest of the current packaging


def _images_line(stdout: str) -> list[dict[str, object]]:
    (line,) = stdout.splitlines()
    assert line.startswith("images=[")
    assert " " not in line  # compact, one line, safe for $GITHUB_OUTPUT
    return json.loads(line.removeprefix("images="))


def test_image_tag_lists_each_used_model_once_and_whether_it_is_missing(checkout, aws):
    result = run("image", "tag", "--env", "staging")

    assert result.exit_code == 0, result.output
    (row,) = _images_line(result.stdout)
    assert row["model"] == "demo"
    assert row["missing"] is True
    assert re.fullmatch(
        r"123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com/smgitops-serving:demo-[0-9a-f]{12}",
        str(row["image"]),
    )


def test_image_push_registers_once_and_then_tag_reports_present(checkout, aws):
    first = run("image", "push", "--env", "staging", "--builder", "register")
    second = run("image", "push", "--env", "staging", "--builder", "register")
    listed = run("image", "tag", "--env", "staging")

    assert first.exit_code == second.exit_code == 0
    assert "demo: pushed " in first.stderr
    assert "demo: already present " in second.stderr
    assert [row["missing"] for row in _images_line(listed.stdout)] == [False]
    ecr = aws_client("ecr", "eu-west-1")
    assert len(ecr.describe_images(repositoryName="smgitops-serving")["imageDetails"]) == 1


def test_image_push_auto_registers_when_pointed_at_an_emulator(
    checkout, aws, monkeypatch, tmp_path
):
    # The emulator fixture points AWS_ENDPOINT_URL at itself; no Docker engine exists.
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")

    result = run("image", "push", "--env", "staging")

    assert result.exit_code == 0, result.output
    assert "demo: pushed " in result.stderr


def test_image_push_for_a_model_the_env_does_not_use_is_an_error(checkout, aws):
    result = CliRunner().invoke(main, ["image", "push", "--env", "staging", "--model", "other"])

    assert result.exit_code == 1
    assert result.stderr.strip() == ("Error: env staging does not use model other (it uses: demo)")


def test_image_build_without_a_docker_engine_is_one_error_line(checkout, monkeypatch, tmp_path):
    (checkout / "container" / "Dockerfile").write_text("FROM scratch\n")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")

    result = CliRunner().invoke(main, ["image", "build", "--env", "staging"])

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no Docker engine answered")
    assert len(result.stderr.strip().splitlines()) == 1
