"""IAM documents for GitHub OIDC: the identity provider, a read-only plan role, a deploy role.

Everything here is pure: values in, frozen values (with JSON policy text) out. The deploy role's
permissions are scoped to the names the reconciler gives an environment's resources:
models `<env>-<name>-<hash>`, endpoint configs `<env>-<name>-<hash>`, endpoints `<env>-<name>`,
plus the exact endpoint names of manifests that set `endpointName` (passed in as
`extra_endpoint_names`). No side effects anywhere in this module.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from smgitops.core import naming
from smgitops.core.desired import EnvSettings
from smgitops.core.naming import lock_key
from smgitops.errors import ConfigError

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
OIDC_AUDIENCE = "sts.amazonaws.com"
SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"
AUTOSCALING_SERVICE = "sagemaker.application-autoscaling.amazonaws.com"
AUTOSCALING_LINKED_ROLE = "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"

_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
# What GitHub puts in `sub` once the repository's subject template is customized: AWS can test
# only `sub` and `aud`, so naming the workflow and ref there is the only way to require them.
SUBJECT_CLAIM_KEYS = ("repo", "context", "job_workflow_ref")
WORKFLOWS_DIR = ".github/workflows"
PLAN_WORKFLOW = "plan-aws.yml"
DRIFT_WORKFLOW = "drift.yml"
DEPLOY_WORKFLOW = "deploy.yml"
_BRANCH = re.compile(r"[A-Za-z0-9_./-]+")

Document = dict[str, Any]


@dataclass(frozen=True)
class OidcProvider:
    url: str
    audiences: tuple[str, ...]

    def arn(self, account_id: str, partition: str = "aws") -> str:
        return (
            f"arn:{partition}:iam::{account_id}:oidc-provider/{self.url.removeprefix('https://')}"
        )


@dataclass(frozen=True)
class RoleDefinition:
    """One IAM role: who may assume it (trust) and what it may do (one inline policy)."""

    name: str
    description: str
    trust_policy: str  # JSON text
    policy_name: str
    policy: str  # JSON text
    path: str = "/"  # IAM path of the role

    @property
    def trust_document(self) -> Document:
        return json.loads(self.trust_policy)

    @property
    def policy_document(self) -> Document:
        return json.loads(self.policy)


@dataclass(frozen=True)
class Bootstrap:
    """Everything `smgitops bootstrap` prints or creates for one environment."""

    env: str
    repo: str
    account_id: str
    provider: OidcProvider
    plan_role: RoleDefinition
    deploy_role: RoleDefinition
    execution_role: RoleDefinition

    @property
    def roles(self) -> tuple[RoleDefinition, ...]:
        return (self.plan_role, self.deploy_role, self.execution_role)


def partition_of(region: str) -> str:
    """The ARN partition of a region (`aws`, `aws-cn`, `aws-us-gov`). No side effects."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def github_oidc_provider() -> OidcProvider:
    """GitHub's OIDC issuer, trusted for tokens whose audience is STS. No side effects."""
    return OidcProvider(url=GITHUB_OIDC_URL, audiences=(OIDC_AUDIENCE,))


def _policy(*statements: Document) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


def _statement(sid: str, actions: list[str], resources: list[str], **extra: Any) -> Document:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def _trust(provider_arn: str, subjects: list[str]) -> str:
    # Exact subjects match with StringEquals; only a PR number may vary (StringLike, `*`).
    exact = [s for s in subjects if "*" not in s]
    patterns = [s for s in subjects if "*" in s]
    condition: Document = {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": OIDC_AUDIENCE}}
    if exact:
        condition["StringEquals"][f"{GITHUB_OIDC_HOST}:sub"] = exact if len(exact) > 1 else exact[0]
    if patterns:
        condition["StringLike"] = {
            f"{GITHUB_OIDC_HOST}:sub": patterns if len(patterns) > 1 else patterns[0]
        }
    return _policy(
        {
            "Sid": "GitHubActionsOidc",
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition,
        }
    )


def check_repo(repo: str) -> str:
    """`OWNER/NAME` as GitHub writes it in OIDC subjects; ConfigError otherwise. No side effects."""
    if not _REPO.fullmatch(repo):
        raise ConfigError(f"--repo must look like OWNER/NAME, got {repo!r}")
    return repo


def sagemaker_arns(settings: EnvSettings, extra_endpoint_names: tuple[str, ...] = ()) -> list[str]:
    """ARN patterns of the models, endpoint configs and endpoints an env may own.

    Models and configs are `<endpoint name>-<hash>` (naming.hashed_name), endpoints are
    `<env>-<name>` or a manifest's `endpointName`. SageMaker writes names in ARNs in lower case.
    No side effects.
    """
    base = f"arn:{partition_of(settings.region)}:sagemaker:{settings.region}:{settings.account_id}"
    env_prefix = f"{settings.name}-".lower()
    custom = sorted({n.lower() for n in extra_endpoint_names} - {""})
    custom = [n for n in custom if not n.startswith(env_prefix)]
    hashed_prefixes = [env_prefix] + [
        naming.hashed_name(n, "0" * naming.HASH_LENGTH)[: -naming.HASH_LENGTH] for n in custom
    ]
    arns = [f"{base}:model/{p}*" for p in hashed_prefixes]
    arns += [f"{base}:endpoint-config/{p}*" for p in hashed_prefixes]
    arns += [f"{base}:endpoint/{env_prefix}*"] + [f"{base}:endpoint/{n}" for n in custom]
    return arns


def _s3(settings: EnvSettings) -> tuple[str, str]:
    partition = partition_of(settings.region)
    bucket = f"arn:{partition}:s3:::{settings.artifact_bucket}"
    prefix = settings.artifact_prefix.strip("/")
    return bucket, f"{bucket}/{prefix}/*" if prefix else f"{bucket}/*"


def _ecr_repository(settings: EnvSettings) -> str:
    partition = partition_of(settings.region)
    return (
        f"arn:{partition}:ecr:{settings.region}:{settings.account_id}"
        f":repository/{settings.ecr_repository}"
    )


def source_object_arns(settings: EnvSettings, source_uris: tuple[str, ...]) -> list[str]:
    """S3 ARNs of the trained artifacts (`spec.model: {s3: ...}`) the env's manifests read."""
    partition = partition_of(settings.region)
    return sorted({f"arn:{partition}:s3:::{uri.removeprefix('s3://')}" for uri in source_uris})


def _source_read(settings: EnvSettings, source_uris: tuple[str, ...]) -> list[Document]:
    # Plan pins a source by HEAD (s3:GetObject); apply copies it (GetObject/GetObjectVersion).
    arns = source_object_arns(settings, source_uris)
    if not arns:
        return []
    return [_statement("ModelSourcesRead", ["s3:GetObject", "s3:GetObjectVersion"], arns)]


def store_blob_arns(settings: EnvSettings, store_uris: tuple[str, ...]) -> list[str]:
    """S3 ARNs of the pinned blobs (`<store>/sha256/*`) of the content stores the env's folder
    models are pinned to. No side effects."""
    partition = partition_of(settings.region)
    return sorted(
        {
            f"arn:{partition}:s3:::{uri.removeprefix('s3://').rstrip('/')}/sha256/*"
            for uri in store_uris
        }
    )


def _store_read(settings: EnvSettings, store_uris: tuple[str, ...]) -> list[Document]:
    # Apply fetches pinned weights it has no local copy of (and hashes them before use).
    arns = store_blob_arns(settings, store_uris)
    return [_statement("ContentStoreRead", ["s3:GetObject"], arns)] if arns else []


def _kms(settings: EnvSettings, sid: str, actions: list[str], **extra: Any) -> list[Document]:
    """One statement on the env's KMS key, or none when the env names no key."""
    if not settings.kms_key_id:
        return []
    return [_statement(sid, actions, [settings.kms_key_id], **extra)]


def plan_policy(settings: EnvSettings, source_uris: tuple[str, ...] = ()) -> str:
    """Read-only permissions for `plan` and `drift`: describe, list, head. No side effects."""
    bucket, objects = _s3(settings)
    sagemaker_any = (
        f"arn:{partition_of(settings.region)}:sagemaker:{settings.region}:{settings.account_id}:*"
    )
    return _policy(
        _statement("SageMakerDescribe", ["sagemaker:Describe*"], [sagemaker_any]),
        # List calls (ListEndpoints, ListTags, ...) are not scoped by resource in IAM.
        _statement("SageMakerList", ["sagemaker:List*"], ["*"]),
        # HeadObject is authorised by s3:GetObject (there is no s3:HeadObject action).
        _statement("ArtifactObjectsRead", ["s3:GetObject"], [objects]),
        _statement("ArtifactBucketList", ["s3:ListBucket"], [bucket]),
        _statement(
            "ImageRead",
            ["ecr:DescribeImages", "ecr:DescribeRepositories"],
            [_ecr_repository(settings)],
        ),
        _statement(
            "ReadOnlyDescribe",
            ["application-autoscaling:Describe*", "cloudwatch:DescribeAlarms"],
            ["*"],
        ),
        # The plan's preflight: instance quotas (not scoped by resource in IAM).
        _statement("QuotasRead", ["servicequotas:ListServiceQuotas"], ["*"]),
        *_source_read(settings, source_uris),
        # The inventory is encrypted with the env's key (HEADs of tarballs need no key use).
        *_kms(settings, "ArtifactKeyDecrypt", ["kms:Decrypt"]),
    )


def deploy_policy(
    settings: EnvSettings,
    extra_endpoint_names: tuple[str, ...] = (),
    source_uris: tuple[str, ...] = (),
    store_uris: tuple[str, ...] = (),
    promoted_from: EnvSettings | None = None,
) -> str:
    """Least privilege for image push + `apply` in one env, scoped by ARN; with
    `promoted_from`, read (never write) of that env's repository, for `image copy`.
    No side effects."""
    partition = partition_of(settings.region)
    bucket, objects = _s3(settings)
    scalable_targets = (
        f"arn:{partition}:application-autoscaling:{settings.region}:{settings.account_id}"
        ":scalable-target/*"
    )
    linked_role = (
        f"arn:{partition}:iam::{settings.account_id}:role/aws-service-role/"
        f"{AUTOSCALING_SERVICE}/{AUTOSCALING_LINKED_ROLE}"
    )
    return _policy(
        _statement(
            "SageMakerEnvResources",
            [
                "sagemaker:CreateModel",
                "sagemaker:CreateEndpointConfig",
                "sagemaker:CreateEndpoint",
                "sagemaker:UpdateEndpoint",
                "sagemaker:UpdateEndpointWeightsAndCapacities",
                "sagemaker:DeleteModel",
                "sagemaker:DeleteEndpointConfig",
                "sagemaker:DeleteEndpoint",
                "sagemaker:AddTags",
                "sagemaker:DeleteTags",
                "sagemaker:Describe*",
                "sagemaker:InvokeEndpoint",
            ],
            sagemaker_arns(settings, extra_endpoint_names),
        ),
        _statement("SageMakerList", ["sagemaker:List*"], ["*"]),
        _statement(
            "PassExecutionRoleToSageMaker",
            ["iam:PassRole"],
            [settings.execution_role_arn],
            Condition={"StringEquals": {"iam:PassedToService": SAGEMAKER_SERVICE}},
        ),
        _statement(
            "ArtifactObjects",
            [
                "s3:GetObject",
                "s3:PutObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            ],
            [objects],
        ),
        # Releasing the env's apply lock; model tarballs themselves are never deleted.
        _statement(
            "ApplyLockRelease",
            ["s3:DeleteObject"],
            [f"{bucket}/{lock_key(settings)}"],
        ),
        # The bucket is created on first apply when it does not exist yet.
        _statement("ArtifactBucket", ["s3:ListBucket", "s3:CreateBucket"], [bucket]),
        _statement(
            "ImagePush",
            [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:CompleteLayerUpload",
                "ecr:CreateRepository",
                "ecr:DescribeImages",
                "ecr:DescribeRepositories",
                "ecr:GetDownloadUrlForLayer",
                "ecr:InitiateLayerUpload",
                "ecr:PutImage",
                "ecr:UploadLayerPart",
            ],
            [_ecr_repository(settings)],
        ),
        # Registry login is account-wide by design; it grants no repository access by itself.
        _statement("ImageRegistryLogin", ["ecr:GetAuthorizationToken"], ["*"]),
        *(
            [
                _statement(
                    "PromotedImagesRead",
                    [
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:BatchGetImage",
                        "ecr:DescribeImages",
                        "ecr:GetDownloadUrlForLayer",
                    ],
                    [_ecr_repository(promoted_from)],
                )
            ]
            if promoted_from is not None
            else []
        ),
        # SSE-KMS uploads (GenerateDataKey; Decrypt for multipart and reads) with the env's
        # key; SageMaker creates grants on it for the endpoints' ML storage volumes.
        *_kms(
            settings,
            "ArtifactKeyUse",
            ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
        ),
        *_kms(
            settings,
            "EndpointVolumeKeyGrant",
            ["kms:CreateGrant"],
            Condition={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
        # Scalable-target ARNs end in a random id, so IAM cannot name an env's targets: the
        # env's tag scopes them instead. Registering (and tagging) must carry the env's tag
        # and may not touch a target tagged for another env; every other write needs the tag
        # on the target. (IAM cannot tell a new target from an untagged one: see docs.)
        _statement(
            "AutoscalingRegisterTagged",
            [
                "application-autoscaling:RegisterScalableTarget",
                "application-autoscaling:TagResource",
            ],
            [scalable_targets],
            Condition={
                "StringEquals": {f"aws:RequestTag/{naming.TAG_ENV}": settings.name},
                "StringEqualsIfExists": {f"aws:ResourceTag/{naming.TAG_ENV}": settings.name},
            },
        ),
        _statement(
            "AutoscalingEnvTargets",
            [
                "application-autoscaling:DeregisterScalableTarget",
                "application-autoscaling:PutScalingPolicy",
                "application-autoscaling:DeleteScalingPolicy",
            ],
            [scalable_targets],
            Condition={"StringEquals": {f"aws:ResourceTag/{naming.TAG_ENV}": settings.name}},
        ),
        # Owned alarms carry the env in their name (naming.alarm_prefix): the ARN scopes them.
        _statement(
            "OwnedAlarms",
            ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource"],
            [
                f"arn:{partition}:cloudwatch:{settings.region}:{settings.account_id}:alarm:"
                f"{naming.alarm_prefix(settings.name)}*"
            ],
        ),
        _statement(
            "AutoscalingRead",
            [
                "application-autoscaling:Describe*",
                "application-autoscaling:ListTagsForResource",
                "cloudwatch:DescribeAlarms",
            ],
            ["*"],
        ),
        _statement(
            "AutoscalingServiceLinkedRole",
            ["iam:CreateServiceLinkedRole"],
            [linked_role],
            Condition={"StringLike": {"iam:AWSServiceName": AUTOSCALING_SERVICE}},
        ),
        *_source_read(settings, source_uris),
        *_store_read(settings, store_uris),
    )


def github_subject(repo: str, context: str, workflow: str, ref: str) -> str:
    """The `sub` claim GitHub issues under SUBJECT_CLAIM_KEYS: `repo:<repo>:<context>:
    job_workflow_ref:<repo>/.github/workflows/<workflow>@<ref>`. No side effects.

    `context` is `environment:<name>`, `pull_request` or `ref:<git ref>`, as in GitHub's
    default subject. Source: GitHub Docs, OpenID Connect reference, "Customizing the subject
    claims" (`include_claim_keys`).
    """
    return f"repo:{repo}:{context}:job_workflow_ref:{repo}/{WORKFLOWS_DIR}/{workflow}@{ref}"


def execution_role_name(settings: EnvSettings) -> tuple[str, str]:
    """(path, name) of the env's executionRoleArn, e.g. ("/", "smgitops-staging-execution").

    No side effects.
    """
    _, _, resource = settings.execution_role_arn.partition(":role/")
    path, _, name = resource.rpartition("/")
    return (f"/{path}/" if path else "/"), name


def execution_policy(settings: EnvSettings, capture_uris: tuple[str, ...] = ()) -> str:
    """What SageMaker needs, as the env's execution role, to run the env's endpoints: pull the
    env's image, read the env's model tarballs (and decrypt them with the env's KMS key, when
    it names one), write its logs, read the rollback alarms of its deployment guardrails, and
    write data capture where a manifest asks for it.

    Source: Amazon SageMaker Developer Guide, "How to use SageMaker execution roles"
    (CreateModel permissions). No side effects.
    """
    partition = partition_of(settings.region)
    _, objects = _s3(settings)
    logs = (
        f"arn:{partition}:logs:{settings.region}:{settings.account_id}"
        ":log-group:/aws/sagemaker/Endpoints/*"
    )
    statements = [
        _statement(
            "ImagePull",
            ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            [_ecr_repository(settings)],
        ),
        # Registry login is account-wide by design; it grants no repository access by itself.
        _statement("ImageRegistryLogin", ["ecr:GetAuthorizationToken"], ["*"]),
        _statement("ModelDataRead", ["s3:GetObject"], [objects]),
        _statement(
            "Logs",
            ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            [logs, f"{logs}:log-stream:*"],
        ),
        # Deployment guardrails read the rollback alarms; IAM cannot scope DescribeAlarms.
        _statement("GuardrailAlarms", ["cloudwatch:DescribeAlarms"], ["*"]),
        # Model data encrypted with the env's key (SSE-KMS) is decrypted as it is read.
        *_kms(settings, "ModelDataKeyDecrypt", ["kms:Decrypt"]),
    ]
    capture = sorted(
        {f"arn:{partition}:s3:::{uri.removeprefix('s3://').rstrip('/')}/*" for uri in capture_uris}
    )
    if capture:
        statements.append(_statement("DataCaptureWrite", ["s3:PutObject"], capture))
    return _policy(*statements)


def plan_subjects(repo: str, branch: str) -> list[str]:
    """OIDC subjects of the read-only role: plan-aws.yml and drift.yml as they are on
    `branch`. A PR's plan runs in plan-aws.yml (workflow_run, so the default branch's file and
    ref); no workflow a PR can edit is trusted."""
    context = f"ref:refs/heads/{branch}"
    return [
        github_subject(repo, context, workflow, f"refs/heads/{branch}")
        for workflow in (PLAN_WORKFLOW, DRIFT_WORKFLOW)
    ]


def deploy_subjects(repo: str, env: str, branch: str = "main") -> list[str]:
    """OIDC subject of the deploy role: only deploy.yml as it is on `branch`, in a job that
    runs in the GitHub environment `env`. A pushed branch, a dispatch from another ref or a
    modified copy of the workflow gets another job_workflow_ref, so another subject."""
    return [github_subject(repo, f"environment:{env}", DEPLOY_WORKFLOW, f"refs/heads/{branch}")]


def subject_customization() -> Document:
    """The repository's OIDC subject template the trust policies are written for (GitHub API
    `PUT /repos/{owner}/{repo}/actions/oidc/customization/sub`). No side effects."""
    return {"use_default": False, "include_claim_keys": list(SUBJECT_CLAIM_KEYS)}


def build_bootstrap(
    settings: EnvSettings,
    repo: str,
    branch: str = "main",
    extra_endpoint_names: tuple[str, ...] = (),
    source_uris: tuple[str, ...] = (),
    store_uris: tuple[str, ...] = (),
    capture_uris: tuple[str, ...] = (),
    promoted_from: EnvSettings | None = None,
) -> Bootstrap:
    """The OIDC provider and both roles of one environment. No side effects."""
    check_repo(repo)
    if not _BRANCH.fullmatch(branch):
        raise ConfigError(f"--branch is not a branch name: {branch!r}")
    provider = github_oidc_provider()
    provider_arn = provider.arn(settings.account_id, partition_of(settings.region))
    env = settings.name
    plan_role = RoleDefinition(
        name=f"smgitops-{env}-plan",
        description=f"smgitops read-only plan/drift for {env}, assumed by {repo} via GitHub OIDC",
        trust_policy=_trust(provider_arn, plan_subjects(repo, branch)),
        policy_name="smgitops-plan",
        policy=plan_policy(settings, source_uris),
    )
    deploy_role = RoleDefinition(
        name=f"smgitops-{env}-deploy",
        description=f"smgitops deploy for {env}, assumed by {repo} in environment {env}",
        trust_policy=_trust(provider_arn, deploy_subjects(repo, env, branch)),
        policy_name="smgitops-deploy",
        policy=deploy_policy(
            settings, extra_endpoint_names, source_uris, store_uris, promoted_from
        ),
    )
    execution_path, execution_name = execution_role_name(settings)
    execution_role = RoleDefinition(
        path=execution_path,
        name=execution_name,
        description=f"SageMaker execution role of smgitops env {env}: image, model data, logs",
        trust_policy=_policy(
            {
                "Sid": "SageMakerAssumes",
                "Effect": "Allow",
                "Principal": {"Service": SAGEMAKER_SERVICE},
                "Action": "sts:AssumeRole",
            }
        ),
        policy_name=f"smgitops-execution-{env}",
        policy=execution_policy(settings, capture_uris),
    )
    return Bootstrap(
        env, repo, settings.account_id, provider, plan_role, deploy_role, execution_role
    )


def role_arn(bootstrap: Bootstrap, role: RoleDefinition, region: str) -> str:
    return f"arn:{partition_of(region)}:iam::{bootstrap.account_id}:role/{role.name}"


def render_json(bootstrap: Bootstrap, region: str) -> str:
    """The documents as one JSON object, for review or for other IaC tools. No side effects."""
    partition = partition_of(region)
    return json.dumps(
        {
            "env": bootstrap.env,
            "repo": bootstrap.repo,
            "github_oidc_subject_customization": subject_customization(),
            "oidc_provider": {
                "arn": bootstrap.provider.arn(bootstrap.account_id, partition),
                "url": bootstrap.provider.url,
                "client_ids": list(bootstrap.provider.audiences),
            },
            "roles": [
                {
                    "name": role.name,
                    "arn": role_arn(bootstrap, role, region),
                    "description": role.description,
                    "trust_policy": role.trust_document,
                    "policy_name": role.policy_name,
                    "policy": role.policy_document,
                }
                for role in bootstrap.roles
            ],
        },
        indent=2,
    )
