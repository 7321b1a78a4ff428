"""The reconcile story for one env, as numbered steps:

1. load the env's manifests (git) into typed specs;
2. package each model locally (deterministic bytes: the sha256 names the S3 key) and compute
   each image's content tag: now every resource name is known without touching AWS;
3. read live state (bounded calls, in parallel) and plan (pure);
then, for apply:
4. publish missing model tarballs, check the images exist;
5. apply the plan endpoint by endpoint (bounded pool);
6. garbage-collect superseded models/configs of endpoints that are ready;
7. record the inventory of endpoints we manage (for prune).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from smgitops import garbage
from smgitops.apply import EndpointResult, Outcome, Progress, apply_plan
from smgitops.artifacts.image import image_exists, image_tag, image_uri
from smgitops.artifacts.needs import models_used
from smgitops.artifacts.package import ModelPackage, package_model
from smgitops.artifacts.publish import model_data_key, publish_model, s3_uri
from smgitops.aws import client
from smgitops.baseimages.artifact import with_base_image
from smgitops.errors import UserError
from smgitops.inventory import write_inventory
from smgitops.live import LiveState
from smgitops.manifest import load_env
from smgitops.plan import Plan, plan
from smgitops.reader import Clients, read_live
from smgitops.resources import DesiredEndpoint, ModelArtifact, desired_endpoint
from smgitops.sources.publish import publish_sources
from smgitops.sources.resolve import resolve_sources
from smgitops.spec import EnvSettings

BUILD_DIR = Path(".smgitops") / "build"


@dataclass(frozen=True)
class Prepared:
    settings: EnvSettings
    desired: tuple[DesiredEndpoint, ...]
    packages: tuple[ModelPackage, ...]


@dataclass(frozen=True)
class Planned:
    prepared: Prepared
    live: LiveState
    plan: Plan


def current_commit(repo_root: Path) -> str:
    """The commit being applied (CI's GITHUB_SHA, else git), for the smgitops:commit tag."""
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"][:12]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=repo_root,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def prepare(repo_root: Path, env: str, recorded: Mapping[str, str] | None = None) -> Prepared:
    """Steps 1-2: desired endpoints with every name resolved, from git alone (no AWS), except
    S3 and Model Registry sources, pinned with read-only calls (`recorded`: manifest ->
    model package ARN from a saved plan, deployed instead of resolving again)."""
    desired_env = load_env(repo_root, env)
    settings = desired_env.settings
    out_dir = repo_root / BUILD_DIR / env
    out_dir.mkdir(parents=True, exist_ok=True)
    packages = tuple(package_model(repo_root, name, out_dir) for name in models_used(desired_env))
    artifacts = {
        p.name: ModelArtifact(
            model=p.name,
            sha256=p.sha256,
            model_data_url=s3_uri(
                settings.artifact_bucket, model_data_key(settings, p.name, p.sha256)
            ),
            image_uri=image_uri(settings, image_tag(repo_root, p.name)),
        )
        for p in packages
    }
    sourced = [e for e in desired_env.endpoints if e.model.kind != "folder"]
    pinned = (
        resolve_sources(sourced, settings, repo_root, Clients.for_region(settings.region), recorded)
        if sourced
        else {}
    )
    desired = tuple(
        desired_endpoint(
            e,
            settings,
            with_base_image(
                artifacts[e.model.name] if e.model.kind == "folder" else pinned[e.manifest_path],
                e,
                settings,
                repo_root,
            ),
        )
        for e in desired_env.endpoints
    )
    return Prepared(settings, desired, packages)


def make_plan(repo_root: Path, env: str, clients: Clients | None = None) -> Planned:
    """Steps 1-3."""
    return plan_prepared(prepare(repo_root, env), clients)


def plan_prepared(prepared: Prepared, clients: Clients | None = None) -> Planned:
    """Step 3 (apply runs it after taking the env lock, so the plan reads settled state)."""
    settings = prepared.settings
    clients = clients or Clients.for_region(settings.region)
    live = read_live(clients, settings, prepared.desired)
    result = plan(prepared.desired, live, env=settings.name, prune=settings.prune)
    return Planned(prepared, live, result)


def _publish_and_check_images(
    planned: Planned, clients: Clients, repo_root: Path, progress: Progress
) -> None:
    """Step 4, only for models that changing endpoints use."""
    changing = {c.desired.artifact.model for c in planned.plan.changes if c.is_change and c.desired}
    settings = planned.prepared.settings
    ecr = client("ecr", settings.region)
    for package in planned.prepared.packages:
        if package.name not in changing:
            continue
        published = publish_model(clients.s3, settings, package)
        progress(
            package.name,
            "uploaded model.tar.gz" if published.uploaded else "model.tar.gz already in S3",
        )
    publish_sources(planned.plan, clients, settings, repo_root, progress)
    # The images changing endpoints serve with, where the repo builds them (per base image).
    built = {
        c.desired.model.image_uri
        for c in planned.plan.changes
        if c.is_change and c.desired and c.desired.spec.model.has_folder
    }
    for uri in sorted(built):
        if not image_exists(ecr, settings, uri.rsplit(":", 1)[1]):
            raise UserError(
                f"image {uri} is missing in ECR: "
                f"run `smgitops image push --env {settings.name}` first"
            )


def apply_planned(
    planned: Planned,
    repo_root: Path,
    progress: Progress,
    clients: Clients | None = None,
) -> tuple[tuple[EndpointResult, ...], tuple[str, ...]]:
    """Steps 4-7. Returns per-endpoint results and what garbage collection deleted."""
    settings = planned.prepared.settings
    clients = clients or Clients.for_region(settings.region)
    if planned.plan.errors:
        raise UserError(planned.plan.errors[0])
    _publish_and_check_images(planned, clients, repo_root, progress)
    results = apply_plan(
        planned.plan, clients, settings, commit=current_commit(repo_root), progress=progress
    )
    collected = _collect_garbage(planned, clients, results)
    # Everything planned stays remembered (kept orphans, failed deletes) except what is gone.
    deleted = {r.endpoint for r in results if r.outcome is Outcome.DELETED}
    managed = {c.endpoint for c in planned.plan.changes} - deleted
    if managed != set(planned.live.inventory):
        write_inventory(clients.s3, settings, managed)
    return results, collected


def _collect_garbage(
    planned: Planned, clients: Clients, results: tuple[EndpointResult, ...]
) -> tuple[str, ...]:
    """Step 6, only for endpoints that are ready (a failed one keeps everything for a retry)."""
    ready = {r.endpoint: r for r in results if r.ready}
    if not ready:
        return ()
    configs, models = garbage.list_configs_and_models(clients.sagemaker)
    collected: list[str] = []
    for name, result in sorted(ready.items()):
        collected += garbage.collect(
            clients.sagemaker,
            name,
            planned.prepared.settings.name,
            configs,
            models,
            endpoint_deleted=result.outcome is Outcome.DELETED,
        )
    return tuple(collected)
