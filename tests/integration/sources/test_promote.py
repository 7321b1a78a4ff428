"""`smgitops promote`: the target env's manifest change as a commit, and its plan afterwards."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from testkit.scratch import INFERENCE_PY, PROD_ENV_YAML
from testkit.trained import approve, manifest, register_version, upload

LATEST = "{modelPackageGroup: churn, version: latest-approved}"


def git(repo, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo.root, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def init_git(repo) -> None:
    git(repo, "init", "--quiet")
    git(repo, "config", "user.email", "dev@example.com")
    git(repo, "config", "user.name", "Dev")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "start")


def plan_json(repo, env: str) -> dict:
    result = repo.run("plan", "--env", env, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def apply(repo, env: str) -> None:
    """The deploy job of one env: its own images (each env has its repository), then apply."""
    assert repo.run("image", "push", "--env", env).exit_code == 0
    result = repo.run("apply", "--env", env, "--yes")
    assert result.exit_code == 0, result.output


def test_promote_commits_the_pinned_version_and_prod_plans_exactly_the_staging_change(repo, aws):
    first = register_version("churn", 2, INFERENCE_PY, approved=True)
    repo.write("deployments/staging/scorer.yaml", manifest(LATEST))
    repo.write("deployments/prod/_env.yaml", PROD_ENV_YAML + "requireApproval: true\n")
    prod_text = manifest(f'{{modelPackage: "{first}"}}').replace(
        "spec:\n", "spec:  # reviewed by the platform team\n"
    )
    repo.write("deployments/prod/scorer.yaml", prod_text)
    init_git(repo)
    apply(repo, "staging")
    apply(repo, "prod")

    second = register_version("churn", 3, INFERENCE_PY, approved=False)
    approve(second)
    staging_change = plan_json(repo, "staging")["endpoints"][0]
    apply(repo, "staging")
    assert repo.predict(env="staging") == 18.0

    result = repo.run("promote", "--from", "staging", "--to", "prod", "scorer")
    assert result.exit_code == 0, result.output
    shown = git(repo, "show", "--name-only", "--format=%s", "HEAD").splitlines()
    assert [line for line in shown if line] == [
        "Promote scorer from staging to prod: model package churn version 2 (Approved)",
        "deployments/prod/scorer.yaml",
    ]
    assert git(repo, "status", "--porcelain", "--", "deployments") == ""
    promoted = (repo.root / "deployments/prod/scorer.yaml").read_text()
    assert promoted == prod_text.replace(first, second)  # one line changed, comment kept

    prod_change = plan_json(repo, "prod")["endpoints"][0]
    assert prod_change["action"] == staging_change["action"] == "update"
    assert prod_change["changes"] == staging_change["changes"]
    for key in ("image", "model_data"):
        assert prod_change["desired"][key] == staging_change["desired"][key]
    pinned = {k: v for k, v in prod_change["desired"]["source"].items() if k != "requested"}
    reviewed = {k: v for k, v in staging_change["desired"]["source"].items() if k != "requested"}
    assert pinned == reviewed

    apply(repo, "prod")
    assert repo.predict(env="prod") == 18.0
    again = repo.run("promote", "--from", "staging", "--to", "prod", "scorer")
    assert again.exit_code == 0 and "nothing to promote" in again.output


def test_promote_refuses_an_unapproved_version_into_an_env_requiring_approval(repo, aws):
    pending = register_version("churn", 2, INFERENCE_PY, approved=False)
    repo.write("deployments/staging/scorer.yaml", manifest(f"{{modelPackage: '{pending}'}}"))
    repo.write("deployments/prod/_env.yaml", PROD_ENV_YAML + "requireApproval: true\n")
    init_git(repo)
    result = repo.run("promote", "--from", "staging", "--to", "prod", "scorer")
    assert result.exit_code == 1
    assert "is PendingManualApproval, and env prod requires approval" in result.output
    assert not (repo.root / "deployments/prod/scorer.yaml").exists()
    assert git(repo, "log", "--format=%s") == "start"


# Approval is a Model Registry status: an env that requires it takes S3 artifacts as they are.
@pytest.mark.parametrize("approval", ["", "requireApproval: true\n"], ids=["plain", "approval"])
def test_promoted_s3_artifact_is_pinned_to_the_version_staging_deployed(repo, aws, approval):
    uri = upload("runs/1/model.tar.gz", {"weight.txt": "3\n"}, versioned=True)
    repo.write("deployments/staging/scorer.yaml", manifest(f"{{s3: {uri}, code: scorer}}"))
    repo.write("deployments/prod/_env.yaml", PROD_ENV_YAML + approval)
    init_git(repo)
    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    source = plan_json(repo, "staging")["endpoints"][0]["desired"]["source"]

    result = repo.run("promote", "--from", "staging", "--to", "prod", "scorer")
    assert result.exit_code == 0, result.output
    assert "created deployments/prod/scorer.yaml" in result.output
    # The pipeline overwrites the key after the promotion; prod still gets what was promoted.
    upload("runs/1/model.tar.gz", {"weight.txt": "7\n"}, versioned=True)
    prod_source = plan_json(repo, "prod")["endpoints"][0]["desired"]["source"]
    assert (prod_source["etag"], prod_source["version_id"]) == (
        source["etag"],
        source["version_id"],
    )
    apply(repo, "prod")
    assert repo.predict(env="prod") == 18.0


def test_prod_plan_refuses_a_promoted_artifact_overwritten_in_an_unversioned_bucket(repo, aws):
    uri = upload("runs/1/model.tar.gz", {"weight.txt": "3\n"})
    repo.write("deployments/staging/scorer.yaml", manifest(f"{{s3: {uri}, code: scorer}}"))
    repo.write("deployments/prod/_env.yaml", PROD_ENV_YAML)
    init_git(repo)
    assert repo.run("promote", "--from", "staging", "--to", "prod", "scorer").exit_code == 0

    upload("runs/1/model.tar.gz", {"weight.txt": "7\n"})
    result = repo.run("plan", "--env", "prod")
    assert result.exit_code == 1
    assert "it was overwritten since it was promoted" in result.output


def test_promote_carries_the_dlc_base_image_so_prod_serves_the_same_image(repo, aws):
    image = '  image: {framework: pytorch, version: "2.0.0", py: py310, processor: cpu}\n'
    staging = manifest("scorer").replace("  variants:\n", image + "  variants:\n")
    repo.write("deployments/staging/scorer.yaml", staging)
    repo.write("deployments/prod/_env.yaml", PROD_ENV_YAML)
    repo.write("deployments/prod/scorer.yaml", manifest("scorer"))
    init_git(repo)

    result = repo.run("promote", "--from", "staging", "--to", "prod", "scorer")
    assert result.exit_code == 0, result.output
    promoted = yaml.safe_load((repo.root / "deployments/prod/scorer.yaml").read_text())
    assert promoted == yaml.safe_load(staging)
    staging_desired = plan_json(repo, "staging")["endpoints"][0]["desired"]
    prod_desired = plan_json(repo, "prod")["endpoints"][0]["desired"]
    # Each env has its own repository and prefix; the content (tag, tree digest) is the same.
    assert prod_desired["base_image"] == staging_desired["base_image"]
    assert prod_desired["image"].split(":")[-1] == staging_desired["image"].split(":")[-1]
    assert (
        prod_desired["model_data"].split("/")[-2:] == staging_desired["model_data"].split("/")[-2:]
    )
