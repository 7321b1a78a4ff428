from __future__ import annotations

import json
import os
import re
import shutil

import pytest

from smgitops.artifacts.builders import MANIFEST_MEDIA_TYPE, registration_manifest
from smgitops.artifacts.image import image_tag, is_emulated_endpoint, resolve_builder
from smgitops.artifacts.publish import model_data_key
from smgitops.core.naming import image_uri
from smgitops.errors import ConfigError, UserError
from testkit.values import env_settings

SETTINGS = env_settings(region="eu-west-1", artifact_bucket="acme-ml-artifacts")


def test_tag_is_model_name_and_twelve_hex_digits(repo):
    assert re.fullmatch(r"demo-[0-9a-f]{12}", image_tag(repo, "demo"))


def test_tag_depends_on_content_only_not_on_checkout_path_or_mtimes(repo, tmp_path):
    copy = tmp_path / "elsewhere"
    shutil.copytree(repo, copy)
    for path in copy.rglob("*"):
        os.utime(path, (1, 1))

    assert image_tag(copy, "demo") == image_tag(repo, "demo")


def test_each_model_gets_its_own_tag(repo):
    assert image_tag(repo, "demo").split("-", 1)[1] != image_tag(repo, "other").split("-", 1)[1]


@pytest.mark.parametrize(
    "relative",
    [
        "container/Dockerfile",
        "container/serve",
        "models/demo/requirements.txt",
        "src/smgitops/serving/app.py",
        "pyproject.toml",
        "requirements/serve.txt",
        "requirements/uv.txt",
    ],
)
def test_tag_changes_when_an_image_input_changes(repo, relative):
    before = image_tag(repo, "demo")
    path = repo / relative
    path.write_text(path.read_text() + "# changed\n")

    assert image_tag(repo, "demo") != before


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("scikit-learn==1.9.1", "scikit-learn==1.9.2"),  # a pin it names
        ("joblib==1.6.0", "joblib==1.6.1"),  # a pin of what that depends on
        ("2ccc96785b12046c", "ffff96785b12046c"),  # a hash it installs with
    ],
)
def test_tag_changes_when_a_pin_the_model_installs_changes(repo, old, new):
    before = image_tag(repo, "demo")
    lock = repo / "requirements" / "models.txt"
    lock.write_text(lock.read_text().replace(old, new))

    assert image_tag(repo, "demo") != before


def test_tag_keeps_when_the_lock_changes_only_for_another_model(repo):
    # Adding a model adds its pins and rewrites `# via` comments: other images stay.
    before = image_tag(repo, "demo")
    lock = repo / "requirements" / "models.txt"
    text = lock.read_text().replace("    # via scikit-learn\n", "    # via\n    #   scikit-learn\n")
    lock.write_text(
        text + "torch==2.9.0 \\\n    --hash=sha256:" + "ab" * 32 + "\n"
        "    # via -r models/vision/requirements.txt\n"
    )

    assert image_tag(repo, "demo") == before


def test_tag_changes_when_a_file_is_added_to_container(repo, write):
    before = image_tag(repo, "demo")
    write(repo / "container" / "nginx.conf", "worker_processes 1;\n")

    assert image_tag(repo, "demo") != before


@pytest.mark.parametrize(
    "relative",
    [
        "README.md",
        "deployments/staging/demo.yaml",
        "tests/unit/test_x.py",
        # Handler code and weights ship in model.tar.gz, not in the image.
        "models/demo/inference.py",
        "models/demo/artifact/model.bin",
        "models/other/requirements.txt",
        "src/smgitops/__pycache__/cli.cpython-311.pyc",
    ],
)
def test_tag_ignores_files_outside_the_image(repo, write, relative):
    before = image_tag(repo, "demo")
    path = repo / relative
    write(path, (path.read_bytes() if path.exists() else b"") + b"# changed\n")

    assert image_tag(repo, "demo") == before


def test_tag_of_an_unknown_model_is_a_config_error(repo):
    with pytest.raises(ConfigError, match=r"models/ghost/ does not exist"):
        image_tag(repo, "ghost")


def test_image_uri_names_account_region_repository_and_tag():
    uri = image_uri(SETTINGS, "demo-0123456789ab")

    assert uri == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/smgitops-serving:demo-0123456789ab"


def test_model_data_key_is_named_by_content_hash():
    key = model_data_key(SETTINGS, "demo", "ab" * 32)

    assert key == f"smgitops/models/demo/p2-{'ab' * 32}/model.tar.gz"


@pytest.mark.parametrize(("prefix", "expected"), [("", "models/"), ("/team/x/", "team/x/models/")])
def test_model_data_key_tolerates_empty_and_slashed_prefixes(prefix, expected):
    settings = env_settings(artifact_prefix=prefix)

    assert model_data_key(settings, "demo", "f" * 64).startswith(expected)


@pytest.mark.parametrize(
    ("environ", "emulated"),
    [
        ({}, False),
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, True),
        ({"AWS_ENDPOINT_URL": "https://api.ecr.eu-west-1.amazonaws.com"}, False),
        ({"AWS_ENDPOINT_URL_ECR": "http://localhost:4566"}, True),
    ],
)
def test_emulated_endpoint_is_any_non_aws_endpoint_url(environ, emulated):
    assert is_emulated_endpoint(environ) is emulated


@pytest.fixture
def no_docker_engine(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such-docker.sock")


def test_auto_builder_registers_on_an_emulator_without_docker(no_docker_engine, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")

    assert resolve_builder("auto") == "register"


def test_auto_builder_without_docker_or_emulator_tells_what_to_do(no_docker_engine, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_ECR", raising=False)

    with pytest.raises(UserError, match="no Docker engine: build the image in CI or pass"):
        resolve_builder("auto")


def test_docker_builder_without_an_engine_is_a_user_error(no_docker_engine):
    with pytest.raises(UserError, match="no Docker engine answered"):
        resolve_builder("docker")


def test_registration_manifest_is_distinct_per_tag_and_declares_its_media_type():
    first = json.loads(registration_manifest("demo", "demo-aaaaaaaaaaaa"))
    second = json.loads(registration_manifest("demo", "demo-bbbbbbbbbbbb"))

    assert first["mediaType"] == MANIFEST_MEDIA_TYPE
    assert first["layers"][0]["digest"] != second["layers"][0]["digest"]
    assert first["config"]["digest"] != second["config"]["digest"]
