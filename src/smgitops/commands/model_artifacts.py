"""`smgitops model pin | fetch | package | publish`: a model's weights and tarball.

All run from the repository root (where `models/` and `deployments/` are).
"""

from __future__ import annotations

from pathlib import Path

import click

from smgitops.console import err, out

DEFAULT_OUT = Path(".smgitops") / "build"


def _s3(region: str | None = None):
    from smgitops.aws import clients as aws

    return aws.client("s3", region)


def _fetcher(repo_root: Path):
    """Brings pinned files from the content store into the local cache, verified."""
    from smgitops.artifacts.store import fetcher

    return fetcher(_s3(), repo_root, err.print)


@click.command("pin")
@click.argument("name")
@click.option(
    "--store",
    help="Content store s3://BUCKET/PREFIX (default: the store the current pin names).",
)
def pin(name: str, store: str | None) -> None:
    """Pin models/NAME/artifact/: upload its files to the content store, write the pin.

    Each file goes to `<store>/sha256/<hex>` unless the store has it already (never
    overwritten), then models/NAME/artifact.pin.json records every file's sha256 and size and
    the store. Commit the pin: plan, apply and `git revert` work from it, with no training.
    Works for any trained file, e.g. a notebook's model.joblib copied into artifact/.

    \b
    Example:
      python models/demo-regressor/train.py
      smgitops model pin demo-regressor
      smgitops model pin churn --store s3://acme-ml-artifacts/store
      git add models/demo-regressor/artifact.pin.json && git commit
    """
    import hashlib

    from smgitops.artifacts.package import local_artifact, model_dir, read_pin
    from smgitops.artifacts.pin import PIN_FILE, ArtifactPin, render_pin, store_problem
    from smgitops.artifacts.publish import ensure_bucket_named
    from smgitops.artifacts.store import put_blob
    from smgitops.aws import clients as aws
    from smgitops.aws.verify import split_uri
    from smgitops.errors import ConfigError

    folder = model_dir(Path.cwd(), name)
    local = local_artifact(folder)
    if not local:
        raise ConfigError(f"models/{name}/artifact/ is empty: train the model first")
    current = read_pin(folder, name)
    store = store or (current.store if current else None)
    if store is None:
        raise click.UsageError(f"models/{name} has no pin yet: give --store s3://BUCKET/PREFIX")
    problem = store_problem(store)
    if problem:
        raise click.BadParameter(problem, param_hint="--store")
    pinned = ArtifactPin(store=store, files=tuple(f for f, _ in local))
    s3 = _s3()
    with aws.aws_errors(f"uploading models/{name}/artifact/ to {store}"):
        ensure_bucket_named(s3, split_uri(store)[0], s3.meta.region_name or "us-east-1")
        for file, path in local:
            uploaded = put_blob(s3, pinned, file, path)
            status = "uploaded" if uploaded else "already in the store"
            err.print(f"{file.path}: {status} ({file.size} bytes, sha256 {file.sha256[:12]})")
    text = render_pin(pinned)
    (folder / PIN_FILE).write_text(text)
    shown = f"models/{name}/{PIN_FILE}"
    if current == pinned:
        err.print(f"{shown} unchanged (files digest {pinned.digest[:12]})")
    else:
        err.print(f"{shown} written (files digest {pinned.digest[:12]}); commit it")
    # sha256sum's format, of the pin file itself (`... | sha256sum -c` checks it).
    out(f"{hashlib.sha256(text.encode()).hexdigest()}  models/{name}/{PIN_FILE}")


@click.command("fetch")
@click.argument("name")
def fetch(name: str) -> None:
    """Make models/NAME/artifact/ hold exactly the pinned bytes, from the content store.

    Files already right are kept; others are downloaded, verified against the pin and put
    in place; files the pin does not name are removed. Use it after `git revert` or a
    checkout of another commit, instead of training again.

    \b
    Example:
      git revert HEAD && smgitops model fetch demo-regressor
    """
    import shutil

    from smgitops.artifacts.layout import ARTIFACT_DIR
    from smgitops.artifacts.package import local_artifact, model_dir, read_pin
    from smgitops.artifacts.pin import PIN_FILE
    from smgitops.aws import clients as aws
    from smgitops.errors import ConfigError

    repo_root = Path.cwd()
    folder = model_dir(repo_root, name)
    pinned = read_pin(folder, name)
    if pinned is None:
        raise ConfigError(f"models/{name}/{PIN_FILE} is missing: nothing to fetch")
    have = {f.path: (f, path) for f, path in local_artifact(folder)}
    wanted = {f.path for f in pinned.files}
    bring = _fetcher(repo_root)
    changed = 0
    with aws.aws_errors(f"fetching models/{name}/artifact/"):
        for file in pinned.files:
            if file.path in have and have[file.path][0] == file:
                continue
            target = folder / ARTIFACT_DIR / file.path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(bring(pinned, file), target)
            changed += 1
    for path, (_, local) in have.items():
        if path not in wanted:
            local.unlink()
            changed += 1
    err.print(f"models/{name}/{ARTIFACT_DIR}/ matches its pin ({changed} file(s) changed)")


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

    The pinned weights go to the archive root (from artifact/ when it matches the pin, else
    from the content store, verified), the files serving needs under code/ (not train.py,
    READMEs, notebooks, payloads/ or tests/; see .smgitopsignore in docs/manifest.md). A
    model without a pin yet is packaged from its local artifact/. Same files give the same
    bytes and sha256 on any machine. Prints "<sha256>  <path>" on stdout (sha256sum's format).

    \b
    Example:
      smgitops model package demo-regressor
      smgitops model package demo-regressor --out /tmp/build
    """
    from smgitops.artifacts.package import package_model
    from smgitops.aws import clients as aws

    with aws.aws_errors(f"packaging {name}"):
        built = package_model(Path.cwd(), name, out_dir, _fetcher(Path.cwd()))
    err.print(f"packaged {name}: {built.size} bytes, tree {built.tree[:12]}")
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
    """Package models/NAME/ from its pin and upload it to the env's artifact bucket.

    The S3 key carries the tarball's tree digest (its content, known from git), so an
    unchanged model is never uploaded twice; other bytes found under the key are replaced.
    Creates the bucket when it is missing. Prints the s3:// URI on stdout.

    \b
    Example:
      smgitops model publish demo-regressor --env staging
    """
    from smgitops.artifacts.package import model_tree, package_tree
    from smgitops.artifacts.publish import publish_tree
    from smgitops.aws import clients as aws
    from smgitops.manifest import load_env

    repo_root = Path.cwd()
    settings = load_env(repo_root, env_name).settings
    aws.check_account(settings.account_id, env_name, settings.region)
    tree = model_tree(repo_root, name)
    with aws.aws_errors(f"publishing {name}"):
        published = publish_tree(
            _s3(settings.region),
            settings,
            name,
            tree.digest,
            lambda: package_tree(tree, out_dir, _fetcher(repo_root)),
        )
    status = "uploaded" if published.uploaded else "already present"
    err.print(f"{name}: {status} {published.s3_uri}")
    out(published.s3_uri)


@click.command("gc")
@click.option(
    "--store",
    "stores",
    multiple=True,
    help="Content store s3://BUCKET/PREFIX to collect (default: every store a pin names).",
)
@click.option(
    "--grace-days",
    type=click.IntRange(min=0),
    default=7,
    show_default=True,
    help="Never delete blobs younger than this (a fresh pin may not be pushed yet).",
)
@click.option("--yes", is_flag=True, help="Delete them; without it, only list them.")
def gc(stores: tuple[str, ...], grace_days: int, yes: bool) -> None:
    """Delete content-store blobs that no pin in git history names.

    Keeps every blob any version of any models/*/artifact.pin.json of any branch or tag
    names (so `git revert` and old commits always deploy), and every blob younger than
    --grace-days. Run it from a clone with every branch fetched; without --yes it only
    lists what it would delete. Needs s3:ListBucket and s3:DeleteObject on the store, which
    deploy roles do not have.

    \b
    Example:
      git fetch --all && smgitops model gc
      smgitops model gc --store s3://acme-ml-artifacts/store --yes
    """
    from datetime import UTC, datetime, timedelta

    from smgitops.artifacts.pin import store_problem
    from smgitops.artifacts.retention import (
        StoredBlob,
        blob_sha256,
        pinned_in_history,
        unreferenced,
    )
    from smgitops.aws import clients as aws
    from smgitops.aws.verify import split_uri
    from smgitops.core.naming import BLOB_PREFIX

    pinned, named = pinned_in_history(Path.cwd())
    chosen = sorted(set(stores) or named)
    for store in chosen:
        problem = store_problem(store)
        if problem:
            raise click.BadParameter(problem, param_hint="--store")
    s3 = _s3()
    total, doomed = 0, []
    with aws.aws_errors("listing the content store"):
        for store in chosen:
            bucket, prefix = split_uri(store.rstrip("/") + "/")
            blobs = []
            pages = s3.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=f"{prefix}{BLOB_PREFIX}/"
            )
            for page in pages:
                for item in page.get("Contents", []):
                    sha256 = blob_sha256(item["Key"])
                    if sha256 is not None:
                        blobs.append(
                            StoredBlob(item["Key"], sha256, item["Size"], item["LastModified"])
                        )
            total += len(blobs)
            now = datetime.now(UTC)
            doomed += [
                (bucket, b) for b in unreferenced(blobs, pinned, now, timedelta(days=grace_days))
            ]
    for bucket, blob in doomed:
        out(f"{'deleting' if yes else 'unreferenced'} s3://{bucket}/{blob.key} ({blob.size} bytes)")
    freed = sum(b.size for _, b in doomed)
    if yes and doomed:
        with aws.aws_errors("deleting from the content store"):
            for bucket in sorted({bucket for bucket, _ in doomed}):
                keys = [{"Key": b.key} for name, b in doomed if name == bucket]
                for start in range(0, len(keys), 1000):  # DeleteObjects takes 1,000 keys a call
                    s3.delete_objects(Bucket=bucket, Delete={"Objects": keys[start : start + 1000]})
    verb = "deleted" if yes else "would delete (pass --yes)"
    err.print(
        f"{total} blob(s) in {len(chosen)} store(s); {len(pinned)} distinct hash(es) pinned in "
        f"git history; {verb} {len(doomed)} ({freed} bytes)"
    )
