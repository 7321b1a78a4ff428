"""`model.tar.gz` from `models/<name>/`: deterministic bytes named by their content.

The tarball holds the code files serving needs (see `layout`) and the pinned weights. Its
*tree digest* (sha256 over every entry's name, hash and size) is known from git alone, before
any weights are downloaded, and names the tarball's S3 key; the bytes themselves follow from
the entries deterministically.

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
import json
import os
import re
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from smgitops.artifacts import layout
from smgitops.artifacts.pin import PIN_FILE, ArtifactPin, PinnedFile, parse_pin, pin_mismatch
from smgitops.core.naming import PACKAGING_FORMAT, TARBALL_NAME
from smgitops.errors import ConfigError
from smgitops.paths import Refusal, read_bounded, resolve

MODELS_DIR = "models"
# Fixed so the archive never records when or where it was made.
ENTRY_MTIME = 0
GZIP_MTIME = 0
COMPRESS_LEVEL = 6
FILE_MODE = 0o644
DIR_MODE = 0o755
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_COPY_CHUNK = 1024 * 1024
MAX_PIN_BYTES = 16 * 1024 * 1024  # a pin lists each weights file in one short line

# Brings one pinned file from the content store, verified; returns where it now is.
Fetch = Callable[[ArtifactPin, PinnedFile], Path]


@dataclass(frozen=True)
class ModelPackage:
    """A packaged model: the tarball on disk, the sha256 of its bytes and its tree digest."""

    name: str
    path: Path
    sha256: str
    size: int
    tree: str = ""


@dataclass(frozen=True)
class TreeEntry:
    """One file of model.tar.gz: its name in the archive, sha256 (hex), size in bytes, and
    where its bytes are now (None: only in the content store, named by the pin)."""

    name: str
    sha256: str
    size: int
    source: Path | None


@dataclass(frozen=True)
class ModelTree:
    """What a model's tarball holds, known from git alone: the code files (hashed) and the
    pinned weights (by their pin). Its `digest` names the tarball's content."""

    name: str
    entries: tuple[TreeEntry, ...]
    pin: ArtifactPin | None  # None: the local artifact/ of an unpinned model (never deployed)

    @property
    def digest(self) -> str:
        """sha256 over the packaging format and every entry's name, hash and size. The
        tarball is a deterministic function of exactly these, so equal digests mean equal
        bytes, and the digest can be checked against a tarball by reading it back."""
        return tree_digest((e.name, e.sha256, e.size) for e in self.entries)


def tree_digest(entries: Iterable[tuple[str, str, int]]) -> str:
    """sha256 (hex) over PACKAGING_FORMAT and the sorted (name, sha256, size) entries.

    No side effects.
    """
    canonical = json.dumps(
        {"format": PACKAGING_FORMAT, "entries": sorted([n, s, z] for n, s, z in entries)},
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def model_dir(repo_root: Path, name: str) -> Path:
    """`models/<name>` after checking the name and that the folder exists; ConfigError if not."""
    if not _MODEL_NAME.match(name):
        raise ConfigError(f"model name {name!r} is not a folder name under {MODELS_DIR}/")
    folder = repo_root / MODELS_DIR / name
    if not folder.is_dir():
        raise ConfigError(f"{MODELS_DIR}/{name}/ does not exist")
    return folder


def file_sha256(path: Path) -> tuple[str, int]:
    """(sha256 hex, size in bytes) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_COPY_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def local_artifact(folder: Path) -> tuple[tuple[PinnedFile, Path], ...]:
    """Each file of `<folder>/artifact/` with its hash, as the pin would record it."""
    found = []
    for name, path in layout.artifact_files(folder):
        sha256, size = file_sha256(path)
        found.append((PinnedFile(name, sha256, size), path))
    return tuple(found)


def read_pin(folder: Path, name: str) -> ArtifactPin | None:
    """The committed pin of `models/<name>` (None when it has none); ConfigError if corrupt."""
    shown = f"{MODELS_DIR}/{name}/{PIN_FILE}"
    # Inside the repository (models/<name>/ is two levels below its root), a regular file.
    resolved = resolve(folder / PIN_FILE, folder.parents[1], subject=shown)
    if isinstance(resolved, Refusal) and resolved.missing:
        return None
    data = (
        resolved
        if isinstance(resolved, Refusal)
        else read_bounded(resolved, MAX_PIN_BYTES, subject=shown)
    )
    if isinstance(data, Refusal):
        raise ConfigError(data.message)
    try:
        return parse_pin(data.decode("utf-8"), shown)
    except UnicodeDecodeError as error:
        raise ConfigError(f"{shown}: not UTF-8 (byte {error.start})") from None


def model_tree(repo_root: Path, name: str, *, require_pin: bool = True) -> ModelTree:
    """The tarball's content of `models/<name>/`, from the code and the pin (no download).

    ConfigError (one line) when inference.py is missing, the pin is missing (`require_pin`)
    or corrupt, or the local artifact/ holds other bytes than the pin (both digests named).
    Without a pin and with `require_pin=False`, the local artifact/ is packaged as it is.
    """
    folder = model_dir(repo_root, name)
    shown = f"{MODELS_DIR}/{name}"
    if not (folder / "inference.py").is_file():
        raise ConfigError(f"{shown}/inference.py is missing (it defines the model's handlers)")
    code = []
    for entry_name, path in layout.code_files(folder):
        sha256, size = file_sha256(path)
        code.append(TreeEntry(entry_name, sha256, size, path))
    pin = read_pin(folder, name)
    local = local_artifact(folder)
    if pin is None:
        if require_pin:
            raise ConfigError(
                f"{shown}/{PIN_FILE} is missing: train the model, then run "
                f"`smgitops model pin {name} --store s3://BUCKET/PREFIX` and commit the pin"
            )
        if not local:
            raise ConfigError(
                f"{shown}/{layout.ARTIFACT_DIR}/ is empty: run `python {shown}/train.py` first"
            )
        weights = [TreeEntry(f.path, f.sha256, f.size, path) for f, path in local]
    else:
        if local:
            refusal = pin_mismatch(name, tuple(f for f, _ in local), pin)
            if refusal:
                raise ConfigError(refusal)
        paths = {f.path: path for f, path in local}
        weights = [TreeEntry(f.path, f.sha256, f.size, paths.get(f.path)) for f in pin.files]
    return ModelTree(name, tuple(sorted(code + weights, key=lambda e: e.name)), pin)


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


class _HashingReader:
    """Reads through from a file while hashing what it read (one pass, no re-read)."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        self.digest.update(data)
        return data


def write_tarball(
    entries: list[tuple[str, Path | None]],
    target: BinaryIO,
    expected: Mapping[str, str] | None = None,
) -> tuple[str, int]:
    """Stream the archive of `entries` to `target`; returns (sha256 hex, size in bytes).

    With `expected` (entry name -> sha256), every file's bytes are checked as they are
    archived: ConfigError when a file changed since its hash was taken.
    """
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
                reader = _HashingReader(content)
                archive.addfile(_header(name, size=size, is_dir=False), reader)
            if expected is not None and reader.digest.hexdigest() != expected.get(name):
                raise ConfigError(
                    f"{source} changed while it was packaged (sha256 "
                    f"{reader.digest.hexdigest()[:12]}, expected {str(expected.get(name))[:12]})"
                )
    return writer.digest.hexdigest(), writer.size


def package_model(
    repo_root: Path, name: str, out_dir: Path, fetch: Fetch | None = None
) -> ModelPackage:
    """Write `<out_dir>/<name>/model.tar.gz` from `models/<name>/` (its pin when it has one,
    else its local artifact/) and return its hashes. `fetch` brings pinned files that are
    not in artifact/ from the content store."""
    return package_tree(model_tree(repo_root, name, require_pin=False), out_dir, fetch)


def package_tree(tree: ModelTree, out_dir: Path, fetch: Fetch | None = None) -> ModelPackage:
    """Write the tarball of `tree` to `<out_dir>/<name>/model.tar.gz`; every file's bytes
    are checked against the tree as they are archived.

    The file appears atomically (written beside it, then renamed), so a reader never sees
    half a tarball. ConfigError when pinned bytes are neither local nor fetchable.
    """
    sources: list[tuple[str, Path]] = []
    for entry in tree.entries:
        path = entry.source
        if path is None:
            if fetch is None or tree.pin is None:
                raise ConfigError(
                    f"{MODELS_DIR}/{tree.name}/{layout.ARTIFACT_DIR}/{entry.name} is not here: "
                    f"run `smgitops model fetch {tree.name}` (needs read access to the store)"
                )
            path = fetch(tree.pin, PinnedFile(entry.name, entry.sha256, entry.size))
        sources.append((entry.name, path))
    entries = archive_entries(sources)
    expected = {e.name: e.sha256 for e in tree.entries}
    destination = out_dir / tree.name
    destination.mkdir(parents=True, exist_ok=True)
    path = destination / TARBALL_NAME
    handle, partial = tempfile.mkstemp(prefix=".model-", suffix=".partial", dir=destination)
    try:
        with os.fdopen(handle, "wb", buffering=_COPY_CHUNK) as target:
            sha256, size = write_tarball(entries, target, expected)
        # mkstemp makes the file private (0600); a build output is readable like any other.
        os.chmod(partial, FILE_MODE)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return ModelPackage(tree.name, path, sha256, size, tree.digest)
