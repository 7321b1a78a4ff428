"""Credentials of another account stop every command that talks to AWS before it reads or
writes anything (Terraform's allowed_account_ids)."""

from __future__ import annotations

import boto3
import pytest

from testkit.trained import manifest, upload


def use_another_account(monkeypatch) -> None:
    """Credentials of account 999999999999 (a wrong profile, a mis-set CI variable)."""
    found = boto3.client("sts").assume_role(
        RoleArn="arn:aws:iam::999999999999:role/other-team", RoleSessionName="wrong"
    )["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", found["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", found["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", found["SessionToken"])


@pytest.fixture
def other_account(monkeypatch, aws) -> None:
    use_another_account(monkeypatch)


@pytest.mark.parametrize(
    "command",
    [
        ("plan", "--env", "staging"),
        ("drift", "--env", "staging"),
        ("apply", "--env", "staging", "--yes"),
        ("image", "push", "--env", "staging"),
        ("image", "tag", "--env", "staging"),
        ("model", "publish", "scorer", "--env", "staging"),
        ("invoke", "--env", "staging", "scorer", "--content-type", "text/csv", "--body", "1"),
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_every_aws_command_refuses_credentials_of_another_account(repo, other_account, command):
    result = repo.run(*command)

    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines()[-1] == (
        "Error: the AWS credentials are for account 999999999999, but env staging deploys to "
        "account 123456789012 (accountId in deployments/staging/_env.yaml): use credentials "
        "of 123456789012"
    )
    # nothing was created with the wrong credentials: no artifact bucket, no repository
    buckets = {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}
    assert "smgitops-test-artifacts" not in buckets
    assert boto3.client("ecr").describe_repositories()["repositories"] == []


def test_an_s3_model_source_is_not_read_with_another_accounts_credentials(repo, aws, monkeypatch):
    uri = upload("runs/1/model.tar.gz", {"weight.txt": "3\n"})
    repo.write("deployments/staging/scorer.yaml", manifest(f"{{s3: '{uri}', code: scorer}}"))
    use_another_account(monkeypatch)
    aws.clear_calls()

    for command in (("plan", "--env", "staging"), ("apply", "--env", "staging", "--yes")):
        result = repo.run(*command)
        assert result.exit_code == 1, result.output
        assert "credentials are for account 999999999999" in result.output
    assert "HeadObject" not in {c.operation for c in aws.calls()}  # the source was not read
