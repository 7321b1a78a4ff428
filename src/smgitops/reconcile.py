"""The reconcile story for one env, as numbered steps:

1. load the env's manifests (git) into typed specs;
2. compute each folder model's tree digest (its code and its committed artifact pin: no
   weights needed, nothing packaged) and each image's content tag, pinned to the digest ECR
   holds for it: now every resource name is known;
3. read live state (bounded calls, in parallel) and plan (pure); for `plan`, its preflight:
   the instance quotas the changes need (Service Quotas, read only when a change needs more
   instances) and their monthly on-demand cost (the packaged price snapshot);
then, for apply:
4. package and publish the tarballs changing endpoints need (pinned weights fetched from the
   content store and verified when they are not in the local cache), check the images exist;
5. apply the plan endpoint by endpoint (bounded pool);
6. garbage-collect superseded models/configs of endpoints that are ready;
7. record the inventory of endpoints we manage (for prune) and the apply's outcomes (history).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from smgitops.artifacts.base_image import with_base_image
from smgitops.artifacts.image import (
    digest_exists,
    image_tag,
    is_pinned,
    pinned_uri,
    repository_digests,
)
from smgitops.artifacts.needs import models_used
from smgitops.artifacts.package import MODELS_DIR, ModelTree, model_tree, package_tree
from smgitops.artifacts.publish import PublishedModel, model_data_key, publish_tree, s3_uri
from smgitops.artifacts.store import fetcher
from smgitops.artifacts.tree_diff import file_changes, tree_at_commit
from smgitops.aws import garbage
from smgitops.aws.apply import (
    ApplyInterrupted,
    EndpointResult,
    Outcome,
    Progress,
    apply_plan,
)
from smgitops.aws.clients import check_account, client
from smgitops.aws.history import record_apply
from smgitops.aws.inventory import write_inventory
from smgitops.aws.preflight import count_account, quotas_client, read_quotas
from smgitops.aws.reader import Clients, read_live
from smgitops.core import naming
from smgitops.core.desired import EndpointSpec, EnvSettings
from smgitops.core.live import LiveState
from smgitops.core.naming import image_uri
from smgitops.core.pins import TarballPin
from smgitops.core.plan import Action, EndpointChange, Plan, plan
from smgitops.core.preflight import Quotas, count_in_service, needed_types, preflight
from smgitops.core.resources import DesiredEndpoint, ModelArtifact, desired_endpoint
from smgitops.errors import UserError
from smgitops.manifest import load_env
from smgitops.manifest.model_folder import REQUIREMENTS
from smgitops.manifest.model_imports import missing_imports
from smgitops.prices.catalog import load_snapshot
from smgitops.sources.publish import publish_sources
from smgitops.sources.resolve import resolve_sources

BUILD_DIR = Path(".smgitops") / "build"


@dataclass(frozen=True)
class Prepared:
    settings: EnvSettings
    desired: tuple[DesiredEndpoint, ...]
    trees: tuple[ModelTree, ...]
    repo_root: Path | None = None


@dataclass(frozen=True)
class Planned:
    prepared: Prepared
    live: LiveState
    plan: Plan


# What a deploy is built from: a change under these, not committed, is not in the commit.
DEPLOYED_PATHS = ("deployments", "models", "requirements", "container", "src", "pyproject.toml")
DIRTY_SUFFIX = "-dirty"


def _git(repo_root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=repo_root, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout


def uncommitted(repo_root: Path) -> tuple[str, ...]:
    """Files under DEPLOYED_PATHS that differ from HEAD or are new (git-ignored ones, such as
    trained weights the pins name, excepted); () outside a git checkout."""
    status = _git(
        repo_root, "status", "--porcelain", "--untracked-files=all", "--", *DEPLOYED_PATHS
    )
    return tuple(line[3:] for line in (status or "").splitlines() if len(line) > 3)


def current_commit(repo_root: Path) -> str:
    """The commit being applied (CI's GITHUB_SHA, else git), for the smgitops:commit tag; with
    DIRTY_SUFFIX when the working tree holds changes that commit does not (`uncommitted`), so
    `status` and the next plan never take them for that commit's."""
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"][:12]
    head = (_git(repo_root, "rev-parse", "--short=12", "HEAD") or "").strip()
    if not head:
        return "unknown"
    return head + DIRTY_SUFFIX if uncommitted(repo_root) else head


def prepare(repo_root: Path, env: str, recorded: Mapping[str, str] | None = None) -> Prepared:
    """Steps 1-2: desired endpoints with every name resolved: from git, after checking the
    credentials are the env's account, plus read-only calls that pin what git names by tag
    or by key: each serving image the repo builds to the digest ECR holds for its content tag
    (one not built yet keeps its tag), S3 and Model Registry sources to their exact object or
    version (`recorded`: manifest -> model package ARN from a saved plan, deployed instead of
    resolving again)."""
    desired_env = load_env(repo_root, env)
    settings = desired_env.settings
    check_account(settings.account_id, env, settings.region)
    trees = tuple(model_tree(repo_root, name) for name in models_used(desired_env))
    artifacts = {
        t.name: ModelArtifact(
            model=t.name,
            sha256=t.digest,
            model_data_url=s3_uri(
                settings.artifact_bucket, model_data_key(settings, t.name, t.digest)
            ),
            image_uri=image_uri(settings, image_tag(repo_root, t.name)),
        )
        for t in trees
    }
    sourced = [e for e in desired_env.endpoints if e.model.kind != "folder"]
    pinned = {}
    if sourced:
        pinned = resolve_sources(
            sourced, settings, repo_root, Clients.for_region(settings.region), recorded
        )
    digests = repository_digests(client("ecr", settings.region), settings)

    def served(endpoint: EndpointSpec) -> ModelArtifact:
        artifact = (
            artifacts[endpoint.model.name]
            if endpoint.model.kind == "folder"
            else pinned[endpoint.manifest_path]
        )
        artifact = with_base_image(artifact, endpoint, settings, repo_root)
        return replace(artifact, image_uri=pinned_uri(artifact.image_uri, settings, digests))

    desired = tuple(desired_endpoint(e, settings, served(e)) for e in desired_env.endpoints)
    return Prepared(settings, desired, trees, repo_root)


def make_plan(repo_root: Path, env: str, clients: Clients | None = None) -> Planned:
    """Steps 1-3."""
    return plan_prepared(prepare(repo_root, env), clients)


def plan_prepared(prepared: Prepared, clients: Clients | None = None) -> Planned:
    """Step 3 (apply runs it after taking the env lock, so the plan reads settled state)."""
    settings = prepared.settings
    clients = clients or Clients.for_region(settings.region)
    live = read_live(clients, settings, prepared.desired)
    result = plan(prepared.desired, live, env=settings.name, prune=settings.prune)
    result = _with_import_warnings(_with_file_changes(result, prepared), prepared)
    return Planned(prepared, live, result)


def with_preflight(planned: Planned) -> Planned:
    """Step 3d (`plan` only): each change's instance quotas and monthly cost. Quotas and the
    account's instances in service are read only when some change needs more instances than
    its endpoint holds; a role that may not read them gets "unknown" or this env's count."""
    settings = planned.prepared.settings
    desired = planned.prepared.desired
    needed = needed_types(planned.plan, planned.live)
    if needed:
        quotas = read_quotas(quotas_client(settings.region), needed)
        in_service = count_account(client("sagemaker", settings.region), planned.live, desired)
    else:
        quotas, in_service = Quotas(), count_in_service(planned.live, desired)
    checked = preflight(
        planned.plan,
        planned.live,
        region=settings.region,
        quotas=quotas,
        in_service=in_service,
        prices=load_snapshot(),
    )
    return replace(planned, plan=replace(planned.plan, preflight=checked))


def _with_import_warnings(result: Plan, prepared: Prepared) -> Plan:
    """Step 3c: each change that deploys a folder model whose code imports what its serving
    image does not install is warned, as `validate` warns (the endpoint would fail its ping)."""
    if prepared.repo_root is None:
        return result
    repo_root = prepared.repo_root
    models = {t.name for t in prepared.trees}
    found: dict[str, tuple[str, ...]] = {}
    changes = []
    for change in result.changes:
        artifact = change.desired.artifact if change.desired else None
        # On a DLC base (spec.image), the container's own packages serve the model.
        model = artifact.model if artifact and artifact.base_image is None else None
        if change.is_change and change.action is not Action.DELETE and model in models:
            if model not in found:
                requirements = f"{MODELS_DIR}/{model}/{REQUIREMENTS}"
                found[model] = tuple(
                    f"{m.file}:{m.line}:{m.column}: {m.message(requirements)}"
                    for m in missing_imports(repo_root, repo_root / MODELS_DIR / model)
                )
            change = replace(change, warnings=(*change.warnings, *found[model]))
        changes.append(change)
    return replace(result, changes=tuple(changes))


def _with_file_changes(result: Plan, prepared: Prepared) -> Plan:
    """Step 3b: for each new tarball of a folder model, the files it changes (from git)."""
    trees = {t.name: t for t in prepared.trees}
    changes = []
    for change in result.changes:
        data = next((d for d in change.diffs if d.path == "model.data"), None)
        tree = trees.get(change.desired.artifact.model) if change.desired else None
        if data is not None and tree is not None and prepared.repo_root is not None:
            change = _files_of(change, tree, data.before or "", prepared.repo_root)
        changes.append(change)
    return replace(result, changes=tuple(changes))


def _files_of(
    change: EndpointChange, tree: ModelTree, live_url: str, repo_root: Path
) -> EndpointChange:
    live_tree = naming.tarball_tree(live_url)
    if live_tree is None or change.live_commit in (None, "unknown"):
        return replace(change, files_unknown="no commit is recorded for the live tarball")
    if change.live_commit.endswith(DIRTY_SUFFIX):
        base = change.live_commit.removesuffix(DIRTY_SUFFIX)
        return replace(
            change,
            files_unknown=f"the live tarball was applied from uncommitted changes on {base}",
        )
    before = tree_at_commit(repo_root, change.live_commit, tree.name)
    if isinstance(before, str):
        return replace(change, files_unknown=before)
    if before.digest != live_tree:  # e.g. an update of that commit was rolled back
        return replace(
            change,
            files_unknown=f"the live tarball is not the one of commit {change.live_commit}",
        )
    return replace(change, files=file_changes(before, tree))


def _publish_and_check_images(
    planned: Planned, clients: Clients, repo_root: Path, progress: Progress
) -> None:
    """Step 4, only for models that changing endpoints use."""
    changing = {c.desired.artifact.model for c in planned.plan.changes if c.is_change and c.desired}
    settings = planned.prepared.settings
    out_dir = repo_root / BUILD_DIR / settings.name
    fetch = fetcher(clients.s3, repo_root, lambda message: progress("content store", message))
    # First, so an apply that cannot run uploads nothing: the images changing endpoints serve
    # with, where the repo builds them (per base image). prepare pinned each one ECR holds to
    # its digest, so a tag form is an image not built.
    for uri in sorted(
        {
            c.desired.model.image_uri
            for c in planned.plan.changes
            if c.is_change and c.desired and c.desired.spec.model.has_folder
        }
    ):
        if not is_pinned(uri):
            raise UserError(
                f"image {uri} is missing in ECR: "
                f"run `smgitops image push --env {settings.name}` first"
            )

    for tree in planned.prepared.trees:
        if tree.name not in changing:
            continue
        published = publish_tree(
            clients.s3,
            settings,
            tree.name,
            tree.digest,
            lambda tree=tree: package_tree(tree, out_dir, fetch),
        )
        progress(tree.name, _published_message(published))
    publish_sources(planned.plan, clients, settings, repo_root, progress)
    # Images a manifest pins by digest (a tarball promoted from another env) are copied.
    ecr = client("ecr", settings.region)
    for pin in sorted(
        {
            c.desired.artifact.source
            for c in planned.plan.changes
            if c.is_change and c.desired and isinstance(c.desired.artifact.source, TarballPin)
        },
        key=lambda p: (p.folder, p.image_digest),
    ):
        if not digest_exists(ecr, settings, pin.image_digest):
            raise UserError(
                f"image {pin.image_digest} of models/{pin.folder} is missing in ECR "
                f"{settings.ecr_repository}: run `smgitops image copy --env {settings.name}` "
                "first"
            )


def _published_message(published: PublishedModel) -> str:
    if published.repaired:
        return f"replaced the altered model.tar.gz at {published.s3_uri}"
    if published.uploaded:
        return "uploaded model.tar.gz"
    return "model.tar.gz already in S3"


def apply_planned(
    planned: Planned,
    repo_root: Path,
    progress: Progress,
    clients: Clients | None = None,
    commit: str | None = None,
) -> tuple[tuple[EndpointResult, ...], tuple[str, ...]]:
    """Steps 4-7. Returns per-endpoint results and what garbage collection deleted. `commit`:
    what the endpoints record (default: `current_commit`, read once by the caller so the lock
    holder, the warning and the tags agree)."""
    settings = planned.prepared.settings
    clients = clients or Clients.for_region(settings.region)
    if planned.plan.errors:
        raise UserError(planned.plan.errors[0])
    _publish_and_check_images(planned, clients, repo_root, progress)
    commit = commit or current_commit(repo_root)
    try:
        results = apply_plan(planned.plan, clients, settings, commit=commit, progress=progress)
    except ApplyInterrupted as interrupted:
        _record(clients, settings, commit, interrupted.results)  # Ctrl-C is history too
        raise
    _record(clients, settings, commit, results)
    collected = _collect_garbage(planned, clients, results)
    # Everything planned stays remembered (kept orphans, failed deletes) except what is gone.
    deleted = {r.endpoint for r in results if r.outcome is Outcome.DELETED}
    managed = {c.endpoint for c in planned.plan.changes} - deleted
    if managed != set(planned.live.inventory):
        write_inventory(clients.s3, settings, managed)
    return results, collected


def _record(
    clients: Clients, settings: EnvSettings, commit: str, results: tuple[EndpointResult, ...]
) -> None:
    """What changed, and how it ended, for `smgitops status` and the next plan (unchanged
    endpoints are not news)."""
    record_apply(
        clients.s3,
        settings,
        commit,
        [(r.endpoint, r.outcome.value, r.message) for r in results if r.changed],
    )


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
