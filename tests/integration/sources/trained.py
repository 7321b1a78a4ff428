"""Trained artifacts as a pipeline would leave them in S3, and manifests that deploy them."""

from __future__ import annotations

import io
import tarfile

import boto3

TRAINING_BUCKET = "training-output"


def tarball(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def upload(key: str, files: dict[str, str], *, versioned: bool = False) -> str:
    """Put a model.tar.gz of `files` in the training bucket; returns its s3:// URI."""
    s3 = boto3.client("s3")
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    if TRAINING_BUCKET not in buckets:
        s3.create_bucket(Bucket=TRAINING_BUCKET)
        if versioned:
            s3.put_bucket_versioning(
                Bucket=TRAINING_BUCKET, VersioningConfiguration={"Status": "Enabled"}
            )
    s3.put_object(Bucket=TRAINING_BUCKET, Key=key, Body=tarball(files))
    return f"s3://{TRAINING_BUCKET}/{key}"


def manifest(model: str, name: str = "scorer") -> str:
    return (
        "apiVersion: smgitops/v1\n"
        "kind: Endpoint\n"
        "metadata:\n"
        f"  name: {name}\n"
        "spec:\n"
        f"  model: {model}\n"
        "  variants:\n"
        "    - name: primary\n"
        "      instanceType: ml.m5.large\n"
        "      instanceCount: 1\n"
        "  smokeTest:\n"
        "    contentType: text/csv\n"
        '    body: "1,2,3"\n'
    )
