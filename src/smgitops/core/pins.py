"""What a model source resolved to at plan time, and the names derived from it. Pure.

A pin is what the reviewer approves: the S3 object's ETag (and VersionId on a versioned
bucket), or the exact Model Registry version and its approval status. Apply deploys the pin,
never whatever the source holds by then.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from smgitops.core import naming
from smgitops.core.desired import EnvSettings
from smgitops.errors import ConfigError

APPROVED = "Approved"
LATEST_APPROVED = "latest-approved"
# Bumped when the repack layout changes, so old keys are never reused for new bytes.
REPACK_FORMAT = "1"


@dataclass(frozen=True)
class S3Pin:
    """A trained artifact in S3 as seen at plan time (and the repo code repacked into it)."""

    uri: str
    etag: str
    version_id: str | None
    code: str | None  # models/<code> repacked under code/
    code_sha256: str | None  # hash of those code files

    @property
    def bucket(self) -> str:
        return split_s3_uri(self.uri)[0]

    @property
    def key(self) -> str:
        return split_s3_uri(self.uri)[1]


@dataclass(frozen=True)
class PackagePin:
    """One Model Registry version: what it serves and whether it is approved."""

    arn: str
    group: str
    version: int
    approval_status: str
    image_uri: str
    model_data_url: str
    requested: str  # as the manifest asked: the ARN, or "<group>@latest-approved"


@dataclass(frozen=True)
class TarballPin:
    """A folder model an env pins to one whole tarball and image (what another env ran)."""

    folder: str  # models/<folder>
    sha256: str  # hex sha256 of the model.tar.gz
    image_digest: str  # sha256:... of the serving image
    store: str  # the content store (s3://bucket/prefix) that keeps the tarball

    @property
    def blob_uri(self) -> str:
        """Where the store keeps the tarball: `<store>/sha256/<hex>`, as for pinned weights."""
        return naming.store_blob_uri(self.store, self.sha256)


SourcePin = S3Pin | PackagePin | TarballPin


def split_s3_uri(uri: str) -> tuple[str, str]:
    """(bucket, key) of `s3://bucket/key`; ConfigError when it is not one. No side effects."""
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise ConfigError(f"{uri} is not an s3://bucket/key URI")
    bucket, key = uri[5:].split("/", 1)
    if not bucket or not key:
        raise ConfigError(f"{uri} is not an s3://bucket/key URI")
    return bucket, key


def s3_artifact_key(settings: EnvSettings, label: str, pin: S3Pin) -> str:
    """Key of the pinned (and maybe repacked) artifact in the env's bucket. No side effects.

    Named by the hash of everything that makes its bytes (source URI, ETag, VersionId, code,
    repack format), so planning needs one HEAD request and no download; the repack itself is
    deterministic, so the same inputs always give the same bytes under the same key.
    """
    identity = {
        "source": pin.uri,
        "etag": pin.etag,
        "version_id": pin.version_id,
        "code": pin.code,
        "code_sha256": pin.code_sha256,
        "format": REPACK_FORMAT,
    }
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    return naming.s3_artifact_key(settings, label, digest)


def package_arn(region: str, account_id: str, group: str, version: int) -> str:
    """ARN of a versioned model package. No side effects."""
    return f"arn:aws:sagemaker:{region}:{account_id}:model-package/{group}/{version}"


def approval_refusal(pin: SourcePin, env: str, require_approval: bool) -> str | None:
    """Why this pin may not deploy to `env`, or None. Approval is a Model Registry status:
    only a package version can lack it (an S3 artifact has none to check). No side effects."""
    if not isinstance(pin, PackagePin):
        return None
    if require_approval and pin.approval_status != APPROVED:
        return (
            f"model package {pin.arn} is {pin.approval_status}, and env {env} requires "
            f"approval (requireApproval: true): approve it in the Model Registry first"
        )
    return None


def describe_pin(pin: SourcePin) -> str:
    """One line for the plan. No side effects."""
    if isinstance(pin, PackagePin):
        return f"model package {pin.group} version {pin.version} ({pin.approval_status})"
    if isinstance(pin, TarballPin):
        return (
            f"tarball sha256 {pin.sha256[:12]} of models/{pin.folder}, "
            f"image {pin.image_digest[:19]}"
        )
    version = f", version {pin.version_id}" if pin.version_id else ""
    code = f", repacked with models/{pin.code}" if pin.code else ""
    return f"s3 artifact {pin.uri} (etag {pin.etag}{version}{code})"


def pin_document(pin: SourcePin) -> dict[str, object]:
    """The pin as plan JSON (stable snake_case keys). No side effects."""
    if isinstance(pin, PackagePin):
        return {
            "kind": "model_package",
            "arn": pin.arn,
            "group": pin.group,
            "version": pin.version,
            "approval_status": pin.approval_status,
            "requested": pin.requested,
        }
    if isinstance(pin, TarballPin):
        return {
            "kind": "tarball",
            "folder": pin.folder,
            "sha256": pin.sha256,
            "image_digest": pin.image_digest,
            "store": pin.store,
        }
    return {
        "kind": "s3",
        "uri": pin.uri,
        "etag": pin.etag,
        "version_id": pin.version_id,
        "code": pin.code,
        "code_sha256": pin.code_sha256,
    }


def recorded_key(manifest: str, requested: str) -> str:
    """Key of a recorded resolution: the manifest and what it asked for. No side effects."""
    return f"{manifest}\0{requested}"


def _field(value: object, kind: type, where: str) -> Any:
    if not isinstance(value, kind):
        raise ValueError(f"{where}: expected {'text' if kind is str else 'an object'}")
    return value


def recorded_packages(plan_document: dict[str, Any]) -> dict[str, str]:
    """recorded_key -> model package ARN a saved plan resolved. No side effects.

    Keyed by what the manifest asked for too, so a manifest edited since the plan (another
    group, an explicit ARN) is resolved afresh instead of taking the old answer. ValueError
    naming the field when a recorded resolution is not as `pin_document` writes it.
    """
    recorded = {}
    for index, endpoint in enumerate(plan_document.get("endpoints", [])):
        where = f"endpoints[{index}]"
        desired = _field(endpoint, dict, where).get("desired") or {}
        source = _field(desired, dict, f"{where}.desired").get("source") or {}
        source = _field(source, dict, f"{where}.desired.source")
        if source.get("kind") == "model_package" and endpoint.get("manifest"):
            key = recorded_key(
                _field(endpoint["manifest"], str, f"{where}.manifest"),
                _field(source.get("requested", ""), str, f"{where}.desired.source.requested"),
            )
            recorded[key] = _field(source.get("arn"), str, f"{where}.desired.source.arn")
    return recorded
