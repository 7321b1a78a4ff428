"""Pin a folder model, for one env, to the whole tarball and image another env runs now.

`promote --pin` reads what the source env's endpoint serves (its model's ModelDataUrl and
image digest), checks the tarball against the sha256 this tool recorded when it uploaded it,
and makes sure the model's content store keeps those bytes under that sha256 (so the pin
deploys anywhere, whatever happens to the source env's bucket). Reads SageMaker and the
source env's bucket; writes only a content-addressed blob to the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from smgitops.artifacts.package import model_dir, read_pin
from smgitops.artifacts.pin import PIN_FILE, ArtifactPin, PinnedFile
from smgitops.artifacts.store import CACHE_DIR, put_blob
from smgitops.aws.reader import describe_endpoint, read_config
from smgitops.aws.verify import (
    INTACT,
    META_SHA256,
    blob_state,
    download_verified,
    head,
    tarball_state,
)
from smgitops.core import naming
from smgitops.core.desired import EndpointSpec
from smgitops.core.pins import TarballPin
from smgitops.errors import UserError

_DIGEST_MARK = "@sha256:"


def pin_live_tarball(sagemaker: Any, s3: Any, spec: EndpointSpec, repo_root: Path) -> TarballPin:
    """The tarball and image `spec`'s endpoint serves now, kept in its model's content store.

    UserError (one line) when the endpoint is not live, does not serve a folder model's
    tarball by image digest, the tarball does not verify, or the model has no artifact pin.
    """
    name, endpoint_name = spec.model.name, spec.endpoint_name
    pinned = read_pin(model_dir(repo_root, name), name)
    if pinned is None:
        raise UserError(f"models/{name} has no {PIN_FILE}: its content store keeps the tarball")
    live = describe_endpoint(sagemaker, endpoint_name)
    if live is None or not live.config_name:
        raise UserError(f"endpoint {endpoint_name} is not live in env {spec.env}: apply it first")
    config = read_config(sagemaker, live.config_name)
    model = config.models[0] if config and config.models else None
    url, image = (model.model_data_url, model.image_uri) if model else ("", "")
    tree = naming.tarball_tree(url) or naming.pinned_tarball_sha256(url)
    if tree is None or _DIGEST_MARK not in image:
        raise UserError(
            f"endpoint {endpoint_name} serves {url or 'no model data'} with image {image}: "
            "not a tarball and image of this tool by digest (apply it with this version first)"
        )
    found = head(s3, url)
    state = tarball_state(found, tree)
    if found is None or state not in INTACT:
        raise UserError(f"the live tarball {url} is {state.value}: repair it (apply) first")
    sha256 = found.metadata[META_SHA256]
    store = ArtifactPin(pinned.store, ())
    if blob_state(head(s3, naming.store_blob_uri(pinned.store, sha256)), sha256) not in INTACT:
        cached = download_verified(s3, url, sha256, None, repo_root / CACHE_DIR / sha256)
        put_blob(s3, store, PinnedFile(naming.TARBALL_NAME, sha256, cached.stat().st_size), cached)
    return TarballPin(name, sha256, "sha256:" + image.split(_DIGEST_MARK, 1)[1], pinned.store)
