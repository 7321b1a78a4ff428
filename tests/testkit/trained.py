"""Trained artifacts as a pipeline would leave them in S3, and manifests that deploy them."""

from __future__ import annotations

import io
import tarfile

import boto3

from testkit import scratch

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
    """An endpoint manifest whose `spec.model` is `model` (an S3 or Model Registry source)."""
    return scratch.manifest(name, model=model)


# A model whose code ships inside its registry artifact; the image is outside ECR, which the
# emulator does not check (the registry's image is deployed as registered).
REGISTRY_IMAGE = "registry.example.com/team/serving:1"


def register_version(group: str, weight: int, inference_py: str, *, approved: bool) -> str:
    """Upload an artifact and register it as the next version of `group`; returns its ARN."""
    sagemaker = boto3.client("sagemaker")
    groups = sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]
    if group not in {g["ModelPackageGroupName"] for g in groups}:
        sagemaker.create_model_package_group(ModelPackageGroupName=group)
    count = len(
        sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
    )
    uri = upload(
        f"registry/{group}/{count + 1}/model.tar.gz",
        {"weight.txt": f"{weight}\n", "code/inference.py": inference_py},
    )
    request = {
        "ModelPackageGroupName": group,
        "InferenceSpecification": {
            "Containers": [{"Image": REGISTRY_IMAGE, "ModelDataUrl": uri}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
    }
    if approved:
        request["ModelApprovalStatus"] = "Approved"
    return sagemaker.create_model_package(**request)["ModelPackageArn"]


def approve(arn: str) -> None:
    boto3.client("sagemaker").update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved"
    )
