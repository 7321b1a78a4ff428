"""`smgitops promote`: pin what one env deploys into another env's manifest, as a commit."""

from __future__ import annotations

from pathlib import Path

import click

from smgitops.console import err


@click.command("promote")
@click.option("--from", "source_env", required=True, help="Env whose deployed model to copy.")
@click.option("--to", "target_env", required=True, help="Env whose manifest gets it.")
@click.option("--no-commit", is_flag=True, help="Write the manifest but do not commit it.")
@click.option(
    "--pin",
    "pin_tarball",
    is_flag=True,
    help="For a folder model: pin the target env to the whole tarball and image the source "
    "env serves now, instead of following the folder (kept in the model's content store).",
)
@click.argument("name")
def promote(
    source_env: str, target_env: str, no_commit: bool, pin_tarball: bool, name: str
) -> None:
    """Copy endpoint NAME's model from one env to another, pinned, as a git commit for a PR.

    Rewrites only spec.model and spec.image (the DLC base, set or removed to match) of
    deployments/<to>/ (the manifest with metadata.name NAME; a copy of the source manifest
    when there is none): an S3 artifact gains the ETag and
    VersionId the source env resolves, `latest-approved` becomes the exact model package
    ARN, a folder model stays the folder, or with --pin becomes {folder, tarball, imageDigest}:
    the sha256 of the tarball and the digest of the image the source env serves now, so the
    target env keeps them while the folder moves on (a pinned manifest is promoted as it is).
    Reads S3/SageMaker of the source env; writes AWS only with --pin (the tarball into the
    model's content store, by sha256). Only that file is committed; push a branch and open a
    PR from it.

    \b
    Example:
      smgitops promote --from staging --to prod churn-classifier
      smgitops promote --from staging --to prod churn-classifier --pin
      git push origin HEAD:promote/churn-classifier
    """
    from smgitops.aws.clients import aws_errors, check_account
    from smgitops.aws.reader import Clients
    from smgitops.core.pins import approval_refusal, describe_pin
    from smgitops.errors import UserError
    from smgitops.manifest import load_env, validate_paths
    from smgitops.promote import commit_manifest, pinned_model, write_promotion
    from smgitops.sources.resolve import resolve_sources

    if source_env == target_env:
        raise UserError("--from and --to name the same env")
    repo_root = Path.cwd()
    source = load_env(repo_root, source_env)
    target = load_env(repo_root, target_env)
    for env in (source, target):
        check_account(env.settings.account_id, env.settings.name, env.settings.region)
    spec = next((e for e in source.endpoints if e.name == name), None)
    if spec is None:
        known = ", ".join(sorted(e.name for e in source.endpoints)) or "none"
        raise UserError(f"no manifest named {name} in env {source_env} (known: {known})")
    pin = None
    if pin_tarball and spec.model.kind == "folder":
        from smgitops.sources.tarball import pin_live_tarball

        with aws_errors(f"pinning the tarball {spec.endpoint_name} serves"):
            clients = Clients.for_region(source.settings.region)
            pin = pin_live_tarball(clients.sagemaker, clients.s3, spec, repo_root)
    elif spec.model.kind != "folder":
        with aws_errors(f"resolving the model of {spec.manifest_path}"):
            clients = Clients.for_region(source.settings.region)
            pin = resolve_sources([spec], source.settings, repo_root, clients)[
                spec.manifest_path
            ].source
    if pin is not None:
        refusal = approval_refusal(pin, target_env, target.settings.require_approval)
        if refusal:
            raise UserError(refusal)
    existing = next((e.manifest_path for e in target.endpoints if e.name == name), None)
    before = (repo_root / existing).read_text(encoding="utf-8") if existing else None
    value = pinned_model(spec.model, pin)
    base = spec.base_image
    image = None
    if base is not None:
        image = {
            "framework": base.framework,
            "version": base.version,
            "py": base.py,
            "processor": base.processor,
        }
    promotion = write_promotion(repo_root, spec, existing, target_env, value, image)
    problems = validate_paths(repo_root, [repo_root / promotion.manifest])
    if problems:
        _restore(repo_root / promotion.manifest, before)
        raise UserError(f"promoted manifest would be invalid: {problems[0]}")
    what = describe_pin(pin) if pin is not None else f"model folder models/{spec.model.name}"
    if not promotion.changed:
        err.print(f"{promotion.manifest} already deploys {what}: nothing to promote")
        return
    verb = "created" if promotion.created else "updated"
    err.print(f"{verb} {promotion.manifest}: {what}")
    if no_commit:
        return
    message = f"Promote {name} from {source_env} to {target_env}: {what}"
    sha = commit_manifest(repo_root, promotion.manifest, message)
    err.print(f"committed {sha}: push it on a branch and open a PR (plan runs there)")


def _restore(path: Path, before: str | None) -> None:
    if before is None:
        path.unlink(missing_ok=True)
    else:
        path.write_text(before, encoding="utf-8")
