"""Where a model's artifacts live in the emulated AWS: its S3 tarball, its code and its ECR
image.

Reads moto's in-process backends directly (the emulator runs in the same process), and
extracts tarballs safely: no absolute paths, no `..`, no links or devices.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from smgitops.artifacts.builders import BASE_IMAGE_ANNOTATION
from smgitops.emulator import aws_images

_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com"
    r"/(?P<repository>[a-z0-9._/-]+?)(?::(?P<tag>[\w.-]+)|@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


# The container environment variable naming the code of framework images (SageMaker's
# inference toolkits): `s3://bucket/key/sourcedir.tar.gz`, fetched at startup into code/.
SUBMIT_DIRECTORY = "SAGEMAKER_SUBMIT_DIRECTORY"
CODE_DIR = "code"


@dataclass(frozen=True)
class EcrImageRef:
    account: str
    region: str
    repository: str
    tag: str | None
    digest: str | None


@dataclass(frozen=True)
class S3ObjectRef:
    bucket: str
    key: str


def parse_ecr_image(uri: str) -> EcrImageRef | None:
    """The ECR coordinates of an image URI, or None if it is not an ECR URI. No side effects."""
    match = _ECR_IMAGE.match(uri)
    if match is None:
        return None
    tag = match["tag"] or (None if match["digest"] else "latest")
    return EcrImageRef(match["account"], match["region"], match["repository"], tag, match["digest"])


def parse_s3_url(url: str) -> S3ObjectRef | None:
    """Bucket and key of an `s3://bucket/key` URL, or None. No side effects."""
    if not url.startswith("s3://"):
        return None
    bucket, _, key = url[len("s3://") :].partition("/")
    if not bucket or not key:
        return None
    return S3ObjectRef(bucket, key)


def _find_image(ref: EcrImageRef):
    from moto.ecr.models import ecr_backends

    repository = ecr_backends[ref.account][ref.region].repositories.get(ref.repository)
    if repository is None:
        return None
    for image in repository.images:
        if ref.digest is not None and image.image_digest == ref.digest:
            return image
        if ref.tag is not None and ref.tag in image.image_tags:
            return image
    return None


def image_exists(uri: str) -> bool:
    """Whether an ECR image URI names a registered image or one AWS publishes (aws_images.py);
    non-ECR URIs are not checked."""
    ref = parse_ecr_image(uri)
    return ref is None or aws_images.is_aws_owned(ref.account) or _find_image(ref) is not None


def is_aws_image(uri: str) -> bool:
    """Whether an ECR image URI names an image AWS publishes (aws_images.py). No side effects."""
    ref = parse_ecr_image(uri)
    return ref is not None and aws_images.is_aws_owned(ref.account)


def unserved_image_reason(uri: str) -> str | None:
    """Why the emulator cannot run a model on this image although AWS would (an AWS image
    other than the ones it serves, aws_images.py), or None."""
    ref = parse_ecr_image(uri)
    return None if ref is None else aws_images.unserved_reason(uri, ref.account, ref.repository)


def registered_base_image(uri: str) -> str | None:
    """The AWS Deep Learning Container a registered image says it is built FROM (its
    manifest's `smgitops.base-image` annotation), or None. No side effects."""
    ref = parse_ecr_image(uri)
    image = _find_image(ref) if ref is not None else None
    try:
        manifest = json.loads(image.image_manifest) if image is not None else {}
    except (TypeError, ValueError):
        return None
    annotations = manifest.get("annotations") if isinstance(manifest, dict) else None
    base = annotations.get(BASE_IMAGE_ANNOTATION) if isinstance(annotations, dict) else None
    return base if isinstance(base, str) else None


def resolve_image_digest(uri: str) -> str | None:
    """`<registry>/<repo>@sha256:...` for a registered ECR image, as DeployedImages shows it."""
    ref = parse_ecr_image(uri)
    if ref is None:
        return None
    image = _find_image(ref)
    if image is None:
        return None
    registry = uri.split("/", 1)[0]
    return f"{registry}/{ref.repository}@{image.image_digest}"


def _s3_key(account: str, region: str, ref: S3ObjectRef):
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    backend = s3_backends[account][get_partition(region)]
    if ref.bucket not in backend.buckets:
        return None
    return backend.get_object(ref.bucket, ref.key)


def s3_object_etag(account: str, region: str, ref: S3ObjectRef) -> str | None:
    """The ETag of an object in the emulated S3 (without reading it), or None if missing."""
    key = _s3_key(account, region, ref)
    return None if key is None else key.etag


def read_s3_object(account: str, region: str, ref: S3ObjectRef) -> tuple[bytes, str] | None:
    """(bytes, etag) of an object in the emulated S3, or None if it does not exist."""
    key = _s3_key(account, region, ref)
    return None if key is None else (key.value, key.etag)


class ArchiveNotExtracted(ValueError):
    """A model.tar.gz (or sourcedir.tar.gz) an instance cannot extract: not a tar archive
    (gzip or plain), truncated, or holding an entry it refuses. `url`: where it was fetched
    from, once known."""

    url: str = ""


class UnsafeArchive(ArchiveNotExtracted):
    """The tarball holds an entry that would land outside the model directory, or a link
    (SageMaker refuses archives with symbolic links too)."""


def _safe_members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for member in archive.getmembers():
        path = PurePosixPath(member.name)
        if path.is_absolute() or ".." in path.parts:
            raise UnsafeArchive(f"entry {member.name!r} points outside the model directory")
        if not (member.isfile() or member.isdir()):
            raise UnsafeArchive(f"entry {member.name!r} is a link or special file")
        members.append(member)
    return members


def extract_model_tarball(data: bytes, destination: Path) -> None:
    """Unpack a model.tar.gz (or a sourcedir.tar.gz) into `destination` (created, may hold
    files already: the archive's win). ArchiveNotExtracted when it is not a tar archive or is
    truncated; UnsafeArchive (one) for an entry that leaves the folder or is a link."""
    destination.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            members = _safe_members(archive)
            archive.extractall(destination, members=members, filter="data")
    except (tarfile.TarError, EOFError, zlib.error) as error:
        raise ArchiveNotExtracted(f"not a valid tar.gz archive: {error}") from None
