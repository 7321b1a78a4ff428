"""The one verifier: do the bytes in S3 still match what git pinned? Never trusted by key.

Two checks, both one HEAD request (`ChecksumMode=ENABLED`):
- a store blob, named by its sha256: S3's own whole-object SHA-256 checksum must equal it;
- a model tarball, named by its tree digest: S3's checksum must equal the sha256 recorded in
  its metadata when this tool uploaded it, and that metadata must name the same tree. A plain
  overwrite (console, CLI, another tool) drops or changes both, so it shows as ALTERED.

S3 validates the checksum an upload carries (`ChecksumAlgorithm=SHA256`), so the value a HEAD
returns is the hash of the stored bytes. A multipart upload's SHA-256 is a
checksum of its parts' checksums (`<base64>-<parts>`), not of the object: such an object is
UNVERIFIED by a HEAD and verified only by streaming it (`download_verified`).
Source: Amazon S3 User Guide, "Checking object integrity" (full object and composite checksums).
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from smgitops.aws.clients import S3_NOT_FOUND, error_code
from smgitops.errors import UserError

_CHUNK = 1024 * 1024
META_SHA256 = "sha256"  # x-amz-meta-sha256: hex sha256 of the tarball's bytes
META_TREE = "tree"  # x-amz-meta-tree: the tree digest the tarball was built from


class ObjectState(StrEnum):
    VERIFIED = "verified"  # S3's whole-object SHA-256 matches
    UNVERIFIED = "unverified"  # present, but S3 holds no whole-object SHA-256 for it
    MISSING = "missing"
    ALTERED = "altered"  # other bytes than the ones pinned
    UNRECORDED = "unrecorded"  # present, without the record this tool writes (an old copy)


# What a copy that is there and not known to hold other bytes counts as: keep it.
INTACT = (ObjectState.VERIFIED, ObjectState.UNVERIFIED)


@dataclass(frozen=True)
class ObjectHead:
    """What one HEAD says of an object: ETag, whole-object sha256 (hex) if S3 has one, and
    the user metadata."""

    etag: str
    sha256: str | None
    metadata: dict[str, str] = field(default_factory=dict)


def split_uri(uri: str) -> tuple[str, str]:
    """(bucket, key) of `s3://bucket/key`. No side effects."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def whole_object_sha256(checksum: str | None) -> str | None:
    """Hex sha256 from S3's ChecksumSHA256, or None for a composite (multipart) checksum or
    none at all. No side effects."""
    if not checksum or "-" in checksum:
        return None
    try:
        raw = base64.b64decode(checksum, validate=True)
    except ValueError:
        return None
    return raw.hex() if len(raw) == 32 else None


def head(s3: Any, uri: str) -> ObjectHead | None:
    """One HEAD with checksums enabled; None when the object (or bucket) does not exist."""
    bucket, key = split_uri(uri)
    try:
        found = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    except ClientError as error:
        if error_code(error) in S3_NOT_FOUND:
            return None
        raise
    etag = str(found.get("ETag", "")).strip('"')
    # A multipart object (ETag "<md5>-<parts>") has a composite SHA-256 at best, whatever
    # form the checksum is reported in.
    composite = "-" in etag or found.get("ChecksumType") == "COMPOSITE"
    return ObjectHead(
        etag=etag,
        sha256=None if composite else whole_object_sha256(found.get("ChecksumSHA256")),
        metadata={k.lower(): v for k, v in (found.get("Metadata") or {}).items()},
    )


def blob_state(found: ObjectHead | None, sha256: str) -> ObjectState:
    """State of a store blob that should hold the bytes of `sha256`. No side effects."""
    if found is None:
        return ObjectState.MISSING
    if found.sha256 is None:
        return ObjectState.UNVERIFIED
    return ObjectState.VERIFIED if found.sha256 == sha256 else ObjectState.ALTERED


def tarball_state(
    found: ObjectHead | None, tree: str, allow_unrecorded: bool = False
) -> ObjectState:
    """State of a model tarball that should hold the content of `tree` (a folder model's
    tree digest, or a pinned S3 artifact's key digest). With `allow_unrecorded`, an object
    without any of our metadata (copied by an older version, or overwritten by someone else:
    the two cannot be told apart) is UNRECORDED rather than ALTERED.

    No side effects.
    """
    if found is None:
        return ObjectState.MISSING
    if allow_unrecorded and not {META_TREE, META_SHA256} & found.metadata.keys():
        return ObjectState.UNRECORDED
    recorded = found.metadata.get(META_SHA256)
    if found.metadata.get(META_TREE) != tree or not recorded:
        return ObjectState.ALTERED
    if found.sha256 is None:
        return ObjectState.UNVERIFIED
    return ObjectState.VERIFIED if found.sha256 == recorded else ObjectState.ALTERED


def download_verified(s3: Any, uri: str, sha256: str, size: int | None, destination: Path) -> Path:
    """Stream `uri` into `destination` while hashing it; the file appears only when its bytes
    hash to `sha256` (and number `size`, when given). UserError (one line) when the object is
    missing or holds other bytes: they are never used."""
    bucket, key = split_uri(uri)
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    except ClientError as error:
        if error_code(error) in S3_NOT_FOUND:
            raise UserError(
                f"{uri} does not exist: the pinned bytes are not in the store (a new store, "
                "or deleted): from a checkout whose models/<name>/artifact/ holds them (e.g. "
                "after its train.py), `smgitops model pin <name>` uploads them again"
            ) from None
        raise
    digest, written = hashlib.sha256(), 0
    handle, partial = tempfile.mkstemp(prefix=".fetch-", dir=destination.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in body.iter_chunks(_CHUNK):
                digest.update(chunk)
                written += len(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256 or size not in (None, written):
            expected = f"sha256 {sha256[:12]}" + (f", {size} bytes" if size is not None else "")
            raise UserError(
                f"{uri} holds other bytes (sha256 {digest.hexdigest()[:12]}, {written} bytes) "
                f"than pinned ({expected}): refusing to use them; pin again from a trusted copy"
            )
        os.replace(partial, destination)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return destination
