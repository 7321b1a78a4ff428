"""What the content store must keep: every blob a pin in git history names. Pure parts and git.

The store keeps the bytes of every pin any commit of any branch or tag has ever held, so a
`git revert` or a checkout of an old commit can always deploy again. Only blobs no pin in the
history names (weights pinned but never committed, or of branches since deleted) may go, and
only once they are older than a grace period: a pin written a minute ago may not be pushed yet.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from smgitops.artifacts.pin import PIN_FILE
from smgitops.core.naming import BLOB_PREFIX
from smgitops.errors import UserError
from smgitops.paths import Refusal, read_bounded, resolve

PIN_PATHS = f"models/*/{PIN_FILE}"
MANIFEST_PATHS = "deployments/"
_MAX_TEXT_BYTES = 16 * 1024 * 1024  # far above a pin's or a manifest's size
_PINNED = re.compile(r'"sha256":\s*"([0-9a-f]{64})"')
# A manifest pinned to one tarball (`tarball: sha256:<hex>`, promote --pin) keeps it too.
_PINNED_TARBALL = re.compile(r"tarball\W+sha256:([0-9a-f]{64})")
_STORE = re.compile(r'"store":\s*"(s3://[^"]+)"')


@dataclass(frozen=True)
class StoredBlob:
    key: str
    sha256: str
    size: int
    last_modified: datetime


def pinned_in_history(repo_root: Path) -> tuple[set[str], set[str]]:
    """(sha256s, store URIs) named by any version of any pin in the history of every ref, and
    by the pins in the working tree (pinned, maybe not committed yet); the sha256s include the
    tarballs manifests pin (`tarball: sha256:...`). UserError outside git."""
    pins, manifests = _history(repo_root, PIN_PATHS), _history(repo_root, MANIFEST_PATHS)
    texts = [pins] + [_working_copy(p, repo_root) for p in sorted(repo_root.glob(PIN_PATHS))]
    manifest_texts = [manifests] + [
        _working_copy(p, repo_root) for p in sorted(repo_root.glob("deployments/*/*.y*ml"))
    ]
    return (
        {m for text in texts for m in _PINNED.findall(text)}
        | {m for text in manifest_texts for m in _PINNED_TARBALL.findall(text)},
        {m.rstrip("/") for text in texts for m in _STORE.findall(text)},
    )


def _working_copy(path: Path, repo_root: Path) -> str:
    """A pin or manifest of the working tree; UserError when it cannot be read (a loop, a
    FIFO, a folder...): what it pins is unknown, so nothing may be deleted."""
    shown = path.relative_to(repo_root).as_posix()
    resolved = resolve(path, repo_root, subject=shown)
    data = (
        resolved
        if isinstance(resolved, Refusal)
        else read_bounded(resolved, _MAX_TEXT_BYTES, subject=shown)
    )
    if isinstance(data, Refusal):
        raise UserError(f"{data.message}; gc reads every pin and manifest to know what to keep")
    return data.decode("utf-8", errors="replace")


def _history(repo_root: Path, paths: str) -> str:
    """Every version of `paths` in the history of every ref, as one patch text."""
    try:
        return subprocess.run(
            ["git", "log", "--all", "--format=", "-p", "--no-color", "--", paths],
            cwd=repo_root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise UserError(f"cannot read the git history of {repo_root}: {error}") from None


def unreferenced(
    blobs: Iterable[StoredBlob], pinned: set[str], now: datetime, grace: timedelta
) -> list[StoredBlob]:
    """Blobs no pin names and older than `grace`: what a collection may delete, sorted by key.

    No side effects.
    """
    return sorted(
        (b for b in blobs if b.sha256 not in pinned and now - b.last_modified >= grace),
        key=lambda b: b.key,
    )


def blob_sha256(key: str) -> str | None:
    """The sha256 a store key `<prefix>/sha256/<hex>` names, or None. No side effects."""
    head, _, name = key.rpartition("/")
    if not head.endswith(BLOB_PREFIX) or not re.fullmatch(r"[0-9a-f]{64}", name):
        return None
    return name
