"""Model tarballs in the env's bucket under a key named by their tree digest.

The key is `<artifactPrefix>/models/<name>/p<format>-<tree digest>/model.tar.gz` (see
`package.tree_digest`), known from git alone. Uploads are conditional (never over other
bytes), carry a whole-object SHA-256 checksum that S3 validates, and record the tarball's
sha256 and tree in the object's metadata, so one HEAD tells an intact tarball from a missing
or overwritten one (`verify.tarball_state`). Publishing an intact model is one HEAD request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from smgitops.artifacts.package import ModelPackage
from smgitops.artifacts.verify import (
    META_SHA256,
    META_TREE,
    ObjectState,
    head,
    tarball_state,
)
from smgitops.aws import error_code
from smgitops.console import err
from smgitops.errors import AwsError
from smgitops.naming import tarball_key
from smgitops.spec import EnvSettings

_MB = 1024 * 1024
# Up to this size one conditional PUT with a whole-object SHA-256; above it parallel parts.
SINGLE_PUT_BYTES = 256 * _MB
TRANSFER = TransferConfig(multipart_threshold=SINGLE_PUT_BYTES, multipart_chunksize=64 * _MB)
_NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
_CONFLICT = {"412", "PreconditionFailed", "ConditionalRequestConflict"}
_INTACT = (ObjectState.VERIFIED, ObjectState.UNVERIFIED)


@dataclass(frozen=True)
class PublishedModel:
    name: str
    sha256: str
    s3_uri: str
    uploaded: bool  # False: the same content was already there
    repaired: bool = False  # True: other bytes were under the key and were replaced


def model_data_key(settings: EnvSettings, name: str, tree: str) -> str:
    """S3 key of a model tarball in the env's bucket (see naming.tarball_key). No side effects."""
    return tarball_key(settings.artifact_prefix, name, tree)


def s3_uri(bucket: str, key: str) -> str:
    """`s3://bucket/key`. No side effects."""
    return f"s3://{bucket}/{key}"


def ensure_bucket(s3: Any, settings: EnvSettings) -> bool:
    """Create the env's artifact bucket if it does not exist; True when it was created."""
    return ensure_bucket_named(s3, settings.artifact_bucket, settings.region)


def ensure_bucket_named(s3: Any, bucket: str, region: str) -> bool:
    """Create `bucket` in `region` if it does not exist; True when it was created."""
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
    err.print(f"creating bucket {bucket} in {region}")
    request: dict[str, Any] = {"Bucket": bucket}
    # us-east-1 is S3's default location and rejects an explicit LocationConstraint.
    if region != "us-east-1":
        request["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**request)
    except ClientError as error:
        if error_code(error) == "BucketAlreadyOwnedByYou":
            return False  # created concurrently by another run
        if error_code(error) == "BucketAlreadyExists":
            raise AwsError(
                f"artifact bucket name {bucket} is taken by another account: "
                "choose another bucket name"
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


def publish_tree(
    s3: Any, settings: EnvSettings, name: str, tree: str, build: Callable[[], ModelPackage]
) -> PublishedModel:
    """Like `publish_model`, but `build()` packages the tarball only when the env's key does
    not already hold it intact (one HEAD), so an unchanged model fetches no weights."""
    uri = s3_uri(settings.artifact_bucket, model_data_key(settings, name, tree))
    found = head(s3, uri)
    if found is not None and tarball_state(found, tree) in _INTACT:
        return PublishedModel(name, found.metadata[META_SHA256], uri, uploaded=False)
    return publish_model(s3, settings, build())


def publish_model(s3: Any, settings: EnvSettings, package: ModelPackage) -> PublishedModel:
    """Make the env's key of `package` hold exactly its bytes: upload it when missing, replace
    it when other bytes are there (repair), nothing when it is intact. Checked afterwards."""
    bucket = settings.artifact_bucket
    key = model_data_key(settings, package.name, package.tree)
    uri = s3_uri(bucket, key)
    ensure_bucket(s3, settings)
    found = head(s3, uri)
    if tarball_state(found, package.tree) in _INTACT:
        return PublishedModel(package.name, package.sha256, uri, uploaded=False)
    extra: dict[str, Any] = {
        "ContentType": "application/gzip",
        "Metadata": {META_SHA256: package.sha256, META_TREE: package.tree},
    }
    if package.size > SINGLE_PUT_BYTES:
        _upload_large(s3, package, bucket, key, extra)
    else:
        # Never over bytes we have not seen: absent, or exactly the altered object we saw.
        condition = {"IfNoneMatch": "*"} if found is None else {"IfMatch": f'"{found.etag}"'}
        try:
            with package.path.open("rb") as body:
                s3.put_object(
                    Bucket=bucket,
                    Key=key,
                    Body=body,
                    ChecksumAlgorithm="SHA256",
                    **extra,
                    **condition,
                )
        except ClientError as error:
            if error_code(error) not in _CONFLICT:
                raise
            # Written meanwhile by another run: acceptable only if it is these bytes.
    after = tarball_state(head(s3, uri), package.tree)
    if after not in _INTACT:
        raise AwsError(f"{uri} is {after.value} right after it was uploaded: re-run apply")
    return PublishedModel(
        package.name, package.sha256, uri, uploaded=True, repaired=found is not None
    )


def _upload_large(
    s3: Any, package: ModelPackage, bucket: str, key: str, extra: dict[str, Any]
) -> None:
    extra = {**extra, "ChecksumAlgorithm": "SHA256"}
    if err.is_terminal:
        _upload_with_progress(s3, package, bucket, key, extra)
    else:
        s3.upload_file(str(package.path), bucket, key, ExtraArgs=extra, Config=TRANSFER)


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
