"""plan and apply against the emulator: manifests become endpoints serving the real model."""

from __future__ import annotations

import json

import boto3

from smgitops.core import naming
from testkit.scratch import create_5xx_alarm, manifest, mutating


def sagemaker():
    return boto3.client("sagemaker")


def config_names() -> set[str]:
    return {c["EndpointConfigName"] for c in sagemaker().list_endpoint_configs()["EndpointConfigs"]}


def test_plan_of_a_new_manifest_shows_a_create_and_exits_2_with_detailed_exitcode(repo):
    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    result = repo.run("plan", "--env", "staging", "--format", "json", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    document = json.loads(result.stdout)
    assert document["summary"] == {"create": 1, "update": 0, "delete": 0}
    assert document["endpoints"][0]["endpoint"] == "staging-scorer"


def test_first_apply_creates_an_endpoint_that_serves_the_real_model(deployed, aws):
    assert deployed.predict() == 6.0
    endpoint = sagemaker().describe_endpoint(EndpointName="staging-scorer")
    assert endpoint["EndpointStatus"] == "InService"
    tags = sagemaker().list_tags(ResourceArn=endpoint["EndpointArn"])["Tags"]
    assert {"Key": naming.TAG_MANAGED, "Value": "true"} in tags
    assert {"Key": naming.TAG_MANIFEST, "Value": "deployments/staging/scorer.yaml"} in tags


def test_second_apply_of_an_unchanged_repo_makes_no_mutating_call(deployed, aws):
    aws.clear_calls()
    result = deployed.run("apply", "--env", "staging", "--yes")
    assert result.exit_code == 0, result.output
    assert mutating(aws.calls()) == ["PutObject", "DeleteObject"]  # the apply lock only
    assert deployed.run("plan", "--env", "staging", "--detailed-exitcode").exit_code == 0


def test_model_change_updates_the_endpoint_and_keeps_the_previous_config(deployed, aws):
    first_config = sagemaker().describe_endpoint(EndpointName="staging-scorer")[
        "EndpointConfigName"
    ]
    deployed.set_weight(2.0)
    plan = deployed.run("plan", "--env", "staging", "--format", "json")
    (change,) = json.loads(plan.stdout)["endpoints"]
    assert (change["action"], change["reason"]) == ("update", "config_changed")
    assert [c["path"] for c in change["changes"]] == ["model.data"]
    result = deployed.run("apply", "--env", "staging", "--yes")
    assert result.exit_code == 0, result.output
    assert deployed.predict() == 12.0
    configs = {
        c["EndpointConfigName"] for c in sagemaker().list_endpoint_configs()["EndpointConfigs"]
    }
    assert first_config in configs  # kept for a git revert

    deployed.set_weight(3.0)
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    assert deployed.predict() == 18.0
    configs = {
        c["EndpointConfigName"] for c in sagemaker().list_endpoint_configs()["EndpointConfigs"]
    }
    assert first_config not in configs  # garbage collected: two changes ago
    assert len(configs) == 2
    assert len(sagemaker().list_models()["Models"]) == 2


def test_revert_to_the_previous_model_reuses_its_config_without_upload(deployed, aws):
    deployed.set_weight(2.0)
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    deployed.set_weight(1.0)  # the revert
    aws.clear_calls()
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    operations = [c.operation for c in aws.calls()]
    # two PutObjects, the apply lock and the apply history: no model tarball goes up again
    assert operations.count("PutObject") == 2 and "CreateMultipartUpload" not in operations
    assert deployed.predict() == 6.0


def test_instance_count_change_updates_capacity_without_a_new_config(deployed, aws):
    deployed.write("deployments/staging/scorer.yaml", manifest(count=3))
    aws.clear_calls()
    result = deployed.run("apply", "--env", "staging", "--yes")
    assert result.exit_code == 0, result.output
    operations = mutating(aws.calls())
    assert "UpdateEndpointWeightsAndCapacities" in operations
    assert "CreateEndpointConfig" not in operations and "UpdateEndpoint" not in operations
    variant = sagemaker().describe_endpoint(EndpointName="staging-scorer")["ProductionVariants"][0]
    assert variant["DesiredInstanceCount"] == 3


def test_update_that_sagemaker_rolls_back_fails_the_apply_and_keeps_serving(deployed, aws):
    aws.fail_next_updates()
    deployed.set_weight(5.0)
    result = deployed.run("apply", "--env", "staging", "--yes")
    assert result.exit_code == 1
    assert "update_rolled_back" in result.output
    assert "SageMaker rolled the update back" in result.output
    assert deployed.predict() == 6.0  # the old model still answers
    # a re-run converges once SageMaker accepts the update
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    assert deployed.predict() == 30.0


def test_failed_smoke_test_rolls_back_to_the_previous_config(deployed, aws):
    # the new manifest expects an answer the model does not give
    deployed.write(
        "deployments/staging/scorer.yaml",
        manifest(smoke="expectJson:\n  path: $[0]\n  equals: 99"),
    )
    deployed.set_weight(4.0)
    result = deployed.run("apply", "--env", "staging", "--yes")
    assert result.exit_code == 1
    assert "smoke_test_failed" in result.output and "rolled back to" in result.output
    assert deployed.predict() == 6.0


def test_stale_saved_plan_is_refused(deployed, tmp_path, aws):
    deployed.set_weight(2.0)
    saved = tmp_path / "plan.json"
    assert deployed.run("plan", "--env", "staging", "--out", str(saved)).exit_code == 0
    deployed.set_weight(7.0)  # git moved on after the review
    result = deployed.run("apply", "--env", "staging", "--plan", str(saved))
    assert result.exit_code == 1
    assert "is stale" in result.output
    assert deployed.predict() == 6.0


def test_saved_plan_applies_when_nothing_moved(deployed, tmp_path, aws):
    deployed.set_weight(2.0)
    saved = tmp_path / "plan.json"
    assert deployed.run("plan", "--env", "staging", "--out", str(saved)).exit_code == 0
    assert deployed.run("apply", "--env", "staging", "--plan", str(saved)).exit_code == 0
    assert deployed.predict() == 12.0


def test_removed_manifest_is_pruned_but_foreign_endpoints_are_never_touched(deployed, aws):
    sm = sagemaker()
    config = sm.describe_endpoint(EndpointName="staging-scorer")["EndpointConfigName"]
    sm.create_endpoint(EndpointName="staging-handmade", EndpointConfigName=config)
    (deployed.root / "deployments/staging/scorer.yaml").unlink()
    result = deployed.run("apply", "--env", "staging", "--yes")
    assert result.exit_code == 0, result.output
    names = {e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]}
    assert names == {"staging-handmade"}


def test_drift_is_reported_with_exit_2_and_fixed_by_apply(deployed, aws):
    sagemaker().update_endpoint_weights_and_capacities(
        EndpointName="staging-scorer",
        DesiredWeightsAndCapacities=[{"VariantName": "primary", "DesiredInstanceCount": 4}],
    )
    result = deployed.run("drift", "--env", "staging", "--format", "markdown")
    assert result.exit_code == 2
    assert "instanceCount" in result.stdout
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    assert deployed.run("drift", "--env", "staging").exit_code == 0


def test_apply_without_terminal_or_yes_refuses_instead_of_waiting(repo):
    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    result = repo.run("apply", "--env", "staging")
    assert result.exit_code == 1
    assert "pass --yes" in result.output


def test_missing_image_is_a_clear_error_before_any_change(repo, aws):
    result = repo.run("apply", "--env", "staging", "--yes")
    assert result.exit_code == 1
    assert "is missing in ECR: run `smgitops image push --env staging` first" in result.output
    assert "CreateEndpoint" not in mutating(aws.calls())
    # Nor is a tarball published for an apply that cannot run.
    listed = boto3.client("s3").list_objects_v2(
        Bucket="smgitops-test-artifacts", Prefix="smgitops/models/"
    )
    assert listed.get("KeyCount", 0) == 0


def test_canary_apply_reports_the_bake_and_ends_on_the_new_model(deployed, aws):
    canary = (
        "  deployment:\n"
        "    strategy: canary\n"
        "    canary: {percent: 50, bakeSeconds: 300}\n"  # 3 s at the tests' wait scale
        "    rollbackAlarms: [scorer-5xx]\n"
    )
    deployed.write("deployments/staging/scorer.yaml", manifest() + canary)
    deployed.set_weight(2.0)
    create_5xx_alarm("scorer-5xx", "staging-scorer")  # the plan refuses a missing one

    result = deployed.run("apply", "--env", "staging", "--yes")

    assert result.exit_code == 0, result.output
    assert "Updating: new fleet Baking" in result.output
    assert deployed.predict() == 12.0
    last = sagemaker().describe_endpoint(EndpointName="staging-scorer")["LastDeploymentConfig"]
    assert (
        last["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["WaitIntervalInSeconds"] == 300
    )


def forget_smoke_test(endpoint: str = "staging-scorer") -> None:
    """The state an apply killed between its update and its smoke test leaves behind."""
    arn = sagemaker().describe_endpoint(EndpointName=endpoint)["EndpointArn"]
    sagemaker().delete_tags(ResourceArn=arn, TagKeys=[naming.TAG_SMOKE_TESTED])


def test_a_live_config_whose_smoke_test_never_ran_is_tested_by_the_next_apply(deployed, aws):
    deployed.set_weight(2.0)
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    forget_smoke_test()

    plan = deployed.run("plan", "--env", "staging", "--detailed-exitcode")
    result = deployed.run("apply", "--env", "staging", "--yes")

    assert plan.exit_code == 2
    assert "verify (live config never passed its smoke test" in plan.output
    assert result.exit_code == 0, result.output
    assert "smoke test passed" in result.output
    assert deployed.run("plan", "--env", "staging", "--detailed-exitcode").exit_code == 0
    assert deployed.predict() == 12.0


def test_a_live_config_failing_its_late_smoke_test_is_rolled_back(deployed, aws):
    deployed.set_weight(2.0)
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    forget_smoke_test()
    deployed.write(  # an answer the live model does not give
        "deployments/staging/scorer.yaml",
        manifest(smoke="expectJson:\n  path: $[0]\n  equals: 99"),
    )

    result = deployed.run("apply", "--env", "staging", "--yes")

    assert result.exit_code == 1
    assert "smoke_test_failed" in result.output and "rolled back to" in result.output
    assert deployed.predict() == 6.0  # the previous model, whose smoke test had passed
