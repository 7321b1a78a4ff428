"""The ways an image reaches ECR: a Docker build and push, a registration without Docker, and a
copy by digest from the repository of the env it is promoted from.

`register` writes a minimal image manifest straight into ECR with `PutImage`. It exists for the
offline emulator, which has no Docker engine and serves any registered image with this
project's own serving stack; real ECR rejects manifests whose blobs were never uploaded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from smgitops.aws.clients import error_code
from smgitops.console import err
from smgitops.core.desired import EnvSettings
from smgitops.errors import UserError

DOCKERFILE = "container/Dockerfile"
# SageMaker hosts run x86_64 Linux.
PLATFORM = "linux/amd64"
# Stage of container/Dockerfile for AWS Deep Learning Container bases (keeps their serving stack).
DLC_TARGET = "serving-dlc"
MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_MEDIA_TYPE = "application/vnd.docker.container.image.v1+json"
LAYER_MEDIA_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"
_PING_TIMEOUT_S = 5
_ALREADY_THERE = {"ImageAlreadyExistsException", "ImageTagAlreadyExistsException"}


def _canonical_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# Annotation of a registered image built FROM an AWS Deep Learning Container: the emulator
# serves its model with the container's own packages, not in a serving environment.
BASE_IMAGE_ANNOTATION = "smgitops.base-image"


def registration_manifest(model: str, tag: str, base_image: str | None = None) -> str:
    """A minimal Docker v2 image manifest naming `model` and its content tag (and the DLC it is
    built FROM, as BASE_IMAGE_ANNOTATION, when one is set). No side effects.

    The single layer's digest is derived from the tag so every registered image gets its own
    manifest (and, in registries that hash layers, its own image digest).
    """
    config = _canonical_json(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {
                "Entrypoint": ["smgitops", "serve"],
                "Labels": {"smgitops.model": model, "smgitops.tag": tag},
            },
            "rootfs": {"type": "layers", "diff_ids": []},
        }
    )
    layer = _canonical_json({"model": model, "tag": tag})
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {
            "mediaType": CONFIG_MEDIA_TYPE,
            "size": len(config),
            "digest": _sha256_digest(config),
        },
        "layers": [
            {"mediaType": LAYER_MEDIA_TYPE, "size": len(layer), "digest": _sha256_digest(layer)}
        ],
    }
    if base_image is not None:
        manifest["annotations"] = {BASE_IMAGE_ANNOTATION: base_image}
    return json.dumps(manifest, sort_keys=True, indent=2)


def register_image(
    ecr: Any, settings: EnvSettings, model: str, tag: str, base_image: str | None = None
) -> str:
    """Record the image in ECR without Docker; returns the digest ECR assigned."""
    try:
        response = ecr.put_image(
            registryId=settings.account_id,
            repositoryName=settings.ecr_repository,
            imageManifest=registration_manifest(model, tag, base_image),
            imageManifestMediaType=MANIFEST_MEDIA_TYPE,
            imageTag=tag,
        )
    except ClientError as error:
        if error_code(error) not in _ALREADY_THERE:
            raise
        # Registered concurrently by another run: read back what is there.
        found = ecr.describe_images(
            registryId=settings.account_id,
            repositoryName=settings.ecr_repository,
            imageIds=[{"imageTag": tag}],
        )
        return str(found["imageDetails"][0]["imageDigest"])
    return str(response["image"]["imageId"]["imageDigest"])


def copy_registered(
    ecr: Any, source: EnvSettings, settings: EnvSettings, digest: str, tag: str
) -> None:
    """Copy an image between two repositories of one registry with ECR's own API: the
    manifest bytes are put unchanged, so the digest is kept. (Real ECR accepts it only when the
    target repository already has the layers: use docker_copy there.)"""
    found = ecr.batch_get_image(
        registryId=source.account_id,
        repositoryName=source.ecr_repository,
        imageIds=[{"imageDigest": digest}],
    )
    (image,) = found["images"]
    try:
        ecr.put_image(
            registryId=settings.account_id,
            repositoryName=settings.ecr_repository,
            imageManifest=image["imageManifest"],
            imageManifestMediaType=image.get("imageManifestMediaType", MANIFEST_MEDIA_TYPE),
            imageTag=tag,
            imageDigest=digest,
        )
    except ClientError as error:
        # Copied concurrently by another run: the caller compares the digests.
        if error_code(error) not in _ALREADY_THERE:
            raise


def docker_copy(source: str, target: str) -> None:
    """Copy `source` (`repo@sha256:...`) to `target` (`repo:tag`) registry to registry with
    `docker buildx imagetools create`, which pushes the same manifest (so the same digest) and
    mounts its layers; the Docker CLI must be logged in to the registry."""
    command = ["docker", "buildx", "imagetools", "create", "--tag", target, source]
    err.print(f"copying {source} to {target}")
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise UserError(f"cannot run docker to copy the image ({error.strerror})") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise UserError(f"copying {source} to {target} failed: {last}")


def docker_client() -> Any:
    """A docker-py client whose engine answered a ping; UserError when there is none."""
    try:
        import docker
        from docker.errors import DockerException
    except ImportError:
        raise UserError(
            "the docker builder needs the `docker` package: pip install 'smgitops[image]'"
        ) from None
    try:
        client = docker.from_env(timeout=_PING_TIMEOUT_S)
        client.ping()
    except DockerException as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UserError(f"no Docker engine answered ({first_line})") from None
    return client


def docker_available() -> bool:
    """True when a Docker engine answers a ping."""
    try:
        docker_client()
    except UserError:
        return False
    return True


def _docker_errors(stream: Any, what: str) -> None:
    """Print a docker-py progress stream to stderr; UserError on the first error it reports."""
    for chunk in stream:
        if "error" in chunk:
            raise UserError(f"{what} failed: {str(chunk['error']).strip()}")
        line = str(chunk.get("stream", "")).rstrip()
        if line:
            err.print(line, markup=False)


def docker_build(repo_root: Path, model: str, uri: str, base_image: str | None = None) -> None:
    """`docker build` of container/Dockerfile with build-arg MODEL, tagged `uri`; with a DLC
    `base_image`, also build-arg BASE_IMAGE and target DLC_TARGET (the DLC's toolkit serves)."""
    buildargs = {"MODEL": model}
    if base_image is not None:
        buildargs["BASE_IMAGE"] = base_image
    if not (repo_root / DOCKERFILE).is_file():
        raise UserError(f"{DOCKERFILE} is missing")
    client = docker_client()
    err.print(f"building {uri}")
    stream = client.api.build(
        path=str(repo_root),
        dockerfile=DOCKERFILE,
        buildargs=buildargs,
        target=DLC_TARGET if base_image is not None else None,
        tag=uri,
        platform=PLATFORM,
        rm=True,
        decode=True,
    )
    _docker_errors(stream, f"docker build of {model}")


def ecr_credentials(ecr: Any) -> dict[str, str]:
    """Docker login credentials from ECR's authorization token."""
    data = ecr.get_authorization_token()["authorizationData"][0]
    username, password = base64.b64decode(data["authorizationToken"]).decode().split(":", 1)
    return {"username": username, "password": password, "registry": data["proxyEndpoint"]}


def docker_push(ecr: Any, uri: str) -> None:
    """Log in to ECR and push the locally built `uri`."""
    client = docker_client()
    credentials = ecr_credentials(ecr)
    client.login(**credentials)
    repository, tag = uri.rsplit(":", 1)
    err.print(f"pushing {uri}")
    auth = {"username": credentials["username"], "password": credentials["password"]}
    stream = client.api.push(repository, tag=tag, stream=True, decode=True, auth_config=auth)
    _docker_errors(stream, f"docker push of {uri}")
