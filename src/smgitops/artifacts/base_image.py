"""An endpoint's serving image when its manifest asks for a DLC base image."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from smgitops.artifacts.image import image_tag
from smgitops.artifacts.needs import base_image_uri
from smgitops.core.desired import EndpointSpec, EnvSettings
from smgitops.core.naming import image_uri
from smgitops.core.resources import ModelArtifact


def with_base_image(
    artifact: ModelArtifact, spec: EndpointSpec, settings: EnvSettings, repo_root: Path
) -> ModelArtifact:
    """`artifact` served by the image built FROM the endpoint's DLC base (unchanged without
    one): its tag hashes the base URI too, so each region and base gets its own image.

    No side effects (reads files).
    """
    base = base_image_uri(spec, settings)
    if base is None or not spec.model.has_folder:  # a pinned image is served as pinned
        return artifact
    model = spec.model.code or spec.model.name
    uri = image_uri(settings, image_tag(repo_root, model, base))
    return replace(artifact, image_uri=uri, base_image=base)
