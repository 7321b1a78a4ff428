"""Step 4 for S3 sources: publish the pinned artifacts that changing endpoints need."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from smgitops.sources.pins import S3Pin
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
        published = publish_s3_artifact(
            clients.s3,
            settings,
            desired.artifact.model,
            pin,
            desired.model.model_data_url,
            repo_root,
        )
        what = "repacked" if pin.code else "copied"
        if published.repaired:
            what += " again (the copy under its key did not verify)"
        message = f"{what} {pin.uri}" if published.uploaded else "artifact already in S3"
        progress(desired.artifact.model, message)
