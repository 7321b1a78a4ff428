"""Reading manifest files from disk safely: inside the repository, bounded in size, UTF-8.

This is the filesystem edge of the manifest package; everything after it works on text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Manifests are a few kilobytes; the cap keeps a stray data file from stalling CI.
MAX_MANIFEST_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ReadFailure:
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


def is_inside(path: Path, folder: Path) -> bool:
    """True when `path`, with every symlink resolved, lies in `folder` (also resolved)."""
    return path.resolve().is_relative_to(folder.resolve())


def _describe_size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size} bytes"


def read_text(path: Path, repo_root: Path, limit: int = MAX_MANIFEST_BYTES) -> str | ReadFailure:
    """The file's text, or why it cannot be used (missing, outside the repo, too big, not UTF-8)."""
    if not path.exists() and not path.is_symlink():
        return ReadFailure(0, 0, "no such file")
    if not is_inside(path, repo_root):
        if path.is_symlink() or path.resolve() != Path(os.path.abspath(path)):
            return ReadFailure(0, 0, "symlink points outside the repository; refusing to read it")
        return ReadFailure(0, 0, "file is outside the repository")
    if not path.exists():
        return ReadFailure(0, 0, "broken symlink")
    if not path.is_file():
        return ReadFailure(0, 0, "not a regular file")
    size = path.stat().st_size
    if size > limit:
        return ReadFailure(
            0, 0, f"file is {_describe_size(size)}; the limit is {_describe_size(limit)}"
        )
    try:
        with path.open("rb") as stream:
            data = stream.read(limit + 1)  # the size may change between stat and read
    except OSError as error:
        return ReadFailure(0, 0, f"cannot read: {error.strerror}")
    if len(data) > limit:
        return ReadFailure(0, 0, f"file is larger than {_describe_size(limit)}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        return ReadFailure(
            line, column, f"not UTF-8 (byte 0x{data[error.start]:02x}); save the file as UTF-8"
        )
