"""The real `smgitops` commands, run with the credentials of the roles bootstrap creates,
on the emulator with IAM enforced: the deploy role can push and apply, the plan role can plan
and check drift, so the policies cover what the tool actually calls."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from smgitops.cli import main
from testkit.scratch import INFERENCE_PY, manifest

from .conftest import ACCOUNT

ENV_YAML = f"""\
accountId: "{ACCOUNT}"
region: us-east-1
executionRoleArn: arn:aws:iam::{ACCOUNT}:role/smgitops-execution
artifactBucket: smgitops-iam-artifacts
artifactPrefix: smgitops
ecrRepository: smgitops-serving
prune: true
"""

PLAN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/smgitops-staging-plan"
DEPLOY_ROLE = f"arn:aws:iam::{ACCOUNT}:role/smgitops-staging-deploy"


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    write(tmp_path, "deployments/staging/_env.yaml", ENV_YAML)
    write(tmp_path, "deployments/staging/scorer.yaml", manifest())
    write(tmp_path, "models/scorer/inference.py", INFERENCE_PY)
    write(tmp_path, "container/Dockerfile", "FROM scratch\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def use(monkeypatch, session) -> None:
    """Make the CLI (boto3's default credential chain) act as this session."""
    credentials = session.get_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials.secret_key)
    if credentials.token:
        monkeypatch.setenv("AWS_SESSION_TOKEN", credentials.token)
    else:
        monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)


def smgitops(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


STORE = "s3://smgitops-iam-store/weights"


def pin(repo: Path, weight: str) -> None:
    """A data scientist (admin credentials here) trains and pins; CI has no local weights."""
    write(repo, "models/scorer/artifact/weight.txt", weight)
    pinned = smgitops("model", "pin", "scorer", "--store", STORE)
    assert pinned.exit_code == 0, pinned.output
    shutil.rmtree(repo / "models" / "scorer" / "artifact")
    shutil.rmtree(repo / ".smgitops", ignore_errors=True)


def test_deploy_role_pushes_and_applies_and_plan_role_plans_and_checks_drift(
    repo, enforced, assume, monkeypatch
):
    use(monkeypatch, enforced)
    pin(repo, "1.0\n")
    assert smgitops("bootstrap", "--env", "staging", "--repo", "acme/ml", "--apply").exit_code == 0
    deploy, plan = assume(DEPLOY_ROLE), assume(PLAN_ROLE)

    use(monkeypatch, deploy)
    pushed = smgitops("image", "push", "--env", "staging")
    assert pushed.exit_code == 0, pushed.output
    applied = smgitops("apply", "--env", "staging", "--yes")
    assert applied.exit_code == 0, applied.output

    use(monkeypatch, plan)
    unchanged = smgitops("plan", "--env", "staging", "--detailed-exitcode")
    assert unchanged.exit_code == 0, unchanged.output
    assert smgitops("drift", "--env", "staging").exit_code == 0
    # The plan role may not deploy: the same apply as the plan role is refused by IAM.
    use(monkeypatch, enforced)
    pin(repo, "2.0\n")
    use(monkeypatch, plan)
    changed = smgitops("plan", "--env", "staging", "--detailed-exitcode")
    assert changed.exit_code == 2, changed.output
    sagemaker = enforced.client("sagemaker")
    serving = sagemaker.describe_endpoint(EndpointName="staging-scorer")["EndpointConfigName"]
    refused = smgitops("apply", "--env", "staging", "--yes")
    assert refused.exit_code != 0
    assert "AccessDenied" in f"{refused.output} {refused.exception}"
    assert sagemaker.describe_endpoint(EndpointName="staging-scorer")["EndpointConfigName"] == (
        serving
    )

    use(monkeypatch, deploy)
    updated = smgitops("apply", "--env", "staging", "--yes")
    assert updated.exit_code == 0, updated.output
    answer = deploy.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="staging-scorer", ContentType="text/csv", Body=b"1,2,3"
    )
    assert answer["Body"].read() == b"[12.0]"


PROD_ENV_YAML = (
    ENV_YAML.replace("artifactPrefix: smgitops", "artifactPrefix: smgitops-prod")
    .replace("ecrRepository: smgitops-serving", "ecrRepository: smgitops-serving-prod")
    .replace("role/smgitops-execution", "role/smgitops-prod-execution")
    + "promotesFrom: staging\n"
)


def test_prod_deploy_role_copies_staging_s_tested_image_and_cannot_write_staging(
    repo, enforced, assume, monkeypatch
):
    write(repo, "deployments/prod/_env.yaml", PROD_ENV_YAML)
    write(repo, "deployments/prod/scorer.yaml", manifest())
    use(monkeypatch, enforced)
    pin(repo, "1.0\n")
    for env in ("staging", "prod"):
        booted = smgitops("bootstrap", "--env", env, "--repo", "acme/ml", "--apply")
        assert booted.exit_code == 0, booted.output
    staging = assume(DEPLOY_ROLE)
    prod = assume(DEPLOY_ROLE.replace("staging", "prod"))

    use(monkeypatch, staging)
    assert smgitops("image", "push", "--env", "staging").exit_code == 0
    assert smgitops("apply", "--env", "staging", "--yes").exit_code == 0
    denied_copy = smgitops("image", "copy", "--env", "prod")  # staging may not write prod
    assert denied_copy.exit_code != 0
    assert "AccessDenied" in f"{denied_copy.output} {denied_copy.exception}"

    use(monkeypatch, prod)
    copied = smgitops("image", "copy", "--env", "prod")
    assert copied.exit_code == 0, copied.output
    applied = smgitops("apply", "--env", "prod", "--yes")
    assert applied.exit_code == 0, applied.output

    sagemaker = enforced.client("sagemaker")

    def image(endpoint: str) -> str:
        config = sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
        variant = sagemaker.describe_endpoint_config(EndpointConfigName=config)
        model = variant["ProductionVariants"][0]["ModelName"]
        return sagemaker.describe_model(ModelName=model)["PrimaryContainer"]["Image"]

    assert image("prod-scorer").split("@")[1] == image("staging-scorer").split("@")[1]
    # Prod's role reads staging's repository and nothing more: it cannot push there.
    ecr = prod.client("ecr")
    ecr.describe_images(repositoryName="smgitops-serving")
    with pytest.raises(Exception, match="AccessDenied"):
        ecr.put_image(
            repositoryName="smgitops-serving",
            imageManifest='{"schemaVersion": 2}',
            imageManifestMediaType="application/vnd.docker.distribution.manifest.v2+json",
            imageTag="scorer-forged",
        )
