"""Models run images by digest, and an env that promotes from another runs that env's images."""

from __future__ import annotations

import json

import boto3
import pytest

from testkit.scratch import PROD_ENV_YAML, manifest

pytestmark = pytest.mark.integration

REPOSITORY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/smgitops-serving"


def planned_image(repo, env="staging") -> str:
    result = repo.run("plan", "--env", env, "--format", "json")
    assert result.exit_code == 0, result.output
    (change,) = json.loads(result.stdout)["endpoints"]
    return change["desired"]["image"]


def ecr_digest(repository: str, tag: str) -> str:
    (image,) = boto3.client("ecr").describe_images(
        repositoryName=repository, imageIds=[{"imageTag": tag}]
    )["imageDetails"]
    return image["imageDigest"]


def served_image(endpoint: str) -> str:
    sagemaker = boto3.client("sagemaker")
    config_name = sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    model = config["ProductionVariants"][0]["ModelName"]
    return sagemaker.describe_model(ModelName=model)["PrimaryContainer"]["Image"]


def test_the_plan_pins_the_image_ecr_holds_to_its_digest_and_the_model_runs_it(repo):
    before = planned_image(repo)
    assert before.startswith(f"{REPOSITORY}:scorer-")  # not built yet: its content tag
    tag = before.rsplit(":", 1)[1]

    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    digest = ecr_digest("smgitops-serving", tag)
    assert planned_image(repo) == f"{REPOSITORY}@{digest}"

    assert repo.run("apply", "--env", "staging", "--yes").exit_code == 0
    assert served_image("staging-scorer") == f"{REPOSITORY}@{digest}"
    assert repo.predict() == 6.0


def test_apply_refuses_an_image_that_was_never_built(repo):
    result = repo.run("apply", "--env", "staging", "--yes")

    assert result.exit_code == 1
    assert "is missing in ECR: run `smgitops image push --env staging` first" in result.output


@pytest.fixture
def promoting(deployed):
    """Staging deployed; prod promotes from it and serves the same manifest."""
    deployed.write("deployments/prod/_env.yaml", PROD_ENV_YAML + "promotesFrom: staging\n")
    deployed.write("deployments/prod/scorer.yaml", manifest())
    return deployed


def test_prod_runs_the_digest_staging_tested_copied_not_rebuilt(promoting):
    staging_image = served_image("staging-scorer")

    copied = promoting.run("image", "copy", "--env", "prod")
    assert copied.exit_code == 0, copied.output
    (row,) = json.loads(copied.stdout.removeprefix("images="))
    assert row["digest"] == staging_image.split("@")[1]
    assert "copied" in copied.stderr and "from staging" in copied.stderr

    assert promoting.run("apply", "--env", "prod", "--yes").exit_code == 0
    prod_image = served_image("prod-scorer")
    assert prod_image == f"{REPOSITORY}-prod@{staging_image.split('@')[1]}"
    assert promoting.predict(env="prod") == 6.0

    again = promoting.run("image", "copy", "--env", "prod")
    assert again.exit_code == 0 and "already present" in again.stderr


def test_a_prod_tag_that_is_not_staging_s_image_is_refused(promoting):
    tag = planned_image(promoting, "prod").rsplit(":", 1)[1]
    ecr = boto3.client("ecr")
    ecr.create_repository(repositoryName="smgitops-serving-prod", imageTagMutability="IMMUTABLE")
    # Pushed by someone else ahead of the copy: same tag, other bytes.
    ecr.put_image(
        repositoryName="smgitops-serving-prod",
        imageManifest=json.dumps({"schemaVersion": 2, "note": "not staging's"}),
        imageManifestMediaType="application/vnd.docker.distribution.manifest.v2+json",
        imageTag=tag,
    )

    result = promoting.run("image", "copy", "--env", "prod")

    assert result.exit_code == 1
    assert f"{REPOSITORY}-prod:{tag} is sha256:" in result.stderr
    assert "the image env staging tested: refusing" in result.stderr


def test_copy_from_an_env_without_the_image_names_what_to_do_first(promoting):
    promoting.write("models/scorer/extra.py", "X = 1\n")  # unchanged tarball inputs aside
    promoting.write("container/Dockerfile", "FROM scratch\nLABEL changed=1\n")  # new image tag

    result = promoting.run("image", "copy", "--env", "prod")

    assert result.exit_code == 1
    assert "is missing: env prod runs only images env staging tested (apply env staging first)" in (
        result.stderr
    )


def test_copy_needs_a_source_env(deployed):
    deployed.write("deployments/prod/_env.yaml", PROD_ENV_YAML)
    deployed.write("deployments/prod/scorer.yaml", manifest())

    result = deployed.run("image", "copy", "--env", "prod")

    assert result.exit_code == 1
    assert "env prod promotes from no env: pass --from ENV or set promotesFrom in " in (
        result.stderr
    )
    assert deployed.run("image", "copy", "--env", "prod", "--from", "staging").exit_code == 0
