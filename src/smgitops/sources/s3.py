"""S3 artifacts at the AWS edge: read the pin at plan time, publish the pinned bytes at apply.

Publishing copies (or repacks) the pinned object into the env's artifact bucket under its
content key, so a later overwrite of the training bucket never changes a deployed model and
`git revert` can always point back at the old key.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from smgitops.artifacts.publish import ensure_bucket, object_exists
from smgitops.aws import error_code
from smgitops.errors import UserError
from smgitops.sources.pins import S3Pin, split_s3_uri
from smgitops.sources.repack import code_files, repack
from smgitops.spec import EnvSettings

_NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
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
        if error_code(error) in _NOT_FOUND | {"400", "InvalidArgument"}:
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
    s3: Any, settings: EnvSettings, pin: S3Pin, key: str, repo_root: Path
) -> bool:
    """Put the pinned artifact at `key` in the env's bucket unless it is there; True if put."""
    bucket = settings.artifact_bucket
    ensure_bucket(s3, settings)
    if object_exists(s3, bucket, key):
        return False
    try:
        if pin.code is None:
            s3.copy(
                _source_args(pin),
                bucket,
                key,
                ExtraArgs={"CopySourceIfMatch": f'"{pin.etag}"'},
            )
            return True
        with tempfile.TemporaryDirectory(prefix="smgitops-s3-") as scratch:
            source = Path(scratch) / "source.tar.gz"
            response = s3.get_object(**_source_args(pin), IfMatch=f'"{pin.etag}"')
            with source.open("wb") as out:
                for chunk in response["Body"].iter_chunks(1024 * 1024):
                    out.write(chunk)
            target = Path(scratch) / "model.tar.gz"
            sha256, _ = repack(source, code_files(repo_root, pin.code), target)
            s3.upload_file(
                str(target),
                bucket,
                key,
                ExtraArgs={"ContentType": "application/gzip", "Metadata": {"sha256": sha256}},
            )
    except ClientError as error:
        if error_code(error) in _CHANGED:
            raise _changed(pin) from None
        if error_code(error) in _NOT_FOUND:
            raise UserError(f"model artifact {pin.uri} no longer exists") from None
        raise
    return True
