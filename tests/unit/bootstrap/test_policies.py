"""The IAM documents `smgitops bootstrap` promises: who may assume each role, and what it may do."""

from __future__ import annotations

import fnmatch
import json
from dataclasses import replace

import pytest

from smgitops.bootstrap.policies import (
    build_bootstrap,
    github_oidc_provider,
    render_json,
    sagemaker_arns,
)
from smgitops.core.desired import EnvSettings
from smgitops.errors import ConfigError
from testkit.values import env_settings

ACCOUNT = "123456789012"
REPO = "acme/ml-deploy"
EXEC_ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution"
SM = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}"


def settings(name: str = "staging", region: str = "us-east-1") -> EnvSettings:
    return env_settings(
        name=name,
        region=region,
        execution_role_arn=EXEC_ROLE,
        artifact_bucket="acme-ml-artifacts",
        artifact_prefix="smgitops",
    )


def allows(policy: dict, action: str, resource: str) -> bool:
    """Allow-only evaluation by wildcard match (IAM matches actions case-insensitively)."""
    for statement in policy["Statement"]:
        actions = statement["Action"]
        resources = statement["Resource"]
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions) and any(
            fnmatch.fnmatchcase(resource, r) for r in resources
        ):
            return True
    return False


@pytest.fixture
def staging():
    return build_bootstrap(settings(), REPO)


def test_provider_is_githubs_issuer_for_sts():
    provider = github_oidc_provider()
    assert provider.url == "https://token.actions.githubusercontent.com"
    assert provider.audiences == ("sts.amazonaws.com",)
    assert provider.arn(ACCOUNT) == (
        f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    )


def _only_statement(document):
    (statement,) = document["Statement"]
    return statement


def _token_sub(claims: dict[str, str]) -> str:
    """The `sub` GitHub issues for these claims under the subject template bootstrap asks for
    (repo, context, job_workflow_ref), built the way GitHub builds it."""
    if claims.get("environment"):
        context = f"environment:{claims['environment']}"
    elif claims["event_name"] in ("pull_request", "pull_request_target"):
        context = "pull_request"
    else:
        context = f"ref:{claims['ref']}"
    return f"repo:{claims['repository']}:{context}:job_workflow_ref:{claims['job_workflow_ref']}"


def _iam_matches(pattern: str, value: str) -> bool:
    # StringLike: `*` any run of characters, `?` one; StringEquals: exact. Both case-sensitive.
    return fnmatch.fnmatchcase(value, pattern)


def trusts(role, claims: dict[str, str], audience: str = "sts.amazonaws.com") -> bool:
    """IAM's evaluation of the role's trust conditions for a GitHub token with `claims`."""
    condition = _only_statement(role.trust_document)["Condition"]
    sub, aud = _token_sub(claims), "token.actions.githubusercontent.com"
    equals, like = condition.get("StringEquals", {}), condition.get("StringLike", {})
    if equals.get(f"{aud}:aud") != audience:
        return False
    allowed_exact = equals.get(f"{aud}:sub", [])
    allowed_like = like.get(f"{aud}:sub", [])
    allowed_exact = [allowed_exact] if isinstance(allowed_exact, str) else allowed_exact
    allowed_like = [allowed_like] if isinstance(allowed_like, str) else allowed_like
    return sub in allowed_exact or any(_iam_matches(p, sub) for p in allowed_like)


def _workflow(name: str, ref: str, repo: str = REPO) -> str:
    return f"{repo}/.github/workflows/{name}@{ref}"


MAIN = "refs/heads/main"


def _token(
    workflow: str, ref: str = MAIN, event: str = "push", environment: str = "", repo: str = REPO
) -> dict[str, str]:
    """GitHub's claims for a job of `workflow` run from `ref` (the workflow file of that ref)."""
    return {
        "repository": repo,
        "environment": environment,
        "event_name": event,
        "ref": ref,
        "job_workflow_ref": _workflow(workflow, ref, repo),
    }


PR = "refs/pull/7/merge"
TOKENS = {
    "main's deploy.yml in environment staging": _token("deploy.yml", environment="staging"),
    "deploy.yml pushed on a branch, environment staging": _token(
        "deploy.yml", "refs/heads/feature", environment="staging"
    ),
    "workflow_dispatch of deploy.yml from another ref": _token(
        "deploy.yml", "refs/heads/hotfix", "workflow_dispatch", environment="staging"
    ),
    "another workflow on main naming environment staging": _token(
        "sneaky.yml", environment="staging"
    ),
    "main's deploy.yml in environment prod": _token("deploy.yml", environment="prod"),
    "a pull request's plan.yml": _token("plan.yml", PR, "pull_request"),
    "a pull request's edited copy of plan-aws.yml": _token("plan-aws.yml", PR, "pull_request"),
    "main's plan-aws.yml after a PR's checks": _token("plan-aws.yml", event="workflow_run"),
    "main's drift.yml on schedule": _token("drift.yml", event="schedule"),
    "a pull request's deploy.yml": _token("deploy.yml", PR, "pull_request"),
    "main's deploy.yml of a fork": _token(
        "deploy.yml", environment="staging", repo="evil/ml-deploy"
    ),
}


def test_exactly_mains_deploy_workflow_in_its_environment_may_assume_the_deploy_role(staging):
    trusted = {name for name, claims in TOKENS.items() if trusts(staging.deploy_role, claims)}
    assert trusted == {"main's deploy.yml in environment staging"}


def test_only_mains_plan_aws_and_drift_workflows_may_assume_the_plan_role(staging):
    trusted = {name for name, claims in TOKENS.items() if trusts(staging.plan_role, claims)}
    assert trusted == {"main's plan-aws.yml after a PR's checks", "main's drift.yml on schedule"}


def test_a_token_for_another_audience_is_never_trusted(staging):
    claims = TOKENS["main's deploy.yml in environment staging"]
    assert not trusts(staging.deploy_role, claims, audience="https://github.com/acme")


def test_bootstrap_names_the_subject_template_its_trust_policies_expect(staging):
    document = json.loads(render_json(staging, "us-east-1"))
    assert document["github_oidc_subject_customization"] == {
        "use_default": False,
        "include_claim_keys": ["repo", "context", "job_workflow_ref"],
    }


def test_roles_are_named_per_env():
    prod = build_bootstrap(settings("prod"), REPO)
    assert [role.name for role in prod.roles] == [
        "smgitops-prod-plan",
        "smgitops-prod-deploy",
        "sagemaker-execution",  # the role executionRoleArn names
    ]


def test_plan_policy_can_read_but_never_write(staging):
    policy = staging.plan_role.policy_document
    assert allows(policy, "sagemaker:DescribeEndpoint", f"{SM}:endpoint/staging-churn")
    assert allows(policy, "sagemaker:ListTags", f"{SM}:endpoint/staging-churn")
    assert allows(policy, "s3:GetObject", "arn:aws:s3:::acme-ml-artifacts/smgitops/m/x.tar.gz")
    assert allows(
        policy, "ecr:DescribeImages", f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/smgitops-serving"
    )
    for action in (
        "sagemaker:CreateModel",
        "sagemaker:UpdateEndpoint",
        "sagemaker:DeleteEndpoint",
        "sagemaker:AddTags",
        "sagemaker:InvokeEndpoint",
        "s3:PutObject",
        "ecr:PutImage",
        "iam:PassRole",
        "application-autoscaling:RegisterScalableTarget",
    ):
        assert not allows(policy, action, "*"), action
        assert not allows(policy, action, f"{SM}:endpoint/staging-churn"), action
    verbs = {a.split(":")[1].rstrip("*") for s in policy["Statement"] for a in s["Action"]}
    assert all(v.startswith(("Describe", "List", "Get")) for v in verbs), verbs


def test_deploy_policy_allows_the_whole_apply_on_the_envs_names(staging):
    policy = staging.deploy_role.policy_document
    for action, resource in (
        ("sagemaker:CreateModel", f"{SM}:model/staging-churn-0123456789"),
        ("sagemaker:CreateEndpointConfig", f"{SM}:endpoint-config/staging-churn-0123456789"),
        ("sagemaker:CreateEndpoint", f"{SM}:endpoint/staging-churn"),
        # UpdateEndpoint is authorised on the endpoint AND on the new config.
        ("sagemaker:UpdateEndpoint", f"{SM}:endpoint/staging-churn"),
        ("sagemaker:UpdateEndpoint", f"{SM}:endpoint-config/staging-churn-abcdef0123"),
        ("sagemaker:UpdateEndpointWeightsAndCapacities", f"{SM}:endpoint/staging-churn"),
        ("sagemaker:AddTags", f"{SM}:endpoint/staging-churn"),
        ("sagemaker:DeleteEndpointConfig", f"{SM}:endpoint-config/staging-churn-0123456789"),
        ("sagemaker:DeleteModel", f"{SM}:model/staging-churn-0123456789"),
        ("sagemaker:InvokeEndpoint", f"{SM}:endpoint/staging-churn"),
        ("sagemaker:DescribeEndpoint", f"{SM}:endpoint/staging-churn"),
        ("sagemaker:ListEndpoints", "*"),
        ("s3:PutObject", "arn:aws:s3:::acme-ml-artifacts/smgitops/models/churn/abc.tar.gz"),
        ("s3:CreateBucket", "arn:aws:s3:::acme-ml-artifacts"),
        # releasing the env's apply lock
        ("s3:DeleteObject", "arn:aws:s3:::acme-ml-artifacts/smgitops/locks/staging.json"),
        ("ecr:PutImage", f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/smgitops-serving"),
        ("ecr:CreateRepository", f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/smgitops-serving"),
        ("ecr:GetAuthorizationToken", "*"),
        # Scalable targets by ARN pattern (their tag is checked on the emulator, with IAM on).
        (
            "application-autoscaling:PutScalingPolicy",
            f"arn:aws:application-autoscaling:us-east-1:{ACCOUNT}:scalable-target/0abc",
        ),
        ("application-autoscaling:DescribeScalableTargets", "*"),
        ("cloudwatch:DescribeAlarms", "*"),
        ("iam:PassRole", EXEC_ROLE),
    ):
        assert allows(policy, action, resource), (action, resource)


def test_deploy_policy_denies_other_envs_other_buckets_and_other_roles(staging):
    policy = staging.deploy_role.policy_document
    for action, resource in (
        ("sagemaker:CreateModel", f"{SM}:model/prod-churn-0123456789"),
        ("sagemaker:UpdateEndpoint", f"{SM}:endpoint/prod-churn"),
        ("sagemaker:DeleteEndpoint", f"{SM}:endpoint/prod-churn"),
        ("sagemaker:DeleteEndpoint", f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:endpoint/staging-x"),
        ("sagemaker:CreateTrainingJob", f"{SM}:training-job/staging-x"),
        ("s3:PutObject", "arn:aws:s3:::acme-ml-artifacts/other/x"),
        ("s3:PutObject", "arn:aws:s3:::someone-else/smgitops/x"),
        ("s3:DeleteObject", "arn:aws:s3:::acme-ml-artifacts/smgitops/x"),
        ("s3:DeleteObject", "arn:aws:s3:::acme-ml-artifacts/smgitops/models/churn/abc.tar.gz"),
        ("s3:DeleteObject", "arn:aws:s3:::acme-ml-artifacts/smgitops/locks/prod.json"),
        ("ecr:PutImage", f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/other"),
        ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/admin"),
        ("iam:CreateRole", "*"),
    ):
        assert not allows(policy, action, resource), (action, resource)


def test_pass_role_only_to_sagemaker(staging):
    (statement,) = [
        s for s in staging.deploy_role.policy_document["Statement"] if "iam:PassRole" in s["Action"]
    ]
    assert statement["Resource"] == [EXEC_ROLE]
    assert statement["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }


def test_wildcard_resources_only_where_iam_cannot_scope_them(staging):
    for role in staging.roles:
        for statement in role.policy_document["Statement"]:
            if "*" in statement["Resource"]:
                for action in statement["Action"]:
                    assert action.startswith(
                        (
                            "sagemaker:List",
                            "ecr:GetAuthorizationToken",
                            "application-autoscaling:",
                            "cloudwatch:DescribeAlarms",
                            "servicequotas:ListServiceQuotas",
                        )
                    ), (role.name, action)


def test_the_plan_role_may_read_the_quotas_its_preflight_checks(staging):
    plan_role = next(r for r in staging.roles if "plan" in r.name)
    actions = {a for s in plan_role.policy_document["Statement"] for a in s["Action"]}
    assert "servicequotas:ListServiceQuotas" in actions


def test_manifest_endpoint_names_outside_the_env_prefix_are_added_exactly():
    arns = sagemaker_arns(settings(), ("Fraud-API", "staging-churn"))
    assert f"{SM}:endpoint/fraud-api" in arns
    assert f"{SM}:model/fraud-api-*" in arns
    assert f"{SM}:endpoint-config/fraud-api-*" in arns
    assert f"{SM}:endpoint/fraud-api*" not in arns
    assert not any("staging-churn" in arn for arn in arns)  # already under staging-*


def test_china_regions_use_their_partition():
    boot = build_bootstrap(settings(region="cn-north-1"), REPO)
    text = render_json(boot, "cn-north-1")
    assert "arn:aws-cn:iam::" in text
    assert "arn:aws-cn:sagemaker:cn-north-1:" in text
    assert "arn:aws:" not in text.replace(EXEC_ROLE, "")  # the role ARN is taken as given


def test_rendered_json_is_stable_and_complete(staging):
    first = render_json(staging, "us-east-1")
    assert first == render_json(build_bootstrap(settings(), REPO), "us-east-1")
    doc = json.loads(first)
    assert doc["oidc_provider"]["client_ids"] == ["sts.amazonaws.com"]
    assert [r["arn"] for r in doc["roles"]] == [
        f"arn:aws:iam::{ACCOUNT}:role/smgitops-staging-plan",
        f"arn:aws:iam::{ACCOUNT}:role/smgitops-staging-deploy",
        EXEC_ROLE,
    ]


@pytest.mark.parametrize("repo", ["acme", "acme/ml/deploy", "acme/ml deploy", "*/x", ""])
def test_a_malformed_repo_is_a_config_error(repo):
    with pytest.raises(ConfigError, match="OWNER/NAME"):
        build_bootstrap(settings(), repo)


def test_s3_model_sources_of_the_manifests_are_readable_by_both_roles_and_nothing_more():
    source = "s3://training-outputs/churn/run-7/model.tar.gz"
    bootstrap = build_bootstrap(settings(), REPO, source_uris=(source,))
    exact = "arn:aws:s3:::training-outputs/churn/run-7/model.tar.gz"
    for role in (bootstrap.plan_role, bootstrap.deploy_role):
        policy = role.policy_document
        assert allows(policy, "s3:GetObject", exact)
        assert allows(policy, "s3:GetObjectVersion", exact)
        assert not allows(policy, "s3:GetObject", "arn:aws:s3:::training-outputs/other.tar.gz")
        assert not allows(policy, "s3:PutObject", exact)


def test_no_source_statement_without_s3_sources(staging):
    sids = {s["Sid"] for s in staging.deploy_role.policy_document["Statement"]}
    assert "ModelSourcesRead" not in sids


def test_only_the_deploy_role_reads_the_pinned_blobs_of_the_content_store():
    built = build_bootstrap(settings(), REPO, store_uris=("s3://acme-ml-store/weights/",))
    blob = "arn:aws:s3:::acme-ml-store/weights/sha256/" + "ab" * 32
    deploy, plan = built.deploy_role.policy_document, built.plan_role.policy_document
    assert allows(deploy, "s3:GetObject", blob)
    assert not allows(deploy, "s3:PutObject", blob)  # pins are written by people, not by CI
    assert not allows(deploy, "s3:GetObject", "arn:aws:s3:::acme-ml-store/other/secret")
    assert not allows(plan, "s3:GetObject", blob)


def test_the_execution_role_is_sagemakers_and_reads_only_its_envs_image_and_data():
    built = build_bootstrap(
        settings(), REPO, capture_uris=("s3://acme-ml-artifacts/capture/staging-churn/",)
    )
    role = built.execution_role
    (trust,) = role.trust_document["Statement"]
    assert (trust["Principal"], trust["Action"]) == (
        {"Service": "sagemaker.amazonaws.com"},
        "sts:AssumeRole",
    )
    policy = role.policy_document
    repository = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/smgitops-serving"
    assert allows(policy, "ecr:BatchGetImage", repository)
    assert not allows(policy, "ecr:PutImage", repository)
    assert allows(policy, "s3:GetObject", "arn:aws:s3:::acme-ml-artifacts/smgitops/models/x")
    assert not allows(policy, "s3:GetObject", "arn:aws:s3:::acme-ml-artifacts/other/x")
    assert not allows(policy, "s3:PutObject", "arn:aws:s3:::acme-ml-artifacts/smgitops/models/x")
    assert allows(policy, "s3:PutObject", "arn:aws:s3:::acme-ml-artifacts/capture/staging-churn/x")
    assert allows(policy, "cloudwatch:DescribeAlarms", "*")
    assert allows(
        policy,
        "logs:PutLogEvents",
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/sagemaker/Endpoints/staging-churn"
        ":log-stream:primary/i-1",
    )
    assert not allows(policy, "sagemaker:CreateModel", "*")


KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_roles_use_the_env_kms_key_only_when_the_env_names_one():
    plain = build_bootstrap(settings(), REPO)
    keyed = build_bootstrap(replace(settings(), kms_key_id=KMS_KEY), REPO)

    for bootstrap in (plain, keyed):
        for role in (bootstrap.plan_role, bootstrap.deploy_role, bootstrap.execution_role):
            granted = allows(role.policy_document, "kms:Decrypt", KMS_KEY)
            assert granted == (bootstrap is keyed), role.name
    deploy = keyed.deploy_role.policy_document
    assert allows(deploy, "kms:GenerateDataKey", KMS_KEY)
    (grant,) = [s for s in deploy["Statement"] if "kms:CreateGrant" in s["Action"]]
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert not allows(keyed.plan_role.policy_document, "kms:GenerateDataKey", KMS_KEY)
    assert not allows(deploy, "kms:Decrypt", KMS_KEY.replace("1234abcd", "9999abcd"))
