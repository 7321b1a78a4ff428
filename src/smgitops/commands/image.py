"""`smgitops image tag|build|push|copy`: serving images in ECR under their content tags.

Each model the env's manifests use gets its own image, tagged `<model>-<hash12>` over
container/, the model's requirements.txt and this package's source; a tag already in ECR is
never rebuilt. An env that promotes from another copies that env's tested images by digest.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from smgitops.console import err, out

if TYPE_CHECKING:
    from smgitops.artifacts.needs import ServingImage
    from smgitops.core.desired import DesiredEnv

_MODEL_OPTION = click.option(
    "--model",
    "only_model",
    default=None,
    help="Only this model (default: every model the env's manifests use).",
)

F = TypeVar("F", bound=Callable[..., Any])


def _builder_option(help_text: str) -> Callable[[F], F]:
    return click.option(
        "--builder",
        type=click.Choice(["auto", "docker", "register"]),
        default="auto",
        show_default=True,
        help=help_text,
    )


def _env_models(
    env_name: str, only_model: str | None, pinned_too: bool = False
) -> tuple[DesiredEnv, tuple[ServingImage, ...]]:
    """The env and the images its manifests serve by content tag, or only `only_model`'s
    (UserError when the env does not use it; with `pinned_too`, manifests pinned to one
    tarball and image count as using it too)."""
    from smgitops.artifacts.needs import serving_images
    from smgitops.errors import UserError
    from smgitops.manifest import load_env

    desired = load_env(Path.cwd(), env_name)
    models = serving_images(desired)
    if only_model is not None:
        pinned = {m for m, _ in _pinned_digests(desired, None)} if pinned_too else set()
        if only_model not in {m.model for m in models} | pinned:
            used = ", ".join(sorted({m.model for m in models} | pinned)) or "none"
            raise UserError(f"env {env_name} does not use model {only_model} (it uses: {used})")
        models = tuple(m for m in models if m.model == only_model)
    return desired, models


@click.group("image")
def image() -> None:
    """Serving images in ECR, one per model, tagged by the hash of their content.

    \b
    Example:
      smgitops image tag --env staging
      smgitops image push --env staging
    """


@image.command("tag")
@click.option("--env", "env_name", required=True, help="Environment under deployments/.")
def tag(env_name: str) -> None:
    """Print the image each model of the env needs and whether ECR lacks it.

    One line on stdout, compact JSON, ready for $GITHUB_OUTPUT (a build matrix):
    images=[{"model": ..., "image": <uri:tag>, "missing": true|false, "digest": "sha256:..."
    or null}, ...]. Reads ECR only. Models run the image by that digest.

    \b
    Example:
      smgitops image tag --env staging >> "$GITHUB_OUTPUT"
    """
    from smgitops.artifacts.image import image_digest, image_tag
    from smgitops.aws import clients as aws
    from smgitops.core.naming import image_uri

    desired, models = _env_models(env_name, None)
    settings = desired.settings
    aws.check_account(settings.account_id, env_name, settings.region)
    repo_root = Path.cwd()
    rows = []
    with aws.aws_errors("reading ECR"):
        ecr = aws.client("ecr", settings.region)
        for wanted in models:
            content_tag = image_tag(repo_root, wanted.model, wanted.base_image)
            digest = image_digest(ecr, settings, content_tag)
            row = {
                "model": wanted.model,
                "image": image_uri(settings, content_tag),
                "missing": digest is None,
                "digest": digest,
            }
            if wanted.base_image is not None:
                row["base_image"] = wanted.base_image
            rows.append(row)
    out("images=" + json.dumps(rows, separators=(",", ":")))


@image.command("build")
@click.option("--env", "env_name", required=True, help="Environment under deployments/.")
@_MODEL_OPTION
def build(env_name: str, only_model: str | None) -> None:
    """Build serving images locally with Docker, tagged with their ECR URI (no push).

    Needs a Docker engine. Builds container/Dockerfile with build-arg MODEL=<model>.

    \b
    Example:
      smgitops image build --env staging --model demo-regressor
    """
    from smgitops.artifacts.image import build_image

    desired, models = _env_models(env_name, only_model)
    settings = desired.settings
    for wanted in models:
        uri = build_image(settings, Path.cwd(), wanted.model, wanted.base_image)
        err.print(f"{wanted.model}: built {uri}")


@image.command("push")
@click.option("--env", "env_name", required=True, help="Environment under deployments/.")
@_builder_option(
    "docker: build and push; register: record the image in ECR without Docker (for the "
    "offline emulator); auto: docker when an engine answers, else register when "
    "AWS_ENDPOINT_URL points at an emulator."
)
@_MODEL_OPTION
def push(env_name: str, builder: str, only_model: str | None) -> None:
    """Push the serving image of every model the env uses, only where its tag is missing.

    Creates the ECR repository (immutable tags) when it is missing. Running it again with
    unchanged inputs pushes nothing.

    \b
    Example:
      smgitops image push --env staging
      smgitops image push --env staging --builder docker --model demo-regressor
    """
    from smgitops.artifacts.image import push_image
    from smgitops.aws import clients as aws

    desired, models = _env_models(env_name, only_model)
    settings = desired.settings
    aws.check_account(settings.account_id, env_name, settings.region)
    if not models:
        err.print(f"env {env_name} uses no model folders: nothing to push")
    with aws.aws_errors("pushing images"):
        ecr = aws.client("ecr", settings.region)
        for wanted in models:
            ref = push_image(
                ecr,
                settings,
                Path.cwd(),
                wanted.model,
                builder=builder,
                base_image=wanted.base_image,
            )
            status = "pushed" if ref.pushed else "already present"
            err.print(f"{wanted.model}: {status} {ref.uri} ({ref.digest})")


@image.command("copy")
@click.option("--env", "env_name", required=True, help="Environment under deployments/.")
@click.option(
    "--from",
    "source_name",
    default=None,
    help="The env whose tested images to copy (default: the env's promotesFrom).",
)
@_builder_option(
    "docker: `docker buildx imagetools create` (the Docker CLI logged in to ECR); "
    "register: ECR's BatchGetImage and PutImage (the offline emulator); auto: as for push."
)
@_MODEL_OPTION
def copy(env_name: str, source_name: str | None, builder: str, only_model: str | None) -> None:
    """Copy each image the env needs from the env it promotes from, by digest: never rebuilt.

    The tag each model needs is computed from this commit, as for push; the source env must
    hold it (it was built and applied there). Manifests pinned to one tarball and image
    (`imageDigest`, promote --pin) get that digest, tagged `<model>-d<12 hex>`. A target tag
    that already exists at another digest is refused. Prints one line on stdout:
    images=[{"model": ..., "image": <uri:tag>, "digest": "sha256:..."}, ...].

    \b
    Example:
      smgitops image copy --env prod
      smgitops image copy --env prod --from staging --model demo-regressor
    """
    from smgitops.artifacts.image import copy_image, image_tag
    from smgitops.aws import clients as aws
    from smgitops.core.naming import pinned_image_tag
    from smgitops.errors import UserError
    from smgitops.manifest import load_env

    desired, models = _env_models(env_name, only_model, pinned_too=True)
    settings = desired.settings
    source_name = source_name or settings.promotes_from
    if source_name is None:
        raise UserError(
            f"env {env_name} promotes from no env: pass --from ENV or set promotesFrom in "
            f"deployments/{env_name}/_env.yaml"
        )
    source = load_env(Path.cwd(), source_name).settings
    # Images by content tag, then the digests of manifests pinned to one tarball and image.
    wanted = [(m.model, image_tag(Path.cwd(), m.model, m.base_image), None) for m in models] + [
        (model, pinned_image_tag(model, digest), digest)
        for model, digest in _pinned_digests(desired, only_model)
    ]
    aws.check_account(settings.account_id, env_name, settings.region)
    rows = []
    with aws.aws_errors("copying images"):
        ecr = aws.client("ecr", settings.region)
        for model, tag, digest in wanted:
            ref = copy_image(ecr, source, settings, tag, builder, digest)
            status = "copied" if ref.pushed else "already present"
            err.print(f"{model}: {status} {ref.uri} ({ref.digest}, from {source_name})")
            rows.append({"model": model, "image": ref.uri, "digest": ref.digest})
    out("images=" + json.dumps(rows, separators=(",", ":")))


def _pinned_digests(desired: DesiredEnv, only_model: str | None) -> list[tuple[str, str]]:
    """(model folder, image digest) of the env's manifests pinned to one tarball, each once."""
    pinned = {
        (e.model.name, e.model.image_digest)
        for e in desired.endpoints
        if e.model.kind == "tarball" and e.model.image_digest
    }
    return sorted(p for p in pinned if only_model in (None, p[0]))
