"""`smgitops bootstrap` without --apply: reads the env from the repository, prints JSON, no AWS."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from smgitops.cli import main

ENV_YAML = """\
accountId: "210987654321"
region: eu-west-1
executionRoleArn: arn:aws:iam::210987654321:role/sm-exec
artifactBucket: acme-artifacts
ecrRepository: serving
"""

MANIFEST = """\
apiVersion: smgitops/v1
kind: Endpoint
metadata:
  name: fraud
  endpointName: Fraud-Scoring-API
spec:
  model: fraud
  variants:
    - name: primary
      instanceType: ml.m5.large
      instanceCount: 1
      weight: 1
"""

INFERENCE = "def model_fn(model_dir):\n    return None\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / "deployments" / "prod").mkdir(parents=True)
    (tmp_path / "deployments" / "prod" / "_env.yaml").write_text(ENV_YAML)
    (tmp_path / "deployments" / "prod" / "fraud.yaml").write_text(MANIFEST)
    (tmp_path / "models" / "fraud").mkdir(parents=True)
    (tmp_path / "models" / "fraud" / "inference.py").write_text(INFERENCE)
    monkeypatch.chdir(tmp_path)
    # No credentials and no endpoint: printing must not need AWS at all.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_prints_the_env_documents_with_manifest_endpoint_names(repo):
    result = CliRunner().invoke(main, ["bootstrap", "--env", "prod", "--repo", "acme/ml"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    deploy = doc["roles"][1]
    assert deploy["name"] == "smgitops-prod-deploy"
    sagemaker = deploy["policy"]["Statement"][0]["Resource"]
    base = "arn:aws:sagemaker:eu-west-1:210987654321"
    assert f"{base}:endpoint/fraud-scoring-api" in sagemaker
    assert f"{base}:model/fraud-scoring-api-*" in sagemaker
    assert f"{base}:endpoint/prod-*" in sagemaker
    subject = deploy["trust_policy"]["Statement"][0]["Condition"]["StringEquals"]
    assert subject["token.actions.githubusercontent.com:sub"] == (
        "repo:acme/ml:environment:prod:job_workflow_ref:acme/ml/.github/workflows/deploy.yml"
        "@refs/heads/main"
    )


def test_branch_option_sets_the_branch_whose_workflows_are_trusted(repo):
    args = ["bootstrap", "--env", "prod", "--repo", "acme/ml", "--branch", "release"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    roles = json.loads(result.stdout)["roles"][:2]  # plan, deploy (then the execution role)
    plan, deploy = (role["trust_policy"]["Statement"][0]["Condition"] for role in roles)
    workflows = "acme/ml/.github/workflows"
    assert plan["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        f"repo:acme/ml:ref:refs/heads/release:job_workflow_ref:{workflows}/{name}"
        "@refs/heads/release"
        for name in ("plan-aws.yml", "drift.yml")
    ]
    assert "StringLike" not in plan and "StringLike" not in deploy  # no wildcard subjects
    assert deploy["StringEquals"]["token.actions.githubusercontent.com:sub"].endswith(
        "deploy.yml@refs/heads/release"
    )


def test_unknown_env_is_one_error_line(repo):
    result = CliRunner().invoke(main, ["bootstrap", "--env", "qa", "--repo", "acme/ml"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "Traceback" not in result.output
