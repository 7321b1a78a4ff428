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

from botocore.exceptions import ClientError

from smgitops.artifacts import upload
from smgitops.artifacts.package import ModelPackage
from smgitops.aws.clients import S3_NOT_FOUND, error_code
from smgitops.aws.verify import (
    INTACT,
    META_SHA256,
    META_TREE,
    head,
    split_uri,
    tarball_state,
)
from smgitops.aws.wire import object_encryption
from smgitops.console import err
from smgitops.core.desired import EnvSettings
from smgitops.core.naming import tarball_key
from smgitops.errors import AwsError


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
        if code not in S3_NOT_FOUND:
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


def publish_tree(
    s3: Any, settings: EnvSettings, name: str, tree: str, build: Callable[[], ModelPackage]
) -> PublishedModel:
    """Make the env's key of tree digest `tree` hold exactly its tarball (see publish_at)."""
    uri = s3_uri(settings.artifact_bucket, model_data_key(settings, name, tree))
    return publish_at(s3, settings, name, uri, tree, build)


def publish_at(
    s3: Any,
    settings: EnvSettings,
    name: str,
    uri: str,
    identity: str,
    build: Callable[[], ModelPackage],
) -> PublishedModel:
    """Make `uri` in the env's bucket hold exactly the tarball `build()` makes for `identity`
    (a folder model's tree digest, a pinned S3 artifact's key digest): nothing when it is
    intact (one HEAD; `build` is not called, so an unchanged model fetches no bytes), upload
    when it is missing, replace it when other bytes are there (repair). Checked again after
    the upload; AwsError when it is still not intact (an object without our record, as an
    older version copied it, is not intact either: it is replaced)."""
    found = head(s3, uri)
    state = tarball_state(found, identity)
    if found is not None and state in INTACT:
        return PublishedModel(name, found.metadata.get(META_SHA256, ""), uri, uploaded=False)
    package = build()
    ensure_bucket(s3, settings)
    bucket, key = split_uri(uri)
    extra: dict[str, Any] = {
        "ContentType": "application/gzip",
        "Metadata": {META_SHA256: package.sha256, META_TREE: identity},
        **object_encryption(settings.kms_key_id),
    }
    if err.is_terminal and package.size > upload.SINGLE_PUT_BYTES:
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

        columns = (TextColumn("uploading {task.description}"), BarColumn(), DownloadColumn())
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task(package.name, total=package.size)
            upload.put_file(
                s3, bucket, key, package.path, found, extra, lambda n: bar.advance(task, n)
            )
    else:
        # False: written meanwhile by another run, acceptable only if it is these bytes.
        upload.put_file(s3, bucket, key, package.path, found, extra)
    after = tarball_state(head(s3, uri), identity)
    if after not in INTACT:
        raise AwsError(f"{uri} is {after.value} right after it was uploaded: re-run apply")
    return PublishedModel(name, package.sha256, uri, uploaded=True, repaired=found is not None)


def publish_model(s3: Any, settings: EnvSettings, package: ModelPackage) -> PublishedModel:
    """`publish_tree` of a tarball packaged already."""
    return publish_tree(s3, settings, package.name, package.tree, lambda: package)
