"""Model tarballs in S3 under a key named by their sha256: uploaded once, never overwritten.

The key is `<artifactPrefix>/models/<name>/<sha256>/model.tar.gz`. A key that exists already
holds exactly these bytes, so publishing an unchanged model is one HEAD request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from smgitops.artifacts.package import TARBALL_NAME, ModelPackage
from smgitops.aws import error_code
from smgitops.console import err
from smgitops.errors import AwsError
from smgitops.spec import EnvSettings

_MB = 1024 * 1024
# Large models go up in parallel parts; small ones in a single PUT.
TRANSFER = TransferConfig(multipart_threshold=64 * _MB, multipart_chunksize=64 * _MB)
_NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}


@dataclass(frozen=True)
class PublishedModel:
    name: str
    sha256: str
    s3_uri: str
    uploaded: bool  # False: the same content was already there


def model_data_key(settings: EnvSettings, name: str, sha256: str) -> str:
    """S3 key of a model tarball, named by its content hash. No side effects."""
    prefix = settings.artifact_prefix.strip("/")
    key = f"models/{name}/{sha256}/{TARBALL_NAME}"
    return f"{prefix}/{key}" if prefix else key


def s3_uri(bucket: str, key: str) -> str:
    """`s3://bucket/key`. No side effects."""
    return f"s3://{bucket}/{key}"


def ensure_bucket(s3: Any, settings: EnvSettings) -> bool:
    """Create the env's artifact bucket if it does not exist; True when it was created."""
    bucket = settings.artifact_bucket
    try:
        s3.head_bucket(Bucket=bucket)
        return False
    except ClientError as error:
        code = error_code(error)
        if code in {"403", "AccessDenied", "Forbidden"}:
            raise AwsError(
                f"artifact bucket {bucket} exists but this identity cannot use it "
                "(owned by another account, or missing s3:ListBucket)"
            ) from None
        if code not in _NOT_FOUND:
            raise
    err.print(f"creating artifact bucket {bucket} in {settings.region}")
    request: dict[str, Any] = {"Bucket": bucket}
    # us-east-1 is S3's default location and rejects an explicit LocationConstraint.
    if settings.region != "us-east-1":
        request["CreateBucketConfiguration"] = {"LocationConstraint": settings.region}
    try:
        s3.create_bucket(**request)
    except ClientError as error:
        if error_code(error) == "BucketAlreadyOwnedByYou":
            return False  # created concurrently by another run
        if error_code(error) == "BucketAlreadyExists":
            raise AwsError(
                f"artifact bucket name {bucket} is taken by another account: "
                "choose another artifactBucket in _env.yaml"
            ) from None
        raise
    return True


def object_exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error_code(error) in _NOT_FOUND:
            return False
        raise
    return True


def publish_model(s3: Any, settings: EnvSettings, package: ModelPackage) -> PublishedModel:
    """Upload `package` under its content key unless that key exists already."""
    bucket = settings.artifact_bucket
    key = model_data_key(settings, package.name, package.sha256)
    uri = s3_uri(bucket, key)
    ensure_bucket(s3, settings)
    if object_exists(s3, bucket, key):
        return PublishedModel(package.name, package.sha256, uri, uploaded=False)
    extra = {"ContentType": "application/gzip", "Metadata": {"sha256": package.sha256}}
    if err.is_terminal:
        _upload_with_progress(s3, package, bucket, key, extra)
    else:
        s3.upload_file(str(package.path), bucket, key, ExtraArgs=extra, Config=TRANSFER)
    return PublishedModel(package.name, package.sha256, uri, uploaded=True)


def _upload_with_progress(
    s3: Any, package: ModelPackage, bucket: str, key: str, extra: dict[str, Any]
) -> None:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    columns = (TextColumn("uploading {task.description}"), BarColumn(), DownloadColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(package.name, total=package.size)
        s3.upload_file(
            str(package.path),
            bucket,
            key,
            ExtraArgs=extra,
            Config=TRANSFER,
            Callback=lambda sent: progress.advance(task, sent),
        )
