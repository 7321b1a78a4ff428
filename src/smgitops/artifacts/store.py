"""The content store at the AWS edge: pinned weights in S3 under `<store>/sha256/<hex>`.

Written by `smgitops model pin` (from a laptop, a notebook, a training job), read by every
env's apply. A key is never overwritten with other bytes (conditional writes), and nothing
read from the store is used before its bytes hash to the pin (`verify.download_verified`):
the store may be shared, because it cannot make anyone deploy bytes git did not pin.
Fetched files are kept in a local cache named by their hash, so a second apply downloads
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from smgitops.artifacts.package import Fetch, file_sha256
from smgitops.artifacts.pin import ArtifactPin, PinnedFile
from smgitops.artifacts.upload import put_file
from smgitops.aws.verify import (
    INTACT,
    blob_state,
    download_verified,
    head,
    split_uri,
)

CACHE_DIR = Path(".smgitops") / "cache" / "sha256"


def put_blob(s3: Any, pin: ArtifactPin, file: PinnedFile, source: Path) -> bool:
    """Upload `source` (whose hash is `file.sha256`) to the store unless it is there already;
    True when this call uploaded it (False also when another run put it there first). Never
    replaces a verified object."""
    uri = pin.blob_uri(file)
    bucket, key = split_uri(uri)
    found = head(s3, uri)
    state = blob_state(found, file.sha256)
    if state in INTACT:
        return False
    # A multipart upload keeps a composite checksum only: later reads stream and hash it.
    extra = {"ContentType": "application/octet-stream"}
    return put_file(s3, bucket, key, source, found, extra)


def fetch_blob(s3: Any, pin: ArtifactPin, file: PinnedFile, cache: Path) -> Path:
    """The pinned file's bytes as a local file in `cache`, downloaded and verified if they are
    not cached yet. UserError when the store lost them or holds other bytes."""
    cached = cache / file.sha256
    if cached.is_file() and file_sha256(cached) == (file.sha256, file.size):
        return cached
    return download_verified(s3, pin.blob_uri(file), file.sha256, file.size, cached)


def fetcher(s3: Any, repo_root: Path, say: Callable[[str], None]) -> Fetch:
    """The `package.Fetch` that brings pinned files through `repo_root`'s cache (fetch_blob),
    saying which file it downloads from where."""

    def fetch(pin: ArtifactPin, file: PinnedFile) -> Path:
        say(f"fetching {file.path} ({file.size} bytes) from {pin.blob_uri(file)}")
        return fetch_blob(s3, pin, file, repo_root / CACHE_DIR)

    return fetch
