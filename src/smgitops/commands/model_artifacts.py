"""`smgitops model package` and `smgitops model publish`: the model tarball, built and uploaded.

Both run from the repository root (where `models/` and `deployments/` are).
"""

from __future__ import annotations

from pathlib import Path

import click

from smgitops.console import err, out

DEFAULT_OUT = Path(".smgitops") / "build"


@click.command("package")
@click.argument("name")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Folder to write <NAME>/model.tar.gz into.",
)
def package(name: str, out_dir: Path) -> None:
    """Package models/NAME/ as a deterministic model.tar.gz.

    The artifact/ folder (what train.py writes) goes to the archive root, every other file
    under code/. Same files give the same bytes and sha256 on any machine. Prints
    "<sha256>  <path>" on stdout (the format of sha256sum).

    \b
    Example:
      python models/demo-regressor/train.py
      smgitops model package demo-regressor
      smgitops model package demo-regressor --out /tmp/build
    """
    from smgitops.artifacts.package import package_model

    built = package_model(Path.cwd(), name, out_dir)
    err.print(f"packaged {name}: {built.size} bytes")
    out(f"{built.sha256}  {built.path}")


@click.command("publish")
@click.argument("name")
@click.option("--env", "env_name", required=True, help="Environment under deployments/.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Folder the tarball is packaged into before upload.",
)
def publish(name: str, env_name: str, out_dir: Path) -> None:
    """Package models/NAME/ and upload it to the env's artifact bucket if it is not there.

    The S3 key carries the tarball's sha256, so an unchanged model is never uploaded twice.
    Creates the bucket when it is missing. Prints the s3:// URI on stdout.

    \b
    Example:
      smgitops model publish demo-regressor --env staging
    """
    from smgitops import aws
    from smgitops.artifacts.package import package_model
    from smgitops.artifacts.publish import publish_model
    from smgitops.manifest import load_env

    repo_root = Path.cwd()
    settings = load_env(repo_root, env_name).settings
    built = package_model(repo_root, name, out_dir)
    with aws.aws_errors(f"publishing {name}"):
        published = publish_model(aws.client("s3", settings.region), settings, built)
    status = "uploaded" if published.uploaded else "already present"
    err.print(f"{name}: {status} {published.s3_uri}")
    out(published.s3_uri)
