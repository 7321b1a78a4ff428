"""Which model folders an environment's manifests deploy (and so need a tarball and an image)."""

from __future__ import annotations

from dataclasses import dataclass

from smgitops.baseimages.catalog import load_catalog, resolve
from smgitops.core.desired import DesiredEnv, EndpointSpec, EnvSettings


def models_used(desired: DesiredEnv) -> tuple[str, ...]:
    """Names of the `models/<name>` folders the env's endpoints use, sorted, each once.

    No side effects.
    """
    return tuple(sorted({e.model.name for e in desired.endpoints if e.model.kind == "folder"}))


@dataclass(frozen=True)
class ServingImage:
    """One image to build: a model folder, FROM a DLC base image URI or container/'s default."""

    model: str
    base_image: str | None = None


def base_image_uri(spec: EndpointSpec, settings: EnvSettings) -> str | None:
    """The DLC URI an endpoint's image is built FROM in the env's region, or None.

    No side effects (reads the packaged DLC catalog).
    """
    if spec.base_image is None:
        return None
    return resolve(spec.base_image, settings.region, load_catalog()).uri


def serving_images(desired: DesiredEnv) -> tuple[ServingImage, ...]:
    """Every distinct image the env's endpoints serve with and the repo builds, sorted.

    No side effects (reads the packaged DLC catalog).
    """
    images = {
        ServingImage(e.model.code or e.model.name, base_image_uri(e, desired.settings))
        for e in desired.endpoints
        if e.model.has_folder
    }
    return tuple(sorted(images, key=lambda i: (i.model, i.base_image or "")))
