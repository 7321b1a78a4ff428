"""Proof on the emulator with IAM enforced: the roles `bootstrap --apply` creates can do what
plan/deploy need, in their environment, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner

from smgitops.bootstrap.policies import build_bootstrap
from smgitops.cli import main
from smgitops.core.desired import EnvSettings
from testkit.values import env_settings

from .conftest import ACCOUNT, REGION, image_manifest, model_tarball, wait_for_status

REPO = "acme/ml-deploy"
BUCKET = "acme-ml-artifacts"
PREFIX = "smgitops"
ECR_REPO = "smgitops-serving"
EXEC_ROLE = f"arn:aws:iam::{ACCOUNT}:role/smgitops-execution"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{ECR_REPO}:demo-0123456789ab"
PLAN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/smgitops-staging-plan"
DEPLOY_ROLE = f"arn:aws:iam::{ACCOUNT}:role/smgitops-staging-deploy"
ENV_YAML = f"""\
accountId: "{ACCOUNT}"
region: {REGION}
executionRoleArn: {EXEC_ROLE}
artifactBucket: {BUCKET}
artifactPrefix: {PREFIX}
ecrRepository: {ECR_REPO}
prune: true
"""


def settings() -> EnvSettings:
    return env_settings(
        region=REGION,
        execution_role_arn=EXEC_ROLE,
        artifact_bucket=BUCKET,
        ecr_repository=ECR_REPO,
        artifact_prefix=PREFIX,
        prune=True,
    )


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A repository with staging settings and no manifests yet."""
    (tmp_path / "deployments" / "staging").mkdir(parents=True)
    (tmp_path / "deployments" / "staging" / "_env.yaml").write_text(ENV_YAML)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_bootstrap(enforced, monkeypatch, *extra: str):
    admin = enforced.get_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", admin.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", admin.secret_key)
    args = ["bootstrap", "--env", "staging", "--repo", REPO, *extra]
    return CliRunner().invoke(main, args)


@pytest.fixture
def roles(repo, enforced, monkeypatch):
    result = run_bootstrap(enforced, monkeypatch, "--apply")
    assert result.exit_code == 0, result.output
    return result


def denied(call, *args, **kwargs) -> str:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    code = raised.value.response["Error"]["Code"]
    assert "AccessDenied" in code or code in ("403", "Forbidden"), raised.value.response
    return code


def deploy_endpoint(session, name: str, tag: str = "v1") -> None:
    """What `smgitops apply` does for a new endpoint: upload, image, model, config, endpoint."""
    s3, ecr, sagemaker = session.client("s3"), session.client("ecr"), session.client("sagemaker")
    key = f"{PREFIX}/models/demo/{tag}.tar.gz"
    s3.put_object(Bucket=BUCKET, Key=key, Body=model_tarball())
    s3.head_object(Bucket=BUCKET, Key=key)
    image_tag = IMAGE.rsplit(":", 1)[1]
    try:
        ecr.describe_images(repositoryName=ECR_REPO, imageIds=[{"imageTag": image_tag}])
    except ClientError:
        ecr.put_image(
            repositoryName=ECR_REPO, imageManifest=image_manifest("demo"), imageTag=image_tag
        )
    sagemaker.create_model(
        ModelName=f"{name}-{tag}model0",
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": f"s3://{BUCKET}/{key}"},
        ExecutionRoleArn=EXEC_ROLE,
        Tags=[{"Key": "smgitops:managed", "Value": "true"}],
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName=f"{name}-{tag}config",
        ProductionVariants=[
            {
                "VariantName": "primary",
                "ModelName": f"{name}-{tag}model0",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
                "InitialVariantWeight": 1.0,
            }
        ],
    )


def test_bootstrap_prints_the_documents_without_touching_aws(repo, enforced, monkeypatch):
    result = run_bootstrap(enforced, monkeypatch)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert [role["name"] for role in printed["roles"]] == [
        "smgitops-staging-plan",
        "smgitops-staging-deploy",
        "smgitops-execution",
    ]
    iam = enforced.client("iam")
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    assert iam.list_roles()["Roles"] == []


def test_bootstrap_apply_creates_provider_and_roles_once(roles, enforced, monkeypatch):
    assert "created  role  smgitops-staging-deploy" in roles.stderr
    assert f"SMGITOPS_PLAN_ROLE_ARN_STAGING = {PLAN_ROLE}" in roles.stderr
    assert f"SMGITOPS_DEPLOY_ROLE_ARN = {DEPLOY_ROLE}" in roles.stderr
    iam = enforced.client("iam")
    expected = build_bootstrap(settings(), REPO)
    role = iam.get_role(RoleName="smgitops-staging-deploy")["Role"]
    assert role["AssumeRolePolicyDocument"] == expected.deploy_role.trust_document
    policy = iam.get_role_policy(RoleName="smgitops-staging-deploy", PolicyName="smgitops-deploy")
    assert policy["PolicyDocument"] == expected.deploy_role.policy_document
    providers = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert [p["Arn"] for p in providers] == [
        f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    ]

    again = run_bootstrap(enforced, monkeypatch, "--apply")
    assert again.exit_code == 0, again.output
    assert "created" not in again.stderr and "updated" not in again.stderr
    assert again.stderr.count("unchanged") == 7  # provider, and each role with its policy


def test_bootstrap_apply_repairs_a_widened_trust_policy(roles, enforced, monkeypatch):
    iam = enforced.client("iam")
    wide = build_bootstrap(settings(), "acme/other-repo").deploy_role.trust_policy
    iam.update_assume_role_policy(RoleName="smgitops-staging-deploy", PolicyDocument=wide)
    result = run_bootstrap(enforced, monkeypatch, "--apply")
    assert "updated  role  smgitops-staging-deploy" in result.stderr
    role = iam.get_role(RoleName="smgitops-staging-deploy")["Role"]
    assert "repo:acme/ml-deploy:environment:staging" in json.dumps(role["AssumeRolePolicyDocument"])


def test_deploy_role_runs_the_whole_apply_sequence_in_its_env(roles, assume):
    deploy = assume(DEPLOY_ROLE)
    s3, ecr = deploy.client("s3"), deploy.client("ecr")
    sagemaker, autoscaling = deploy.client("sagemaker"), deploy.client("application-autoscaling")
    s3.create_bucket(Bucket=BUCKET)
    ecr.create_repository(repositoryName=ECR_REPO)
    assert ecr.get_authorization_token()["authorizationData"]

    deploy_endpoint(deploy, "staging-demo", "v1")
    sagemaker.create_endpoint(
        EndpointName="staging-demo",
        EndpointConfigName="staging-demo-v1config",
        Tags=[{"Key": "smgitops:env", "Value": "staging"}],
    )
    wait_for_status(sagemaker, "staging-demo", "InService")
    arn = sagemaker.describe_endpoint(EndpointName="staging-demo")["EndpointArn"]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "smgitops:commit", "Value": "abc"}])
    assert {"Key": "smgitops:commit", "Value": "abc"} in sagemaker.list_tags(ResourceArn=arn)[
        "Tags"
    ]
    assert [e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]] == ["staging-demo"]

    # The smoke test: a real prediction from the deployed model.
    answer = deploy.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="staging-demo", ContentType="application/json", Body=b"[[1.0, 2.0]]"
    )
    assert json.loads(answer["Body"].read()) == [6.0]

    deploy_endpoint(deploy, "staging-demo", "v2")
    sagemaker.update_endpoint(
        EndpointName="staging-demo", EndpointConfigName="staging-demo-v2config"
    )
    wait_for_status(sagemaker, "staging-demo", "InService")
    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName="staging-demo",
        DesiredWeightsAndCapacities=[{"VariantName": "primary", "DesiredInstanceCount": 2}],
    )
    wait_for_status(sagemaker, "staging-demo", "InService")
    resource_id = "endpoint/staging-demo/variant/primary"
    autoscaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=resource_id,
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MinCapacity=1,
        MaxCapacity=4,
        Tags={"smgitops:env": "staging", "smgitops:managed": "true"},
    )
    autoscaling.put_scaling_policy(
        PolicyName="staging-demo-primary",
        ServiceNamespace="sagemaker",
        ResourceId=resource_id,
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 200.0,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
        },
    )
    deploy.client("cloudwatch").describe_alarms(AlarmNames=["staging-demo-5xx"])

    # Garbage collection and prune.
    sagemaker.delete_endpoint_config(EndpointConfigName="staging-demo-v1config")
    sagemaker.delete_model(ModelName="staging-demo-v1model0")
    sagemaker.delete_endpoint(EndpointName="staging-demo")


def test_deploy_role_is_denied_other_envs_and_actions_outside_its_policy(roles, enforced, assume):
    enforced.client("s3").create_bucket(Bucket=BUCKET)
    enforced.client("ecr").create_repository(repositoryName=ECR_REPO)
    enforced.client("ecr").create_repository(repositoryName="other-team")
    deploy_endpoint(enforced, "prod-demo", "v1")  # another env's resources, made by an admin
    deploy = assume(DEPLOY_ROLE)
    sagemaker, s3, ecr = deploy.client("sagemaker"), deploy.client("s3"), deploy.client("ecr")

    denied(
        sagemaker.create_model,
        ModelName="prod-demo-v2model0",
        PrimaryContainer={"Image": IMAGE},
        ExecutionRoleArn=EXEC_ROLE,
    )
    denied(sagemaker.describe_model, ModelName="prod-demo-v1model0")
    denied(sagemaker.delete_model, ModelName="prod-demo-v1model0")
    denied(sagemaker.delete_endpoint_config, EndpointConfigName="prod-demo-v1config")
    denied(
        sagemaker.create_endpoint, EndpointName="prod-demo", EndpointConfigName="prod-demo-v1config"
    )
    # A staging endpoint may not be pointed at a prod config either.
    denied(
        sagemaker.create_endpoint,
        EndpointName="staging-demo",
        EndpointConfigName="prod-demo-v1config",
    )
    prod_model_arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/prod-demo-v1model0"
    denied(sagemaker.add_tags, ResourceArn=prod_model_arn, Tags=[{"Key": "k", "Value": "v"}])
    denied(s3.put_object, Bucket=BUCKET, Key="elsewhere/x.tar.gz", Body=b"x")
    denied(s3.delete_object, Bucket=BUCKET, Key=f"{PREFIX}/models/demo/v1.tar.gz")
    denied(
        ecr.put_image, repositoryName="other-team", imageManifest=image_manifest("x"), imageTag="x"
    )
    denied(deploy.client("iam").create_role, RoleName="escalate", AssumeRolePolicyDocument="{}")
    denied(
        deploy.client("iam").put_role_policy,
        RoleName="smgitops-staging-deploy",
        PolicyName="p",
        PolicyDocument="{}",
    )
    # The prod model is still there: nothing above changed it.
    enforced.client("sagemaker").describe_model(ModelName="prod-demo-v1model0")


def test_plan_role_reads_everything_plan_needs_and_changes_nothing(roles, enforced, assume):
    enforced.client("s3").create_bucket(Bucket=BUCKET)
    enforced.client("ecr").create_repository(repositoryName=ECR_REPO)
    deploy_endpoint(enforced, "staging-demo", "v1")
    admin_sm = enforced.client("sagemaker")
    admin_sm.create_endpoint(
        EndpointName="staging-demo", EndpointConfigName="staging-demo-v1config"
    )
    wait_for_status(admin_sm, "staging-demo", "InService")

    plan = assume(PLAN_ROLE)
    sagemaker, s3, ecr = plan.client("sagemaker"), plan.client("s3"), plan.client("ecr")
    endpoint = sagemaker.describe_endpoint(EndpointName="staging-demo")
    assert endpoint["EndpointConfigName"] == "staging-demo-v1config"
    sagemaker.describe_endpoint_config(EndpointConfigName="staging-demo-v1config")
    sagemaker.describe_model(ModelName="staging-demo-v1model0")
    sagemaker.list_tags(ResourceArn=endpoint["EndpointArn"])
    assert len(sagemaker.list_models()["Models"]) == 1
    s3.head_object(Bucket=BUCKET, Key=f"{PREFIX}/models/demo/v1.tar.gz")
    s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/")
    ecr.describe_images(repositoryName=ECR_REPO)
    plan.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="sagemaker")
    plan.client("cloudwatch").describe_alarms()

    denied(
        sagemaker.create_model,
        ModelName="staging-demo-v2model0",
        PrimaryContainer={"Image": IMAGE},
        ExecutionRoleArn=EXEC_ROLE,
    )
    denied(
        sagemaker.update_endpoint,
        EndpointName="staging-demo",
        EndpointConfigName="staging-demo-v1config",
    )
    denied(sagemaker.delete_endpoint, EndpointName="staging-demo")
    denied(
        sagemaker.add_tags, ResourceArn=endpoint["EndpointArn"], Tags=[{"Key": "k", "Value": "v"}]
    )
    denied(
        plan.client("sagemaker-runtime").invoke_endpoint,
        EndpointName="staging-demo",
        ContentType="application/json",
        Body=b"[[1.0]]",
    )
    denied(s3.put_object, Bucket=BUCKET, Key=f"{PREFIX}/models/demo/v9.tar.gz", Body=b"x")
    denied(ecr.put_image, repositoryName=ECR_REPO, imageManifest=image_manifest("y"), imageTag="y")
    assert admin_sm.describe_endpoint(EndpointName="staging-demo")["EndpointStatus"] == "InService"


def test_execution_role_reads_the_envs_image_and_model_data_and_writes_nothing(
    roles, enforced, assume
):
    enforced.client("s3").create_bucket(Bucket=BUCKET)
    enforced.client("ecr").create_repository(repositoryName=ECR_REPO)
    enforced.client("ecr").create_repository(repositoryName="other-team")
    deploy_endpoint(
        enforced, "staging-demo", "v1"
    )  # the env's tarball and image, as apply leaves them
    enforced.client("s3").put_object(Bucket=BUCKET, Key="elsewhere/secret.tar.gz", Body=b"x")
    execution = assume(EXEC_ROLE)  # what SageMaker does when it starts a model
    s3, ecr = execution.client("s3"), execution.client("ecr")

    body = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/models/demo/v1.tar.gz")["Body"].read()
    assert body[:2] == b"\x1f\x8b"  # the gzip the deploy left there
    image = ecr.batch_get_image(
        repositoryName=ECR_REPO, imageIds=[{"imageTag": IMAGE.rsplit(":", 1)[1]}]
    )
    assert image["images"]
    denied(s3.get_object, Bucket=BUCKET, Key="elsewhere/secret.tar.gz")
    denied(s3.put_object, Bucket=BUCKET, Key=f"{PREFIX}/models/demo/v1.tar.gz", Body=b"x")
    denied(ecr.put_image, repositoryName=ECR_REPO, imageManifest=image_manifest("x"), imageTag="x")
    denied(ecr.batch_get_image, repositoryName="other-team", imageIds=[{"imageTag": "x"}])
    denied(
        execution.client("sagemaker").create_model,
        ModelName="staging-demo-x",
        PrimaryContainer={"Image": IMAGE},
        ExecutionRoleArn=EXEC_ROLE,
    )


def test_deploy_role_writes_autoscaling_only_on_targets_tagged_for_its_env(roles, enforced, assume):
    dimension = "sagemaker:variant:DesiredInstanceCount"

    def target(endpoint: str) -> dict[str, str]:
        return {
            "ServiceNamespace": "sagemaker",
            "ResourceId": f"endpoint/{endpoint}/variant/primary",
            "ScalableDimension": dimension,
        }

    def policy(endpoint: str) -> dict:
        return {
            **target(endpoint),
            "PolicyName": f"{endpoint}-primary",
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": 100.0,
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                },
            },
        }

    admin = enforced.client("application-autoscaling")
    prod_arn = admin.register_scalable_target(
        **target("prod-demo"), MinCapacity=1, MaxCapacity=4, Tags={"smgitops:env": "prod"}
    )["ScalableTargetARN"]
    admin.put_scaling_policy(**policy("prod-demo"))
    admin.register_scalable_target(**target("team-x"), MinCapacity=1, MaxCapacity=2)
    mine = {"smgitops:env": "staging", "smgitops:managed": "true"}
    autoscaling = assume(DEPLOY_ROLE).client("application-autoscaling")

    # Its own target: register (tagged), policy, tag again, remove.
    own = autoscaling.register_scalable_target(
        **target("staging-demo"), MinCapacity=1, MaxCapacity=3, Tags=mine
    )["ScalableTargetARN"]
    autoscaling.tag_resource(ResourceARN=own, Tags=mine)
    autoscaling.put_scaling_policy(**policy("staging-demo"))
    autoscaling.delete_scaling_policy(PolicyName="staging-demo-primary", **target("staging-demo"))
    autoscaling.deregister_scalable_target(**target("staging-demo"))

    # A new target must carry the env's own tag.
    denied(
        autoscaling.register_scalable_target, **target("staging-b"), MinCapacity=1, MaxCapacity=2
    )
    denied(
        autoscaling.register_scalable_target,
        **target("staging-b"),
        MinCapacity=1,
        MaxCapacity=2,
        Tags={"smgitops:env": "prod"},
    )
    # Prod's target: no write at all, even with staging's tag in the request.
    denied(
        autoscaling.register_scalable_target,
        **target("prod-demo"),
        MinCapacity=0,
        MaxCapacity=1,
        Tags=mine,
    )
    denied(autoscaling.tag_resource, ResourceARN=prod_arn, Tags=mine)
    denied(autoscaling.put_scaling_policy, **policy("prod-demo"))
    denied(autoscaling.delete_scaling_policy, PolicyName="prod-demo-primary", **target("prod-demo"))
    denied(autoscaling.deregister_scalable_target, **target("prod-demo"))
    # Another team's untagged target cannot be removed or given a policy either.
    denied(autoscaling.deregister_scalable_target, **target("team-x"))
    denied(autoscaling.put_scaling_policy, **policy("team-x"))

    (prod,) = admin.describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=["endpoint/prod-demo/variant/primary"]
    )["ScalableTargets"]
    assert (prod["MinCapacity"], prod["MaxCapacity"]) == (1, 4)
    assert admin.list_tags_for_resource(ResourceARN=prod_arn)["Tags"] == {"smgitops:env": "prod"}


def test_deploy_role_writes_only_the_alarms_named_for_its_env(roles, enforced, assume):
    deploy = assume(DEPLOY_ROLE)
    cloudwatch = deploy.client("cloudwatch")
    rule = {
        "Namespace": "AWS/SageMaker",
        "MetricName": "Invocation5XXErrors",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 0.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "Tags": [{"Key": "smgitops:env", "Value": "staging"}],
    }
    ours = "smgitops/staging/staging-demo/primary/5xx"
    prods = "smgitops/prod/prod-demo/primary/5xx"
    enforced.client("cloudwatch").put_metric_alarm(AlarmName=prods, **rule)

    cloudwatch.put_metric_alarm(AlarmName=ours, **rule)
    denied(cloudwatch.put_metric_alarm, AlarmName=prods, **{**rule, "Threshold": 1e9})
    denied(cloudwatch.put_metric_alarm, AlarmName="team-pager", **rule)
    denied(cloudwatch.delete_alarms, AlarmNames=[prods])
    cloudwatch.delete_alarms(AlarmNames=[ours])

    # Prod's alarm is as its own deploy made it.
    (alarm,) = enforced.client("cloudwatch").describe_alarms(AlarmNames=[prods])["MetricAlarms"]
    assert alarm["Threshold"] == 0.0
