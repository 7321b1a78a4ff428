"""Pure parts of the emulator: artifact addresses, safe extraction, wire errors, policies."""

import gzip
import io
import json
import tarfile

import pytest

from smgitops.emulator.artifacts import (
    ArchiveNotExtracted,
    EcrImageRef,
    S3ObjectRef,
    UnsafeArchive,
    extract_model_tarball,
    parse_ecr_image,
    parse_s3_url,
    unserved_image_reason,
)
from smgitops.emulator.error_shapes import json_auth_error
from smgitops.emulator.faults import throttling_response

REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
DIGEST = "sha256:" + "ab" * 32


def _tarball(*members: tarfile.TarInfo, data: bytes = b"x") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for member in members:
            if member.isfile():
                member.size = len(data)
                archive.addfile(member, io.BytesIO(data))
            else:
                archive.addfile(member)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (f"{REGISTRY}/serve:v1", EcrImageRef("123456789012", "eu-west-1", "serve", "v1", None)),
        (
            f"{REGISTRY}/team/serve",
            EcrImageRef("123456789012", "eu-west-1", "team/serve", "latest", None),
        ),
        (
            f"{REGISTRY}/serve@{DIGEST}",
            EcrImageRef("123456789012", "eu-west-1", "serve", None, DIGEST),
        ),
        ("python:3.11", None),
        ("public.ecr.aws/docker/library/python:3.11", None),
    ],
)
def test_ecr_image_uris_are_parsed(uri, expected):
    assert parse_ecr_image(uri) == expected


@pytest.mark.parametrize(
    ("uri", "served"),
    [
        ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3", True),
        ("763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311", True),
        ("763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference-graviton:2.1-cpu", True),
        ("520713654638.dkr.ecr.us-east-1.amazonaws.com/sagemaker-pytorch:1.0.0-cpu-py3", True),
        ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", False),
        ("763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-inference:2.13-cpu", False),
        (f"763104351884.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn@{DIGEST}", True),
        # The caller's own account: whatever the repository is called, it is the user's image.
        (f"{REGISTRY}/sagemaker-xgboost:1.7-1", True),
        ("registry.example.com/team/serving:1", True),
    ],
)
def test_only_the_sklearn_and_pytorch_aws_images_are_served(uri, served):
    reason = unserved_image_reason(uri)
    assert (reason is None) == served
    if not served:
        assert reason.startswith(f"The emulator does not run the AWS image {uri}: ")
        assert "the emulator's wording" in reason


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://bucket/models/m/model.tar.gz", S3ObjectRef("bucket", "models/m/model.tar.gz")),
        ("s3://bucket/", None),
        ("https://bucket.s3.amazonaws.com/key", None),
    ],
)
def test_s3_urls_are_parsed(url, expected):
    assert parse_s3_url(url) == expected


def test_model_tarball_is_extracted(tmp_path):
    extract_model_tarball(_tarball(tarfile.TarInfo("code/inference.py")), tmp_path / "model")

    assert (tmp_path / "model" / "code" / "inference.py").read_bytes() == b"x"


@pytest.mark.parametrize("name", ["../escape.py", "/etc/evil", "code/../../escape.py"])
def test_entries_outside_the_model_directory_are_refused(tmp_path, name):
    with pytest.raises(UnsafeArchive):
        extract_model_tarball(_tarball(tarfile.TarInfo(name)), tmp_path / "model")

    assert not (tmp_path / "escape.py").exists()


def test_links_are_refused(tmp_path):
    link = tarfile.TarInfo("code/link")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"

    with pytest.raises(UnsafeArchive):
        extract_model_tarball(_tarball(link), tmp_path / "model")


@pytest.mark.parametrize(
    "data",
    [b"not a tarball", gzip.compress(b"not a tarball either"), b""],
    ids=["text", "gz", "empty"],
)
def test_data_that_is_no_tar_archive_is_refused_as_such(tmp_path, data):
    with pytest.raises(ArchiveNotExtracted, match=r"not a valid tar\.gz archive"):
        extract_model_tarball(data, tmp_path / "model")


def test_moto_auth_error_becomes_the_json_protocol_error():
    xml = (
        b'<?xml version="1.0"?><ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code>'
        b"<Message>The security token included in the request is invalid.</Message>"
        b"</Error></Errors></ErrorResponse>"
    )

    code, body = json_auth_error(xml)

    assert code == "UnrecognizedClientException"
    assert json.loads(body) == {
        "__type": "UnrecognizedClientException",
        "message": "The security token included in the request is invalid.",
    }


def test_other_xml_errors_are_left_alone():
    assert json_auth_error(b"<Error><Code>NoSuchBucket</Code><Message>x</Message></Error>") is None


def test_s3_is_throttled_with_slow_down_503():
    status, _, body = throttling_response({"PATH_INFO": "/bucket"}, "s3")

    assert status.startswith("503")
    assert b"<Code>SlowDown</Code>" in body


def test_json_services_are_throttled_with_throttling_exception():
    status, headers, body = throttling_response(
        {"HTTP_X_AMZ_TARGET": "SageMaker.ListModels"}, "sagemaker"
    )

    assert status.startswith("400")
    assert ("x-amzn-ErrorType", "ThrottlingException") in headers
    assert json.loads(body)["__type"] == "ThrottlingException"


def test_a_rolling_timeout_under_aws_minimum_is_named_with_its_limit():
    from smgitops.emulator.validation import _range_errors

    errors = _range_errors(
        {
            "RollingUpdatePolicy": {
                "WaitIntervalInSeconds": 60,
                "MaximumExecutionTimeoutInSeconds": 60,
            }
        }
    )

    assert errors == [
        "Value '60' at 'deploymentConfig.rollingUpdatePolicy.maximumExecutionTimeoutInSeconds' "
        "failed to satisfy constraint: Member must have value greater than or equal to 600"
    ]
