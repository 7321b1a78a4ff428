"""`smgitops bootstrap`: the IAM OIDC provider and the plan/deploy roles for one environment."""

from __future__ import annotations

import re
from pathlib import Path

import click
from rich.markup import escape

from smgitops.console import err, out


def _variable_suffix(env: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", env.upper())


def _pinned_stores(repo_root: Path, desired) -> tuple[str, ...]:
    """The content stores the pins of the env's folder models name."""
    from smgitops.artifacts.needs import models_used
    from smgitops.artifacts.package import model_dir, read_pin

    pins = (read_pin(model_dir(repo_root, name), name) for name in models_used(desired))
    return tuple(sorted({pin.store for pin in pins if pin is not None}))


@click.command("bootstrap")
@click.option("--env", "env_name", required=True, help="Environment under deployments/.")
@click.option("--repo", required=True, help="GitHub repository OWNER/NAME whose workflows deploy.")
@click.option(
    "--branch",
    default="main",
    show_default=True,
    help="The default branch: its deploy.yml may assume the deploy role, its drift.yml the "
    "read-only role.",
)
@click.option(
    "--apply",
    "apply_",
    is_flag=True,
    help="Create or update the provider and roles with the current AWS credentials.",
)
def bootstrap(env_name: str, repo: str, branch: str, apply_: bool) -> None:
    """IAM for one env: GitHub's OIDC provider, a read-only plan role, a least-privilege deploy
    role, and the SageMaker execution role `executionRoleArn` names.

    Without --apply, prints the documents as JSON on stdout (review them, or feed them to your
    own IaC). With --apply, creates or updates them (idempotent) in the env's account. The
    trust policies expect the repository's OIDC subject template to include the claims repo,
    context and job_workflow_ref (printed with the command that sets it): the deploy role then
    trusts only .github/workflows/deploy.yml of BRANCH in the GitHub environment named like
    the env, the plan role only plan-aws.yml and drift.yml of BRANCH. Deploy permissions
    are scoped to `<env>-*` SageMaker names plus the endpointName of each manifest of the env;
    the deploy role reads the content stores the env's artifact pins name. The execution role
    (trusted by SageMaker) pulls the env's image, reads its tarballs, writes logs, reads
    guardrail alarms and writes data capture where a manifest asks for it. With --apply and
    GH_TOKEN set, it then reads back the GitHub settings the roles rely on (OIDC subject
    template, the environment's deployment branches, required reviewers when the env has
    requireApproval) and exits 1 when one differs.

    \b
    Example:
      smgitops bootstrap --env staging --repo acme/ml-deploy > iam-staging.json
      smgitops bootstrap --env staging --repo acme/ml-deploy --apply
    """
    from smgitops.aws import clients as aws
    from smgitops.bootstrap.policies import (
        SUBJECT_CLAIM_KEYS,
        build_bootstrap,
        render_json,
        role_arn,
    )
    from smgitops.manifest import load_env

    desired = load_env(Path.cwd(), env_name)
    settings = desired.settings
    names = tuple(endpoint.endpoint_name for endpoint in desired.endpoints)
    sources = tuple(e.model.s3_uri for e in desired.endpoints if e.model.s3_uri)
    plan = build_bootstrap(
        settings,
        repo,
        branch=branch,
        extra_endpoint_names=names,
        source_uris=sources,
        store_uris=_pinned_stores(Path.cwd(), desired),
        capture_uris=tuple(e.data_capture.s3_uri for e in desired.endpoints if e.data_capture),
        promoted_from=(
            load_env(Path.cwd(), settings.promotes_from).settings
            if settings.promotes_from
            else None
        ),
    )
    if not apply_:
        out(render_json(plan, settings.region))
        return

    from smgitops.bootstrap.iam import apply_bootstrap

    aws.check_account(settings.account_id, env_name, settings.region)

    with aws.aws_errors(f"creating IAM for {env_name}"):
        changes = apply_bootstrap(plan, aws.client("iam", settings.region), settings.region)
    for change in changes:
        err.print(f"{change.outcome:>9}  {change.kind}  {change.name}")
    suffix = _variable_suffix(env_name)
    err.print("Set these in the GitHub repository settings:")
    err.print(
        f"  repository variable SMGITOPS_PLAN_ROLE_ARN_{suffix}"
        f" = {role_arn(plan, plan.plan_role, settings.region)}"
    )
    err.print(
        f"  environment {env_name!r} variable SMGITOPS_DEPLOY_ROLE_ARN"
        f" = {role_arn(plan, plan.deploy_role, settings.region)}"
    )
    err.print(f"  environment {env_name!r} variable AWS_REGION = {settings.region}")
    err.print(f"  environment {env_name!r}: deployment branches: {branch} only")
    err.print(
        "and once per repository the OIDC subject template the trust policies expect:\n"
        f"  gh api -X PUT repos/{repo}/actions/oidc/customization/sub "
        + " ".join(f"-f 'include_claim_keys[]={key}'" for key in SUBJECT_CLAIM_KEYS)
        + " -F use_default=false"
    )
    _check_github(repo, env_name, branch, settings.require_approval)


def _check_github(repo: str, env_name: str, branch: str, approval: bool) -> None:
    """Read back the GitHub settings the roles rely on, with GH_TOKEN or GITHUB_TOKEN."""
    import os

    from smgitops.bootstrap.github import (
        DEFAULT_API_URL,
        GitHubUnreadable,
        api_fetcher,
        check_github,
    )
    from smgitops.errors import UserError

    token = os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN")
    if not token:
        err.print(
            "GitHub settings not checked: set GH_TOKEN to a token that can read the "
            "repository's Actions and environment settings, and run again"
        )
        return
    fetch = api_fetcher(os.environ.get("GITHUB_API_URL", DEFAULT_API_URL), token)
    try:
        findings = check_github(fetch, repo, env_name, branch, approval)
    except GitHubUnreadable as error:
        raise UserError(f"cannot read the GitHub settings of {repo}: {error}") from None
    for finding in findings:
        mark = "[green]ok[/]" if finding.ok else "[red]needs a fix[/]"
        err.print(f"github  {mark}  {finding.setting}: {escape(finding.detail)}")
    wrong = [f for f in findings if not f.ok]
    if wrong:
        raise UserError(
            f"{len(wrong)} GitHub setting(s) of {repo} do not match what the roles trust "
            "(see above); the IAM is in place"
        )
