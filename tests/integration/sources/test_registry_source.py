"""Endpoints deploying Model Registry versions: pinning, approval, plan, apply, invoke."""

from __future__ import annotations

import json

from testkit.scratch import INFERENCE_PY, PROD_ENV_YAML, mutating
from testkit.trained import approve, manifest, register_version, upload

LATEST = "{modelPackageGroup: churn, version: latest-approved}"


def plan_json(repo, env: str = "staging") -> dict:
    result = repo.run("plan", "--env", env, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_latest_approved_resolves_to_the_newest_approved_version_and_serves_it(repo, aws):
    first = register_version("churn", 2, INFERENCE_PY, approved=True)
    register_version("churn", 9, INFERENCE_PY, approved=False)
    repo.write("deployments/staging/scorer.yaml", manifest(LATEST))

    source = plan_json(repo)["endpoints"][0]["desired"]["source"]
    assert source == {
        "kind": "model_package",
        "arn": first,
        "group": "churn",
        "version": 1,
        "approval_status": "Approved",
        "requested": "churn@latest-approved",
    }
    text = repo.run("plan", "--env", "staging")
    assert "source model package churn version 1 (Approved)" in text.output

    assert repo.run("apply", "--env", "staging", "--yes").exit_code == 0
    assert repo.predict() == 12.0
    assert repo.run("plan", "--env", "staging", "--detailed-exitcode").exit_code == 0


def test_approving_a_newer_version_plans_an_update_to_it(repo, aws):
    register_version("churn", 2, INFERENCE_PY, approved=True)
    second = register_version("churn", 3, INFERENCE_PY, approved=False)
    repo.write("deployments/staging/scorer.yaml", manifest(LATEST))
    assert repo.run("apply", "--env", "staging", "--yes").exit_code == 0

    approve(second)
    change = plan_json(repo)["endpoints"][0]
    assert change["action"] == "update"
    assert change["desired"]["source"]["version"] == 2
    assert [d["path"] for d in change["changes"]] == ["model.data"]
    assert repo.run("apply", "--env", "staging", "--yes").exit_code == 0
    assert repo.predict() == 18.0


def test_apply_of_a_saved_plan_deploys_the_reviewed_version_not_a_newer_approved_one(repo, aws):
    register_version("churn", 2, INFERENCE_PY, approved=True)
    repo.write("deployments/staging/scorer.yaml", manifest(LATEST))
    saved = repo.run("plan", "--env", "staging", "--out", "plan.json")
    assert saved.exit_code == 0, saved.output

    register_version("churn", 5, INFERENCE_PY, approved=True)  # approved after the review
    applied = repo.run("apply", "--env", "staging", "--plan", "plan.json")
    assert applied.exit_code == 0, applied.output
    assert repo.predict() == 12.0  # version 1, as reviewed
    # A fresh plan moves on to the newer approved version.
    assert plan_json(repo)["endpoints"][0]["desired"]["source"]["version"] == 2


def test_exact_version_arn_shows_its_approval_status_where_approval_is_not_required(repo, aws):
    register_version("churn", 2, INFERENCE_PY, approved=True)
    pending = register_version("churn", 4, INFERENCE_PY, approved=False)
    repo.write("deployments/staging/scorer.yaml", manifest(f"{{modelPackage: '{pending}'}}"))
    source = plan_json(repo)["endpoints"][0]["desired"]["source"]
    assert (source["version"], source["approval_status"]) == (2, "PendingManualApproval")
    assert repo.run("apply", "--env", "staging", "--yes").exit_code == 0
    assert repo.predict() == 24.0


def test_env_requiring_approval_refuses_an_unapproved_version_in_one_line(repo, aws):
    register_version("churn", 2, INFERENCE_PY, approved=True)
    pending = register_version("churn", 4, INFERENCE_PY, approved=False)
    repo.write("deployments/prod/_env.yaml", PROD_ENV_YAML + "requireApproval: true\n")
    repo.write("deployments/prod/scorer.yaml", manifest(f"{{modelPackage: '{pending}'}}"))
    for command in ("plan", "apply"):
        args = [command, "--env", "prod"] + (["--yes"] if command == "apply" else [])
        result = repo.run(*args)
        assert result.exit_code == 1
        assert f"model package {pending} is PendingManualApproval" in result.output
        assert "requires approval" in result.output
        assert "Traceback" not in result.output
    approve(pending)
    assert repo.run("apply", "--env", "prod", "--yes").exit_code == 0
    assert repo.predict(env="prod") == 24.0


def test_group_without_an_approved_version_is_a_one_line_error(repo, aws):
    register_version("churn", 2, INFERENCE_PY, approved=False)
    repo.write("deployments/staging/scorer.yaml", manifest(LATEST))
    result = repo.run("plan", "--env", "staging")
    assert result.exit_code == 1
    assert "model package group churn has no Approved version" in result.output


def test_planning_registry_and_s3_sources_only_reads_aws(repo, aws):
    register_version("churn", 2, INFERENCE_PY, approved=True)
    repo.write("deployments/staging/scorer.yaml", manifest(LATEST))
    uri = upload("runs/1/model.tar.gz", {"weight.txt": "3\n"})
    repo.write(
        "deployments/staging/other.yaml", manifest(f"{{s3: {uri}, code: scorer}}", name="other")
    )
    aws.clear_calls()
    assert repo.run("plan", "--env", "staging").exit_code == 0
    operations = [c.operation for c in aws.calls()]
    assert mutating(aws.calls()) == []
    assert operations.count("HeadObject") == 1  # the S3 source's pin: no download at plan time
    assert {"ListModelPackages", "DescribeModelPackage"} <= set(operations)


def test_saved_plan_is_stale_once_the_manifest_names_another_version(repo, aws):
    register_version("churn", 2, INFERENCE_PY, approved=True)
    second = register_version("churn", 5, INFERENCE_PY, approved=False)
    repo.write("deployments/staging/scorer.yaml", manifest(LATEST))
    assert repo.run("plan", "--env", "staging", "--out", "plan.json").exit_code == 0

    repo.write("deployments/staging/scorer.yaml", manifest(f"{{modelPackage: '{second}'}}"))
    applied = repo.run("apply", "--env", "staging", "--plan", "plan.json")
    assert applied.exit_code == 1
    assert "is stale" in applied.output
