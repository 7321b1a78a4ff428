"""`model.tar.gz` from `models/<name>/`: deterministic bytes, so its sha256 names its content.

Same files in, same bytes out, whatever the files' mtimes, owners, permissions, the order the
file system lists them in, or the umask: entries are sorted, every header field that could vary
is fixed, and the gzip header carries no file name and a fixed timestamp. Every file is 0644
(the executable bit differs between checkouts and the serving stack never executes model
files); directories get explicit 0755 entries. The compressed bytes depend on zlib too, which
is the same stream format and level everywhere CPython ships its standard zlib.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from smgitops.artifacts import layout
from smgitops.errors import ConfigError

MODELS_DIR = "models"
TARBALL_NAME = "model.tar.gz"
# Fixed so the archive never records when or where it was made.
ENTRY_MTIME = 0
GZIP_MTIME = 0
COMPRESS_LEVEL = 6
FILE_MODE = 0o644
DIR_MODE = 0o755
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_COPY_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ModelPackage:
    """A packaged model: the tarball on disk and the sha256 of its bytes."""

    name: str
    path: Path
    sha256: str
    size: int


def model_dir(repo_root: Path, name: str) -> Path:
    """`models/<name>` after checking the name and that the folder exists; ConfigError if not."""
    if not _MODEL_NAME.match(name):
        raise ConfigError(f"model name {name!r} is not a folder name under {MODELS_DIR}/")
    folder = repo_root / MODELS_DIR / name
    if not folder.is_dir():
        raise ConfigError(f"{MODELS_DIR}/{name}/ does not exist")
    return folder


def model_folder(repo_root: Path, name: str) -> Path:
    """`models/<name>` after checking it is ready to package; ConfigError (one line) if not."""
    folder = model_dir(repo_root, name)
    shown = f"{MODELS_DIR}/{name}"
    if not (folder / "inference.py").is_file():
        raise ConfigError(f"{shown}/inference.py is missing (it defines the model's handlers)")
    artifact = folder / layout.ARTIFACT_DIR
    if not artifact.is_dir() or not any(p.is_file() for p in artifact.rglob("*")):
        raise ConfigError(
            f"{shown}/{layout.ARTIFACT_DIR}/ is empty: run `python {shown}/train.py` first"
        )
    return folder


def archive_entries(files: list[tuple[str, Path]]) -> list[tuple[str, Path | None]]:
    """Sorted tar entries: every file plus an explicit entry (None) for each parent directory.

    No side effects.
    """
    entries: dict[str, Path | None] = {}
    for name, source in files:
        for parent in PurePosixPath(name).parents:
            if str(parent) != ".":
                if entries.get(str(parent)) is not None:
                    raise _clash(str(parent), entries[str(parent)], source)
                entries[str(parent)] = None
        if name in entries:
            raise _clash(name, entries[name], source)
        entries[name] = source
    return sorted(entries.items())


def _clash(name: str, first: Path | None, second: Path) -> ConfigError:
    # e.g. artifact/code/inference.py and inference.py would both land at code/inference.py.
    other = f"{first} and " if first is not None else ""
    return ConfigError(f"{other}{second} both map to {name} in model.tar.gz: rename one")


def _header(name: str, *, size: int, is_dir: bool) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
    info.size = 0 if is_dir else size
    info.mode = DIR_MODE if is_dir else FILE_MODE
    info.mtime = ENTRY_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


class _HashingWriter:
    """Writes through to a file while hashing and counting the bytes (one pass, no re-read)."""

    def __init__(self, target: BinaryIO) -> None:
        self._target = target
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._target.write(data)
        self.digest.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        self._target.flush()


def write_tarball(entries: list[tuple[str, Path | None]], target: BinaryIO) -> tuple[str, int]:
    """Stream the archive of `entries` to `target`; returns (sha256 hex, size in bytes)."""
    writer = _HashingWriter(target)
    # filename="" keeps the output file's name out of the gzip header.
    with (
        gzip.GzipFile(
            filename="", mode="wb", fileobj=writer, compresslevel=COMPRESS_LEVEL, mtime=GZIP_MTIME
        ) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for name, source in entries:
            if source is None:
                archive.addfile(_header(name, size=0, is_dir=True))
                continue
            with source.open("rb") as content:
                size = os.fstat(content.fileno()).st_size
                archive.addfile(_header(name, size=size, is_dir=False), content)
    return writer.digest.hexdigest(), writer.size


def package_model(repo_root: Path, name: str, out_dir: Path) -> ModelPackage:
    """Write `<out_dir>/<name>/model.tar.gz` from `models/<name>/` and return its hash.

    The file appears atomically (written beside it, then renamed), so a reader never sees
    half a tarball.
    """
    folder = model_folder(repo_root, name)
    entries = archive_entries(layout.model_files(folder))
    destination = out_dir / name
    destination.mkdir(parents=True, exist_ok=True)
    path = destination / TARBALL_NAME
    handle, partial = tempfile.mkstemp(prefix=".model-", suffix=".partial", dir=destination)
    try:
        with os.fdopen(handle, "wb", buffering=_COPY_CHUNK) as target:
            sha256, size = write_tarball(entries, target)
        # mkstemp makes the file private (0600); a build output is readable like any other.
        os.chmod(partial, FILE_MODE)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return ModelPackage(name=name, path=path, sha256=sha256, size=size)
