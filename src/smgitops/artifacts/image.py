"""Serving images in ECR, tagged by the hash of everything that goes into them.

The tag `<model>-<hash12>` covers `container/`, the model's `requirements.txt` and this
package's own source and pins, so an image is built and pushed only when one of them changed.
README.md is copied into the image only as package metadata; it is left out of the hash so
documentation edits never rebuild images.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from botocore.exceptions import ClientError

from smgitops.artifacts import layout
from smgitops.artifacts.locks import MODELS_LOCK, SERVE_LOCK, model_slice, requirement_names
from smgitops.artifacts.package import MODELS_DIR, model_dir
from smgitops.aws.clients import error_code
from smgitops.console import err
from smgitops.core.desired import EnvSettings
from smgitops.core.naming import content_tag, image_uri, repository_uri
from smgitops.errors import ConfigError, UserError

Builder = Literal["auto", "docker", "register"]
BUILDERS: tuple[str, ...] = ("auto", "docker", "register")
CONTAINER_DIR = "container"
PACKAGE_SOURCE_DIR = "src/smgitops"
# The locks the image installs from (`make lock`); dev.txt is not in the image.
# (Of the shared MODELS_LOCK, only the part one model installs is an input: image_inputs.)
PINNING_FILES = ("pyproject.toml", SERVE_LOCK, "requirements/uv.txt")
_NOT_FOUND = {"ImageNotFoundException", "RepositoryNotFoundException"}


@dataclass(frozen=True)
class ImageRef:
    """An image in ECR: its tagged URI, the digest ECR reports, and whether this run pushed it."""

    uri: str
    digest: str
    pushed: bool

    @property
    def tag(self) -> str:
        return self.uri.rsplit(":", 1)[1]


def image_inputs(repo_root: Path, model: str) -> list[tuple[str, bytes]]:
    """(repository-relative posix path, bytes) of every input the image is built from,
    sorted; of the shared models lock, only the part this model installs (locks.model_slice),
    so adding another model does not change this image. No side effects (reads files)."""
    inputs: list[tuple[str, bytes]] = []
    for folder in (CONTAINER_DIR, PACKAGE_SOURCE_DIR):
        for path in layout.visible_files(repo_root / folder):
            inputs.append((path.relative_to(repo_root).as_posix(), path.read_bytes()))
    requirements = f"{MODELS_DIR}/{model}/requirements.txt"
    for name in (*PINNING_FILES, requirements):
        if (repo_root / name).is_file():
            inputs.append((name, (repo_root / name).read_bytes()))
    if (repo_root / MODELS_LOCK).is_file():
        own = (repo_root / requirements).read_text() if (repo_root / requirements).is_file() else ""
        lock = (repo_root / MODELS_LOCK).read_text()
        inputs.append(
            (MODELS_LOCK, model_slice(lock, requirements, requirement_names(own)).encode())
        )
    return sorted(inputs)


def inputs_digest(
    model: str, inputs: list[tuple[str, bytes]], base_image: str | None = None
) -> str:
    """sha256 over the model name, the DLC base image (when one is set) and each input's path
    and bytes. No side effects."""
    digest = hashlib.sha256(f"model\0{model}\0".encode())
    if base_image is not None:
        digest.update(f"base\0{base_image}\0".encode())
    for name, data in inputs:
        # Length-prefixed so moving bytes between two files changes the hash.
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def image_tag(repo_root: Path, model: str, base_image: str | None = None) -> str:
    """`<model>-<hash12>` for the serving image of `model` (built FROM `base_image` when set).

    No side effects (reads files).
    """
    model_dir(repo_root, model)
    return content_tag(model, inputs_digest(model, image_inputs(repo_root, model), base_image))


def image_digest(ecr: Any, settings: EnvSettings, tag: str) -> str | None:
    """The digest ECR reports for `tag`, or None when the tag (or the repository) is missing.

    Every ECR call names the env's account as the registry, so credentials for another
    account fail loudly instead of pushing where the image URI does not point.
    """
    return _described_digest(ecr, settings, {"imageTag": tag})


def digest_exists(ecr: Any, settings: EnvSettings, digest: str) -> bool:
    """True when the env's repository holds an image with this digest."""
    return _described_digest(ecr, settings, {"imageDigest": digest}) is not None


def _described_digest(ecr: Any, settings: EnvSettings, image_id: dict[str, str]) -> str | None:
    try:
        found = ecr.describe_images(
            registryId=settings.account_id,
            repositoryName=settings.ecr_repository,
            imageIds=[image_id],
        )
    except ClientError as error:
        if error_code(error) in _NOT_FOUND:
            return None
        raise
    details = found.get("imageDetails", [])
    return details[0]["imageDigest"] if details else None


def repository_digests(ecr: Any, settings: EnvSettings) -> dict[str, str]:
    """{tag: digest} of every tagged image in the env's ECR repository, {} when the repository
    does not exist: one paginated DescribeImages (up to 1,000 images a page), however many
    models the env uses."""
    digests: dict[str, str] = {}
    pages = ecr.get_paginator("describe_images").paginate(
        registryId=settings.account_id,
        repositoryName=settings.ecr_repository,
        filter={"tagStatus": "TAGGED"},
        PaginationConfig={"PageSize": 1000},
    )
    try:
        for page in pages:
            for detail in page.get("imageDetails", []):
                for tag in detail.get("imageTags", []):
                    digests[tag] = detail["imageDigest"]
    except ClientError as error:
        if error_code(error) != "RepositoryNotFoundException":
            raise
    return digests


def pinned_uri(uri: str, settings: EnvSettings, digests: dict[str, str]) -> str:
    """`<registry>/<repository>@sha256:...` for a content-tagged URI of the env's repository
    whose tag ECR holds (SageMaker then runs exactly that image, whatever happens to the tag);
    any other URI unchanged (an image not built yet keeps its tag form). No side effects."""
    prefix = f"{repository_uri(settings)}:"
    tag = uri[len(prefix) :] if uri.startswith(prefix) else None
    if tag is None or tag not in digests:
        return uri
    return f"{prefix[:-1]}@{digests[tag]}"


def is_pinned(uri: str) -> bool:
    """True when `uri` names an image by digest. No side effects."""
    return "@sha256:" in uri


def ensure_repository(ecr: Any, settings: EnvSettings) -> bool:
    """Create the env's ECR repository if it does not exist; True when it was created."""
    name = settings.ecr_repository
    try:
        ecr.describe_repositories(registryId=settings.account_id, repositoryNames=[name])
        return False
    except ClientError as error:
        if error_code(error) != "RepositoryNotFoundException":
            raise
    err.print(f"creating ECR repository {name} in {settings.region}")
    try:
        # Content tags never move, so the repository refuses to overwrite one.
        ecr.create_repository(
            registryId=settings.account_id, repositoryName=name, imageTagMutability="IMMUTABLE"
        )
    except ClientError as error:
        if error_code(error) != "RepositoryAlreadyExistsException":
            raise
        return False
    return True


def is_emulated_endpoint(environ: dict[str, str] | os._Environ[str]) -> bool:
    """True when boto3 is pointed at a non-AWS ECR endpoint (an emulator). No side effects."""
    url = environ.get("AWS_ENDPOINT_URL_ECR") or environ.get("AWS_ENDPOINT_URL") or ""
    if not url:
        return False
    host = urlparse(url).hostname or ""
    return not (host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn"))


def resolve_builder(requested: str) -> Literal["docker", "register"]:
    """The builder to use: `auto` picks Docker when an engine answers, else register on an
    emulator, else a UserError saying what to do."""
    from smgitops.artifacts import builders

    if requested == "register":
        return "register"
    if requested == "docker":
        builders.docker_client()  # raises a UserError when no engine answers
        return "docker"
    if requested != "auto":
        raise UserError(f"unknown builder {requested!r} (allowed: {', '.join(BUILDERS)})")
    if builders.docker_available():
        return "docker"
    if is_emulated_endpoint(os.environ):
        return "register"
    raise UserError("no Docker engine: build the image in CI or pass --builder register")


def push_image(
    ecr: Any,
    settings: EnvSettings,
    repo_root: Path,
    model: str,
    builder: str = "auto",
    base_image: str | None = None,
) -> ImageRef:
    """Make sure the serving image of `model` is in ECR under its content tag.

    Pushes nothing when the tag exists. The digest always comes back from ECR, never from a
    local computation (registries differ in how they compute it).
    """
    from smgitops.artifacts import builders

    tag = image_tag(repo_root, model, base_image)
    uri = image_uri(settings, tag)
    digest = image_digest(ecr, settings, tag)
    if digest is not None:
        return ImageRef(uri=uri, digest=digest, pushed=False)
    chosen = resolve_builder(builder)
    ensure_repository(ecr, settings)
    if chosen == "docker":
        builders.docker_build(repo_root, model, uri, base_image)
        builders.docker_push(ecr, uri)
        digest = image_digest(ecr, settings, tag)
        if digest is None:
            raise UserError(f"docker push of {uri} finished but ECR does not list the tag")
    else:
        digest = builders.register_image(ecr, settings, model, tag, base_image)
    return ImageRef(uri=uri, digest=digest, pushed=True)


def copy_image(
    ecr: Any,
    source: EnvSettings,
    settings: EnvSettings,
    tag: str,
    builder: str = "auto",
    digest: str | None = None,
) -> ImageRef:
    """Copy the image `source`'s repository holds under `tag` (or, with `digest`, the image of
    that digest) into the env's repository under `tag`, by digest, and check the copy has that
    digest: an env that promotes from another runs exactly the image that env tested, never
    a rebuild.

    Copies nothing when the target already holds the tag at the same digest. UserError when
    the source lacks the image, when the target holds the tag at another digest (not the image
    the source tested: refused, tags are immutable) or when the copy's digest differs.
    """
    from smgitops.artifacts import builders

    source_repository = repository_uri(source)
    if digest is None:
        wanted = image_digest(ecr, source, tag)
        source_uri = image_uri(source, tag)
    else:
        wanted = digest if digest_exists(ecr, source, digest) else None
        source_uri = f"{source_repository}@{digest}"
    if wanted is None:
        raise UserError(
            f"{source_uri} is missing: env {settings.name} runs only images env {source.name} "
            f"tested (apply env {source.name} first)"
        )
    uri = image_uri(settings, tag)
    present = image_digest(ecr, settings, tag)
    copied = present is None
    if copied:
        ensure_repository(ecr, settings)
        if resolve_builder(builder) == "docker":
            builders.docker_copy(f"{source_repository}@{wanted}", uri)
        else:
            builders.copy_registered(ecr, source, settings, wanted, tag)
        present = image_digest(ecr, settings, tag)
    if present != wanted:
        raise UserError(
            f"{uri} is {present}, not {wanted}, the image env {source.name} tested: refusing "
            "to deploy an image that was not copied from it (find out who pushed that tag)"
        )
    return ImageRef(uri=uri, digest=wanted, pushed=copied)


def build_image(
    settings: EnvSettings, repo_root: Path, model: str, base_image: str | None = None
) -> str:
    """Build the serving image of `model` locally with Docker under its ECR URI; returns it."""
    from smgitops.artifacts import builders

    if not (repo_root / CONTAINER_DIR / "Dockerfile").is_file():
        raise ConfigError(f"{CONTAINER_DIR}/Dockerfile is missing")
    uri = image_uri(settings, image_tag(repo_root, model, base_image))
    builders.docker_build(repo_root, model, uri, base_image)
    return uri
