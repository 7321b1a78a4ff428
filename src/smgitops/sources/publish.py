"""Step 4 for S3 sources and pinned tarballs: publish the pinned artifacts that changing
endpoints need, into the env's bucket, verified."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from smgitops.artifacts.package import ModelPackage, file_sha256
from smgitops.artifacts.publish import PublishedModel, publish_at
from smgitops.artifacts.store import CACHE_DIR
from smgitops.aws.verify import download_verified
from smgitops.core.desired import EnvSettings
from smgitops.core.pins import S3Pin, TarballPin
from smgitops.sources.s3 import publish_s3_artifact


def publish_sources(
    plan: Any,
    clients: Any,
    settings: EnvSettings,
    repo_root: Path,
    progress: Callable[[str, str], None],
) -> None:
    """Copy/repack each pinned S3 artifact that a changing endpoint needs, once."""
    done: set[str] = set()
    for change in plan.changes:
        desired = change.desired
        if not change.is_change or desired is None:
            continue
        pin = desired.artifact.source
        url = desired.model.model_data_url
        if not isinstance(pin, S3Pin | TarballPin) or url in done:
            continue
        done.add(url)
        if isinstance(pin, TarballPin):
            published = publish_pinned_tarball(clients.s3, settings, pin, url, repo_root)
            what = f"copied tarball sha256 {pin.sha256[:12]} from {pin.store}"
        else:
            published = publish_s3_artifact(
                clients.s3, settings, desired.artifact.model, pin, url, repo_root
            )
            what = f"{'repacked' if pin.code else 'copied'} {pin.uri}"
        if published.repaired:
            what += " again (the copy under its key did not verify)"
        progress(desired.artifact.model, what if published.uploaded else "artifact already in S3")


def publish_pinned_tarball(
    s3: Any, settings: EnvSettings, pin: TarballPin, url: str, repo_root: Path
) -> PublishedModel:
    """Make `url` in the env's bucket hold the pinned tarball, verified (`publish_at`): when
    it is not intact there, the tarball comes from the content store (or the local cache),
    hashed as it streams. UserError when the store lost it or holds other bytes."""

    def build() -> ModelPackage:
        cached = repo_root / CACHE_DIR / pin.sha256
        if not (cached.is_file() and file_sha256(cached)[0] == pin.sha256):
            download_verified(s3, pin.blob_uri, pin.sha256, None, cached)
        return ModelPackage(pin.folder, cached, pin.sha256, cached.stat().st_size, pin.sha256)

    return publish_at(s3, settings, pin.folder, url, pin.sha256, build)
