"""S3 artifacts at the AWS edge: read the pin at plan time, publish the pinned bytes at apply.

Publishing copies (or repacks) the pinned object into the env's artifact bucket under its
content key, so a later overwrite of the training bucket never changes a deployed model and
`git revert` can always point back at the old key.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from smgitops.artifacts.package import ModelPackage
from smgitops.artifacts.publish import PublishedModel, publish_at
from smgitops.aws.clients import S3_NOT_FOUND, error_code
from smgitops.core.desired import EnvSettings
from smgitops.core.naming import TARBALL_NAME, s3_artifact_digest
from smgitops.core.pins import S3Pin, split_s3_uri
from smgitops.errors import UserError
from smgitops.sources.repack import code_files, repack

_CHANGED = {"412", "PreconditionFailed"}


def head_source(
    s3: Any, uri: str, version_id: str | None = None, expected_etag: str | None = None
) -> tuple[str, str | None]:
    """(ETag, VersionId or None) of the S3 artifact `uri` (that version, when given).

    UserError when it is missing or its ETag is not the pinned `expected_etag`.
    """
    bucket, key = split_s3_uri(uri)
    request = {"Bucket": bucket, "Key": key}
    if version_id:
        request["VersionId"] = version_id
    shown = f"{uri} (version {version_id})" if version_id else uri
    try:
        head = s3.head_object(**request)
    except ClientError as error:
        if error_code(error) in S3_NOT_FOUND | {"400", "InvalidArgument"}:
            raise UserError(f"model artifact {shown} does not exist") from None
        raise
    etag = head["ETag"].strip('"')
    if expected_etag and etag != expected_etag:
        raise UserError(
            f"model artifact {shown} has ETag {etag}, but the manifest pins {expected_etag}: "
            "it was overwritten since it was promoted"
        )
    version = head.get("VersionId")
    # Unversioned buckets report no VersionId (or the literal "null").
    return etag, None if version in (None, "null") else version


def _source_args(pin: S3Pin) -> dict[str, str]:
    args = {"Bucket": pin.bucket, "Key": pin.key}
    if pin.version_id:
        args["VersionId"] = pin.version_id
    return args


def _changed(pin: S3Pin) -> UserError:
    return UserError(
        f"model artifact {pin.uri} changed since the plan (planned ETag {pin.etag}): "
        "run `smgitops plan` again and review it"
    )


def publish_s3_artifact(
    s3: Any, settings: EnvSettings, label: str, pin: S3Pin, url: str, repo_root: Path
) -> PublishedModel:
    """Make `url` in the env's bucket hold the pinned artifact (repacked with the repo's code
    when the pin names code), verified like a folder model's tarball (`publish_at`): an intact
    copy costs one HEAD; otherwise the source is read once, only at the pinned ETag (and
    version), hashed as it streams, and uploaded conditionally with its sha256 and the key's
    digest in its metadata, so plan and drift can tell later if it was overwritten. (No
    server-side copy: a bucket policy that requires conditional writes refuses CopyObject.)

    UserError when the source changed since the plan or no longer exists.
    """
    digest = s3_artifact_digest(url)
    if digest is None:
        raise ValueError(f"not an S3 artifact key: {url}")

    with tempfile.TemporaryDirectory(prefix="smgitops-s3-") as scratch:

        def build() -> ModelPackage:
            source = Path(scratch) / "source.tar.gz"
            sha256, size = _download_pinned(s3, pin, source)
            if pin.code is None:
                return ModelPackage(label, source, sha256, size, digest)
            target = Path(scratch) / TARBALL_NAME
            sha256, size = repack(source, code_files(repo_root, pin.code), target)
            return ModelPackage(label, target, sha256, size, digest)

        try:
            return publish_at(s3, settings, label, url, digest, build)
        except ClientError as error:
            if error_code(error) in _CHANGED:
                raise _changed(pin) from None
            if error_code(error) in S3_NOT_FOUND:
                raise UserError(f"model artifact {pin.uri} no longer exists") from None
            raise


def _download_pinned(s3: Any, pin: S3Pin, destination: Path) -> tuple[str, int]:
    """Stream the pinned version of the source into `destination`: (sha256, size)."""
    response = s3.get_object(**_source_args(pin), IfMatch=f'"{pin.etag}"')
    digest, size = hashlib.sha256(), 0
    with destination.open("wb") as out:
        for chunk in response["Body"].iter_chunks(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return digest.hexdigest(), size
