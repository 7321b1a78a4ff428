from __future__ import annotations

import base64
import os

import pytest

from smgitops.artifacts.package import package_model
from smgitops.artifacts.publish import model_data_key, publish_model
from smgitops.aws.clients import client as aws_client

pytestmark = pytest.mark.integration


def test_first_publish_uploads_the_tarball_under_its_content_key(aws, repo, tmp_path, env_settings):
    settings = env_settings()
    s3 = aws_client("s3", settings.region)
    package = package_model(repo, "demo", tmp_path / "out")

    published = publish_model(s3, settings, package)

    key = model_data_key(settings, "demo", package.tree)
    assert published.uploaded is True
    assert published.s3_uri == f"s3://acme-ml-artifacts/{key}"
    stored = s3.get_object(Bucket="acme-ml-artifacts", Key=key)
    assert stored["Body"].read() == package.path.read_bytes()
    assert stored["Metadata"] == {"sha256": package.sha256, "tree": package.tree}
    head = s3.head_object(Bucket="acme-ml-artifacts", Key=key, ChecksumMode="ENABLED")
    assert base64.b64decode(head["ChecksumSHA256"]).hex() == package.sha256


def test_other_bytes_under_the_key_are_replaced_and_reported(aws, repo, tmp_path, env_settings):
    settings = env_settings()
    s3 = aws_client("s3", settings.region)
    package = package_model(repo, "demo", tmp_path / "out")
    first = publish_model(s3, settings, package)
    bucket, key = first.s3_uri[5:].split("/", 1)
    s3.put_object(Bucket=bucket, Key=key, Body=b"not the model")  # an overwrite by hand

    again = publish_model(s3, settings, package)

    assert (again.uploaded, again.repaired) == (True, True)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == package.path.read_bytes()


def test_second_publish_of_unchanged_model_uploads_nothing(aws, repo, tmp_path, env_settings):
    settings = env_settings()
    s3 = aws_client("s3", settings.region)
    publish_model(s3, settings, package_model(repo, "demo", tmp_path / "one"))
    before = s3.list_objects_v2(Bucket="acme-ml-artifacts")["Contents"]

    again = publish_model(s3, settings, package_model(repo, "demo", tmp_path / "two"))

    after = s3.list_objects_v2(Bucket="acme-ml-artifacts")["Contents"]
    assert again.uploaded is False
    assert [(o["Key"], o["LastModified"]) for o in after] == [
        (o["Key"], o["LastModified"]) for o in before
    ]


def test_changed_model_is_uploaded_beside_the_previous_one(aws, repo, tmp_path, env_settings):
    settings = env_settings()
    s3 = aws_client("s3", settings.region)
    first = publish_model(s3, settings, package_model(repo, "demo", tmp_path / "one"))
    (repo / "models" / "demo" / "artifact" / "model.bin").write_bytes(b"retrained weights")

    second = publish_model(s3, settings, package_model(repo, "demo", tmp_path / "two"))

    assert second.uploaded is True
    assert second.s3_uri != first.s3_uri
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="acme-ml-artifacts")["Contents"]]
    assert len(keys) == 2  # the old tarball stays for rollback


@pytest.mark.parametrize("region", ["eu-west-1", "us-east-1"])
def test_missing_bucket_is_created_in_the_env_region(aws, repo, tmp_path, env_settings, region):
    settings = env_settings(region=region)
    s3 = aws_client("s3", region)

    publish_model(s3, settings, package_model(repo, "demo", tmp_path / "out"))

    location = s3.get_bucket_location(Bucket="acme-ml-artifacts")["LocationConstraint"]
    assert (location or "us-east-1") == region


def test_large_tarball_goes_up_in_parts_and_round_trips(
    aws, repo, tmp_path, env_settings, monkeypatch
):
    from boto3.s3.transfer import TransferConfig

    from smgitops.artifacts import upload

    mb = 1024 * 1024
    monkeypatch.setattr(
        upload, "TRANSFER", TransferConfig(multipart_threshold=5 * mb, multipart_chunksize=5 * mb)
    )
    monkeypatch.setattr(upload, "SINGLE_PUT_BYTES", 5 * mb)
    # Random bytes do not compress, so the tarball stays above the multipart threshold.
    (repo / "models" / "demo" / "artifact" / "model.bin").write_bytes(os.urandom(12 * mb))
    settings = env_settings()
    s3 = aws_client("s3", settings.region)
    package = package_model(repo, "demo", tmp_path / "out")

    published = publish_model(s3, settings, package)

    key = model_data_key(settings, "demo", package.tree)
    head = s3.head_object(Bucket="acme-ml-artifacts", Key=key)
    assert published.uploaded is True
    assert head["ETag"].strip('"').endswith("-3")  # three parts
    body = s3.get_object(Bucket="acme-ml-artifacts", Key=key)["Body"].read()
    assert body == package.path.read_bytes()


def test_upload_on_a_terminal_shows_progress(aws, repo, tmp_path, env_settings, monkeypatch):
    import io

    from rich.console import Console

    from smgitops.artifacts import publish, upload

    screen = io.StringIO()
    monkeypatch.setattr(publish, "err", Console(file=screen, force_terminal=True, width=80))
    monkeypatch.setattr(upload, "SINGLE_PUT_BYTES", 0)  # progress is shown for large uploads
    settings = env_settings()

    published = publish_model(
        aws_client("s3", settings.region), settings, package_model(repo, "demo", tmp_path / "o")
    )

    assert published.uploaded is True
    assert "uploading demo" in screen.getvalue()
