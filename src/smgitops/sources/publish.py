"""Step 4 for S3 sources: publish the pinned artifacts that changing endpoints need."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from smgitops.sources.pins import S3Pin, split_s3_uri
from smgitops.sources.s3 import publish_s3_artifact
from smgitops.spec import EnvSettings


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
        if not isinstance(pin, S3Pin) or desired.model.model_data_url in done:
            continue
        done.add(desired.model.model_data_url)
        key = split_s3_uri(desired.model.model_data_url)[1]
        put = publish_s3_artifact(clients.s3, settings, pin, key, repo_root)
        what = "repacked" if pin.code else "copied"
        progress(desired.artifact.model, f"{what} {pin.uri}" if put else "artifact already in S3")
