"""The emulator with IAM enforced (signatures and policies, resource ARNs included).

`enforced` yields admin credentials; `assume` trades a role ARN for that role's credentials the
way GitHub's workflows do (AssumeRoleWithWebIdentity).
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import textwrap
import time
from collections.abc import Callable, Iterator

import boto3
import pytest

from .iam_authorization import resource_level_iam

REGION = "us-east-1"
ACCOUNT = "123456789012"
# An OIDC token as GitHub would send it; moto accepts any token (trust is pinned by unit tests).
GITHUB_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvbWwtZGVwbG95In0.c2ln"

INFERENCE = textwrap.dedent(
    """\
    def model_fn(model_dir):
        return {"scale": 2.0}

    def predict_fn(rows, model):
        return [sum(row) * model["scale"] for row in rows]
    """
)


@pytest.fixture
def enforced(aws) -> Iterator[boto3.Session]:
    """An admin session; every request in the test is checked against IAM policies."""
    aws.configure(enforce_iam=True)
    admin = aws.admin_credentials
    try:
        with resource_level_iam():
            yield boto3.Session(
                aws_access_key_id=admin.access_key_id,
                aws_secret_access_key=admin.secret_access_key,
                region_name=REGION,
            )
    finally:
        aws.configure(enforce_iam=False)


@pytest.fixture
def assume(aws, enforced) -> Callable[[str], boto3.Session]:
    def assume_role(role_arn: str) -> boto3.Session:
        # AssumeRoleWithWebIdentity is unsigned (the token is the credential); moto's
        # enforcement expects a signature on every call, so it is paused for this one call.
        aws.configure(enforce_iam=False)
        try:
            credentials = boto3.client("sts", region_name=REGION).assume_role_with_web_identity(
                RoleArn=role_arn, RoleSessionName="github-actions", WebIdentityToken=GITHUB_TOKEN
            )["Credentials"]
        finally:
            aws.configure(enforce_iam=True)
        return boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=REGION,
        )

    return assume_role


def model_tarball() -> bytes:
    """A tiny real model: the emulator serves it with the project's serving stack."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = INFERENCE.encode()
        info = tarfile.TarInfo("code/inference.py")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def image_manifest(seed: str) -> str:
    digest = "sha256:" + hashlib.sha256(seed.encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 7023,
                "digest": digest,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 32654,
                    "digest": digest,
                }
            ],
        }
    )


def wait_for_status(sagemaker, endpoint: str, wanted: str, timeout_s: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        described = sagemaker.describe_endpoint(EndpointName=endpoint)
        if described["EndpointStatus"] == wanted:
            return described
        assert described["EndpointStatus"] not in ("Failed", "RollingBack"), described
        assert time.monotonic() < deadline, f"{endpoint} never became {wanted}: {described}"
        time.sleep(0.1)
