"""Uploads that never write over bytes they have not seen, with a SHA-256 checksum S3 checks.

Shared by the content store (pinned weights) and the env's tarballs. Up to SINGLE_PUT_BYTES a
file goes in one PutObject conditional on what the caller's HEAD saw: `If-None-Match: *` when
the key was absent, `If-Match: <etag>` when it held other bytes. Larger files go up in
parallel parts; S3 then keeps only a composite checksum, so they are verified by streaming.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from smgitops.aws.clients import S3_CONFLICT, error_code
from smgitops.aws.verify import ObjectHead

_MB = 1024 * 1024
SINGLE_PUT_BYTES = 256 * _MB
TRANSFER = TransferConfig(multipart_threshold=SINGLE_PUT_BYTES, multipart_chunksize=64 * _MB)


def put_file(
    s3: Any,
    bucket: str,
    key: str,
    source: Path,
    found: ObjectHead | None,
    extra: dict[str, Any],
    progress: Callable[[int], None] | None = None,
) -> bool:
    """Upload `source` to `bucket`/`key` with `extra` (ContentType, Metadata, ...), where a
    HEAD found `found`. False when another writer changed the key first (nothing written).

    `progress` receives byte counts of a multipart upload.
    """
    extra = {**extra, "ChecksumAlgorithm": "SHA256"}
    if source.stat().st_size > SINGLE_PUT_BYTES:
        s3.upload_file(
            str(source), bucket, key, ExtraArgs=extra, Config=TRANSFER, Callback=progress
        )
        return True
    condition = {"IfNoneMatch": "*"} if found is None else {"IfMatch": f'"{found.etag}"'}
    try:
        with source.open("rb") as body:
            s3.put_object(Bucket=bucket, Key=key, Body=body, **extra, **condition)
    except ClientError as error:
        if error_code(error) not in S3_CONFLICT:
            raise
        return False
    return True
