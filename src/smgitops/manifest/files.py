"""Reading manifest files from disk safely: inside the repository, bounded in size, UTF-8.

This is the filesystem edge of the manifest package; everything after it works on text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from smgitops.paths import Refusal, read_bounded, resolve

# Manifests are a few kilobytes; the cap keeps a stray data file from stalling CI.
MAX_MANIFEST_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ReadFailure:
    """Why a file cannot be used, and where: 1:1 when it concerns the file as a whole."""

    line: int
    column: int
    message: str


def display_path(path: Path, repo_root: Path) -> str:
    """Repository-relative posix path when `path` is inside the repo, else the path as given."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(os.path.abspath(repo_root)).as_posix()
    except ValueError:
        return path.as_posix()


def read_text(path: Path, repo_root: Path, limit: int = MAX_MANIFEST_BYTES) -> str | ReadFailure:
    """The file's text, or why it cannot be used (missing, a loop, outside the repo, not a
    regular file, too big, not UTF-8)."""
    resolved = resolve(path, repo_root)
    if isinstance(resolved, Refusal):
        return ReadFailure(1, 1, "no such file" if resolved.missing else resolved.message)
    data = read_bounded(resolved, limit)
    if isinstance(data, Refusal):
        return ReadFailure(1, 1, data.message)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        return ReadFailure(
            line, column, f"not UTF-8 (byte 0x{data[error.start]:02x}); save the file as UTF-8"
        )
