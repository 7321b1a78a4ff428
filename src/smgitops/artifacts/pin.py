"""The artifact pin: the committed record of a folder model's weights. Pure.

`models/<name>/artifact.pin.json` names every file of `artifact/` by sha256 and size, and the
content-addressed store in S3 that holds their bytes (`<store>/sha256/<hex>`). Git versions the
pin, so plan, drift and apply need the commit alone (never a training run), and `git revert`
brings back the exact previous bytes. `models/<name>/artifact/` is only a local cache.

    {
      "version": 1,
      "store": "s3://acme-ml-artifacts/store",
      "files": {"model.joblib": {"sha256": "9f86d0...", "size": 123456}}
    }
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from smgitops.core.naming import store_blob_uri
from smgitops.errors import ConfigError

PIN_FILE = "artifact.pin.json"
PIN_VERSION = 1
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_STORE = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s]*)?$")


@dataclass(frozen=True)
class PinnedFile:
    """One file of `artifact/`: its path inside artifact/ (posix), sha256 (hex) and size in
    bytes."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ArtifactPin:
    """A folder model's pinned weights and the store that holds them (`s3://bucket/prefix`)."""

    store: str
    files: tuple[PinnedFile, ...]

    @property
    def digest(self) -> str:
        """sha256 over every file's path, hash and size: one name for the whole set."""
        return files_digest(self.files)

    def blob_uri(self, file: PinnedFile) -> str:
        """`s3://bucket/prefix/sha256/<hex>`: where the store keeps `file`'s bytes."""
        return store_blob_uri(self.store, file.sha256)


def files_digest(files: tuple[PinnedFile, ...] | list[PinnedFile]) -> str:
    """sha256 (hex) over sorted (path, sha256, size) triples. No side effects."""
    canonical = json.dumps(
        sorted([f.path, f.sha256, f.size] for f in files), separators=(",", ":")
    ).encode()
    return hashlib.sha256(canonical).hexdigest()


def store_problem(store: str) -> str | None:
    """Why `store` is not an `s3://bucket[/prefix]` URI, or None. No side effects."""
    if not _STORE.match(store):
        return f"store {store!r} is not an s3://bucket/prefix URI"
    return None


def render_pin(pin: ArtifactPin) -> str:
    """The pin file's text: sorted keys, two-space indent, a final newline. No side effects."""
    document = {
        "version": PIN_VERSION,
        "store": pin.store,
        "files": {
            f.path: {"sha256": f.sha256, "size": f.size}
            for f in sorted(pin.files, key=lambda f: f.path)
        },
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def parse_pin(text: str, shown: str) -> ArtifactPin:
    """The pin in `text` (read from `shown`, a repository-relative path for messages).

    ConfigError with one `file:line:col: field: what is wrong (allowed: ...)` line when the
    text is not a pin. No side effects.
    """
    try:
        document = json.loads(text)
    except ValueError as error:
        line, column = getattr(error, "lineno", 1), getattr(error, "colno", 1)
        message = getattr(error, "msg", str(error))
        raise ConfigError(f"{shown}:{line}:{column}: not JSON: {message}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{shown}:1:1: a pin is a JSON object (allowed: version, store, files)")
    unknown = sorted(set(document) - {"version", "store", "files"})
    if unknown:
        raise ConfigError(f"{shown}: {unknown[0]}: unknown key (allowed: version, store, files)")
    if document.get("version") != PIN_VERSION:
        raise ConfigError(
            f"{shown}: version: {document.get('version')!r} is not supported "
            f"(allowed: {PIN_VERSION})"
        )
    store = document.get("store")
    if not isinstance(store, str) or store_problem(store):
        raise ConfigError(f"{shown}: store: {store!r} is not an s3://bucket/prefix URI")
    files = document.get("files")
    if not isinstance(files, dict) or not files:
        raise ConfigError(f"{shown}: files: must map each artifact/ file to its sha256 and size")
    pinned = []
    for path, entry in sorted(files.items()):
        where = f"{shown}: files.{path}"
        if not _safe_path(path):
            raise ConfigError(f"{where}: not a relative path inside artifact/")
        if not isinstance(entry, dict) or set(entry) != {"sha256", "size"}:
            raise ConfigError(f"{where}: must be {{sha256, size}}")
        sha256, size = entry["sha256"], entry["size"]
        if not isinstance(sha256, str) or not _SHA256.match(sha256):
            raise ConfigError(f"{where}.sha256: {sha256!r} is not 64 lowercase hex digits")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ConfigError(f"{where}.size: {size!r} is not a size in bytes")
        pinned.append(PinnedFile(path, sha256, size))
    return ArtifactPin(store=store, files=tuple(pinned))


def _safe_path(path: str) -> bool:
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and all(p not in ("", ".", "..") for p in parts)


def pin_mismatch(name: str, local: tuple[PinnedFile, ...], pin: ArtifactPin) -> str | None:
    """The one-line refusal when `models/<name>/artifact/` holds other bytes than its pin.

    Names both digests and both ways out. No side effects.
    """
    if files_digest(local) == pin.digest:
        return None
    pinned = {f.path: f for f in pin.files}
    found = {f.path: f for f in local}
    changed = sorted(p for p in found.keys() & pinned.keys() if found[p] != pinned[p])
    extra, missing = sorted(found.keys() - pinned.keys()), sorted(pinned.keys() - found.keys())
    detail = (
        f"{changed[0]} changed"
        if changed
        else f"{extra[0]} is not pinned"
        if extra
        else f"{missing[0]} is missing"
    )
    return (
        f"models/{name}/artifact/ (files digest {files_digest(local)[:12]}) differs from "
        f"models/{name}/{PIN_FILE} (files digest {pin.digest[:12]}): {detail}; run "
        f"`smgitops model pin {name}` to pin these bytes, or `smgitops model fetch {name}` "
        "to restore the pinned ones"
    )
