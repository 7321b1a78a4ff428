"""Deterministic repack: a trained `model.tar.gz` plus the repo's inference code under code/.

The output is built with the same writer as folder models (sorted entries, fixed headers and
gzip timestamp), so the same source bytes and code always give the same tarball.
"""

from __future__ import annotations

import hashlib
import tarfile
import tempfile
from pathlib import Path

from smgitops.artifacts import layout
from smgitops.artifacts.package import archive_entries, model_dir, write_tarball
from smgitops.errors import UserError


def code_files(repo_root: Path, code: str) -> list[tuple[str, Path]]:
    """(name under code/, file) of what serving needs from `models/<code>/`, sorted.

    No side effects (reads files).
    """
    return layout.code_files(model_dir(repo_root, code))


def code_sha256(files: list[tuple[str, Path]]) -> str:
    """sha256 over each code file's name and bytes. No side effects (reads files)."""
    digest = hashlib.sha256()
    for name, path in files:
        data = path.read_bytes()
        # Length-prefixed so moving bytes between two files changes the hash.
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _extract(source: Path, into: Path) -> list[tuple[str, Path]]:
    """Unpack a tarball (links and paths outside `into` refused) and list its regular files."""
    try:
        with tarfile.open(source, mode="r:*") as archive:
            archive.extractall(into, filter="data")
    except (tarfile.TarError, OSError) as error:
        raise UserError(f"the S3 artifact is not a readable model.tar.gz: {error}") from None
    return [
        (path.relative_to(into).as_posix(), path)
        for path in sorted(into.rglob("*"))
        if path.is_file() and not path.is_symlink()
    ]


def repack(source: Path, code: list[tuple[str, Path]], target: Path) -> tuple[str, int]:
    """Write `target` = the source tarball's files (its own code/ dropped) + `code`.

    Returns (sha256, size) of the written bytes.
    """
    with tempfile.TemporaryDirectory(prefix="smgitops-repack-") as scratch:
        unpacked = _extract(source, Path(scratch))
        prefix = f"{layout.CODE_DIR}/"
        # The repo's code replaces whatever code the training job left in the artifact.
        kept = [(name, path) for name, path in unpacked if not name.startswith(prefix)]
        entries = archive_entries(kept + code)
        with target.open("wb") as out:
            return write_tarball(entries, out)
