"""Step 2 for non-folder sources: pin each S3 artifact / Model Registry version at plan time,
and name where a folder model pinned to one tarball (`tarball:`) is served from.

Reads AWS (HEAD, Describe, List) and never writes. `recorded` carries the versions a saved
plan resolved, so `apply --plan FILE` deploys exactly the reviewed version even when a newer
one was approved since.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from smgitops.artifacts.image import image_tag
from smgitops.artifacts.package import model_dir, read_pin
from smgitops.artifacts.pin import PIN_FILE
from smgitops.artifacts.publish import s3_uri
from smgitops.core.desired import EndpointSpec, EnvSettings
from smgitops.core.naming import image_uri, pinned_tarball_key, repository_uri
from smgitops.core.pins import (
    LATEST_APPROVED,
    PackagePin,
    S3Pin,
    TarballPin,
    approval_refusal,
    package_arn,
    recorded_key,
    s3_artifact_key,
)
from smgitops.core.resources import ModelArtifact
from smgitops.errors import UserError
from smgitops.sources import registry
from smgitops.sources.repack import code_files, code_sha256
from smgitops.sources.s3 import head_source


def _s3_artifact(
    spec: EndpointSpec, settings: EnvSettings, repo_root: Path, s3: Any
) -> ModelArtifact:
    source = spec.model
    assert source.s3_uri is not None
    etag, version_id = head_source(s3, source.s3_uri, source.s3_version_id, source.s3_etag)
    code_hash = code_sha256(code_files(repo_root, source.code)) if source.code else None
    pin = S3Pin(source.s3_uri, etag, version_id, source.code, code_hash)
    key = s3_artifact_key(settings, source.name, pin)
    if source.code:
        image = image_uri(settings, image_tag(repo_root, source.code))
    else:
        assert source.image is not None  # the manifest rules require one without code
        image = source.image
    return ModelArtifact(
        model=source.name,
        sha256=key.rsplit("/", 2)[-2],
        model_data_url=s3_uri(settings.artifact_bucket, key),
        image_uri=image,
        source=pin,
    )


def _requested_arn(spec: EndpointSpec, settings: EnvSettings, sagemaker: Any) -> str:
    source = spec.model
    if source.package_arn:
        return source.package_arn
    assert source.package_group is not None and source.package_version is not None
    if source.package_version == LATEST_APPROVED:
        return registry.latest_approved_arn(sagemaker, source.package_group)
    return package_arn(
        settings.region, settings.account_id, source.package_group, int(source.package_version)
    )


def _package_artifact(
    spec: EndpointSpec, settings: EnvSettings, sagemaker: Any, recorded: Mapping[str, str]
) -> ModelArtifact:
    source = spec.model
    requested = source.package_arn or f"{source.package_group}@{source.package_version}"
    recorded_arn = recorded.get(recorded_key(spec.manifest_path, requested))
    arn = recorded_arn or _requested_arn(spec, settings, sagemaker)
    pin: PackagePin = registry.describe_package(sagemaker, arn, requested)
    refusal = approval_refusal(pin, settings.name, settings.require_approval)
    if refusal:
        raise UserError(f"{spec.manifest_path}: {refusal}")
    return ModelArtifact(
        model=pin.group or source.name,
        sha256="",
        model_data_url=pin.model_data_url,
        image_uri=pin.image_uri,
        source=pin,
    )


def _tarball_artifact(spec: EndpointSpec, settings: EnvSettings, repo_root: Path) -> ModelArtifact:
    source = spec.model
    assert source.tarball_sha256 is not None and source.image_digest is not None
    pinned = read_pin(model_dir(repo_root, source.name), source.name)
    if pinned is None:  # validate refuses it; plan of a manifest edited since says it again
        raise UserError(
            f"{spec.manifest_path}: models/{source.name} has no {PIN_FILE}: the pinned tarball "
            "lives in the content store that file names"
        )
    pin = TarballPin(source.name, source.tarball_sha256, source.image_digest, pinned.store)
    key = pinned_tarball_key(settings.artifact_prefix, source.name, pin.sha256)
    repository = repository_uri(settings)
    return ModelArtifact(
        model=source.name,
        sha256=pin.sha256,
        model_data_url=s3_uri(settings.artifact_bucket, key),
        image_uri=f"{repository}@{pin.image_digest}",
        source=pin,
    )


def resolve_sources(
    endpoints: Iterable[EndpointSpec],
    settings: EnvSettings,
    repo_root: Path,
    clients: Any,
    recorded: Mapping[str, str] | None = None,
) -> dict[str, ModelArtifact]:
    """manifest path -> pinned artifact for every endpoint whose model is not a folder.

    `clients` has `.s3` and `.sagemaker` (boto3 clients of the env's region).
    """
    artifacts = {}
    for spec in endpoints:
        if spec.model.kind == "s3":
            artifacts[spec.manifest_path] = _s3_artifact(spec, settings, repo_root, clients.s3)
        elif spec.model.kind == "tarball":
            artifacts[spec.manifest_path] = _tarball_artifact(spec, settings, repo_root)
        elif spec.model.kind == "package":
            artifacts[spec.manifest_path] = _package_artifact(
                spec, settings, clients.sagemaker, recorded or {}
            )
    return artifacts
