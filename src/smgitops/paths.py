"""The one way a path from the repository is resolved: a manifest, an env's `_env.yaml`, a
model folder and the files in it, `smokeTest.bodyFile`.

Every way a path can be unusable is an answer here, never an exception: a NUL byte (YAML's
`\\0` escape), a name longer than file systems allow, a symlink loop, a broken symlink, a path
that leaves the repository (through `..` or a symlink), a folder or FIFO where a file belongs.
Reads are bounded and never block: a FIFO named `*.yaml` is refused before it is opened.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

# Longest name of one path component, in bytes (ext4, APFS, NTFS), and of a whole path (Linux).
NAME_MAX = 255
PATH_MAX = 4095
_MIB = 1024 * 1024

Kind = Literal["file", "folder"]


@dataclass(frozen=True)
class Refusal:
    """Why a path cannot be used: one sentence ending with what is allowed. `missing`: nothing
    is there (callers may say instead what to create)."""

    message: str
    missing: bool = False


def _what(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISREG(mode):
        return "a regular file"
    return "not a regular file"


def _wanted(kind: Kind) -> str:
    return "a regular file" if kind == "file" else "a folder"


def _length_refusal(text: str, subject: str) -> Refusal | None:
    """NUL bytes, text no file system can store, names or paths too long. No side effects."""
    if "\0" in text:
        return Refusal(f"{subject} contains a NUL byte (allowed: a path without NUL characters)")
    try:
        encoded = os.fsencode(text)
    except UnicodeError:
        return Refusal(f"{subject} is not valid text for a path (allowed: UTF-8 text)")
    longest = max((len(part) for part in encoded.split(b"/")), default=0)
    if longest > NAME_MAX:
        return Refusal(
            f"{subject} has a name of {longest} bytes (allowed: at most {NAME_MAX} bytes per name)"
        )
    if len(encoded) > PATH_MAX:
        return Refusal(f"{subject} is {len(encoded)} bytes long (allowed: at most {PATH_MAX})")
    return None


def _is_within(path: str, folder: str, *, strictly: bool) -> bool:
    if path == folder:
        return not strictly
    return path.startswith(folder.rstrip(os.sep) + os.sep)


def resolve(
    path: Path | str,
    within: Path,
    *,
    kind: Kind = "file",
    subject: str = "file",
    place: str = "the repository",
    strictly: bool = False,
) -> Path | Refusal:
    """`path` with every symlink resolved, when it is a `kind` inside `within`; else why not.

    `subject` starts each sentence (`file`, `'payloads/row.csv'`, `models/churn/`); `place`
    names `within` in them. `strictly`: `within` itself does not count as inside.
    Reads the file system (lstat/stat only); never raises for the path's sake.
    """
    text = os.fspath(path)
    refused = _length_refusal(text, subject)
    if refused is not None:
        return refused
    allowed = f"allowed: {_wanted(kind)} in {place}, or a symlink to one"
    folder = os.path.realpath(within)
    absolute = os.path.abspath(text)
    try:
        real = os.path.realpath(absolute, strict=True)
    except OSError as error:
        # Not there, or unreachable: still say when it would have led outside.
        if not _is_within(os.path.realpath(absolute), folder, strictly=strictly):
            return Refusal(f"{subject} leads outside {place} ({allowed} there)")
        if error.errno == errno.ELOOP:
            return Refusal(f"{subject} is a symlink loop ({allowed})")
        if error.errno == errno.ENAMETOOLONG:
            return Refusal(f"{subject} resolves to a path too long for the file system ({allowed})")
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            if os.path.islink(absolute):
                return Refusal(f"{subject} is a symlink to nothing ({allowed})")
            return Refusal(f"{subject} does not exist ({allowed})", missing=True)
        return Refusal(f"{subject} cannot be read: {error.strerror} ({allowed})")
    if not _is_within(real, folder, strictly=strictly):
        return Refusal(f"{subject} leads outside {place} ({allowed} there)")
    try:
        mode = os.stat(real).st_mode
    except OSError as error:  # removed or replaced since it was resolved
        return Refusal(f"{subject} cannot be read: {error.strerror} ({allowed})")
    wanted = stat.S_ISREG(mode) if kind == "file" else stat.S_ISDIR(mode)
    if not wanted:
        return Refusal(f"{subject} is {_what(mode)} ({allowed})")
    return Path(real)


def _limit_text(limit: int, why: str) -> str:
    mib = f" = {limit // _MIB} MiB" if limit % _MIB == 0 else ""
    return f"at most {limit:,} bytes{mib}{f', {why}' if why else ''}"


def read_bounded(
    path: Path, limit: int, *, subject: str = "file", why: str = ""
) -> bytes | Refusal:
    """The bytes of the regular file at `path` (resolved by `resolve`), at most `limit` of them.

    Opened without blocking and checked again once open, so a file swapped for a FIFO between
    resolving and reading is refused rather than waited on. `why` names the limit's reason.
    """
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        return Refusal(f"{subject} cannot be read: {error.strerror} (allowed: a readable file)")
    except ValueError:  # a NUL byte or text no file system can name; `resolve` says which
        return Refusal(f"{subject} is not a path the file system can open")
    with os.fdopen(handle, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            return Refusal(f"{subject} is {_what(info.st_mode)} (allowed: a regular file)")
        if info.st_size > limit:
            return Refusal(
                f"{subject} is {info.st_size:,} bytes (allowed: {_limit_text(limit, why)})"
            )
        try:
            data = stream.read(limit + 1)  # the size may change between fstat and read
        except OSError as error:
            return Refusal(f"{subject} cannot be read: {error.strerror} (allowed: a readable file)")
    if len(data) > limit:
        return Refusal(
            f"{subject} grew past {limit:,} bytes while it was read "
            f"(allowed: {_limit_text(limit, why)})"
        )
    return data
