"""The AWS edge one module at a time, on the emulator: reconcile's steps, the reader, apply,
garbage collection and the inventory, each called directly rather than through the CLI."""

from __future__ import annotations

from pathlib import Path

import boto3

from smgitops.aws import garbage
from smgitops.aws.apply import Outcome, apply_plan
from smgitops.aws.inventory import read_inventory, write_inventory
from smgitops.aws.reader import Clients, read_live
from smgitops.core import naming
from smgitops.core.plan import Action
from smgitops.reconcile import apply_planned, make_plan, prepare
from testkit.scratch import manifest, mutating
from testkit.values import env_settings

SETTINGS = env_settings(artifact_bucket="smgitops-test-artifacts", artifact_prefix="smgitops")


def _clients() -> Clients:
    return Clients.for_region("us-east-1")


def _quiet(subject: str, message: str) -> None:
    pass


def test_prepare_names_every_resource_from_git_and_one_image_listing(repo, aws):
    # Only the account check and the image digests: no SageMaker, no S3, no live state.
    aws.clear_calls()
    prepared = prepare(Path.cwd(), "staging")
    (endpoint,) = prepared.desired
    assert endpoint.name == "staging-scorer"
    assert endpoint.model.model_data_url.startswith(
        "s3://smgitops-test-artifacts/smgitops/models/scorer/"
    )
    assert naming.is_hashed_name_of("staging-scorer", endpoint.config.name)
    assert [(c.service, c.operation) for c in aws.calls()] == [
        ("sts", "GetCallerIdentity"),
        ("ecr", "DescribeImages"),
    ]


def test_inventory_is_empty_before_the_first_apply_and_per_env_after(repo, aws):
    s3 = boto3.client("s3")
    assert read_inventory(s3, SETTINGS) == ()  # not even the bucket exists yet
    s3.create_bucket(Bucket=SETTINGS.artifact_bucket)
    write_inventory(s3, SETTINGS, {"staging-b", "staging-a"})
    assert read_inventory(s3, SETTINGS) == ("staging-a", "staging-b")
    assert read_inventory(s3, env_settings(name="prod", **_bucket())) == ()


def _bucket() -> dict[str, str]:
    return {"artifact_bucket": SETTINGS.artifact_bucket, "artifact_prefix": "smgitops"}


def test_reader_reads_the_live_config_only_when_its_name_differs_from_git(deployed, aws):
    desired = prepare(Path.cwd(), "staging").desired
    aws.clear_calls()
    live = read_live(_clients(), SETTINGS, desired)
    (endpoint,) = live.endpoints
    assert endpoint.status == "InService" and endpoint.config is None
    assert "DescribeEndpointConfig" not in {c.operation for c in aws.calls()}
    assert live.inventory == ("staging-scorer",)

    deployed.set_weight(2.0)
    changed = prepare(Path.cwd(), "staging").desired
    (endpoint,) = read_live(_clients(), SETTINGS, changed).endpoints
    assert endpoint.config is not None and endpoint.config.name == endpoint.config_name


def test_reader_checks_the_kept_config_from_the_endpoint_tags_without_reading_it(deployed, aws):
    deployed.set_weight(2.0)
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    desired = prepare(Path.cwd(), "staging").desired
    aws.clear_calls()

    live = read_live(_clients(), SETTINGS, desired)

    (kept,) = live.previous_urls("staging-scorer")
    assert kept.endswith("/model.tar.gz") and kept != desired[0].model.model_data_url
    assert {c.url: c.state for c in live.model_data} == {
        kept: "verified",
        desired[0].model.model_data_url: "verified",
    }
    operations = [c.operation for c in aws.calls()]
    assert "DescribeEndpointConfig" not in operations and operations.count("HeadObject") == 2


def test_apply_plan_creates_what_the_plan_says_and_leaves_no_op_endpoints_alone(repo, aws):
    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    planned = make_plan(Path.cwd(), "staging")
    assert [c.action for c in planned.plan.changes] == [Action.CREATE]
    results, _ = apply_planned(planned, Path.cwd(), _quiet)
    assert [(r.endpoint, r.outcome, r.ready) for r in results] == [
        ("staging-scorer", Outcome.APPLIED, True)
    ]

    again = make_plan(Path.cwd(), "staging")
    aws.clear_calls()
    results = apply_plan(again.plan, _clients(), SETTINGS, commit="abc", progress=_quiet)
    assert [r.outcome for r in results] == [Outcome.UNCHANGED]
    assert mutating(aws.calls()) == []


def test_garbage_keeps_live_and_previous_configs_and_never_deletes_unowned_ones(deployed, aws):
    sm = boto3.client("sagemaker")
    live_config = sm.describe_endpoint(EndpointName="staging-scorer")["EndpointConfigName"]
    deployed.set_weight(2.0)
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    model = sm.list_models()["Models"][0]["ModelName"]
    # Our naming scheme, but not our tags (someone copied the name by hand): never deleted.
    foreign = naming.hashed_name("staging-scorer", "f" * naming.HASH_LENGTH)
    sm.create_endpoint_config(
        EndpointConfigName=foreign,
        ProductionVariants=[
            {"VariantName": "primary", "ModelName": model, "InstanceType": "ml.m5.large"}
        ],
    )
    # One of ours that no endpoint serves or remembers: the only thing to collect.
    stale = naming.hashed_name("staging-scorer", "e" * naming.HASH_LENGTH)
    sm.create_endpoint_config(
        EndpointConfigName=stale,
        ProductionVariants=[
            {"VariantName": "primary", "ModelName": model, "InstanceType": "ml.m5.large"}
        ],
        Tags=[{"Key": k, "Value": v} for k, v in naming.ownership_tags("staging", "x", "c")],
    )

    configs, models = garbage.list_configs_and_models(sm)
    deleted = garbage.collect(sm, "staging-scorer", "staging", configs, models)

    assert deleted == [f"endpoint config {stale}"]
    remaining = {c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]}
    current = sm.describe_endpoint(EndpointName="staging-scorer")["EndpointConfigName"]
    assert {live_config, current, foreign} <= remaining
    assert stale not in remaining


def test_garbage_of_a_deleted_endpoint_removes_all_of_its_owned_configs(deployed, aws):
    sm = boto3.client("sagemaker")
    deployed.write("deployments/staging/other.yaml", manifest(name="other"))
    (deployed.root / "deployments/staging/scorer.yaml").unlink()
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    left = {c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]}
    assert not any(naming.is_hashed_name_of("staging-scorer", name) for name in left)
    assert any(naming.is_hashed_name_of("staging-other", name) for name in left)
