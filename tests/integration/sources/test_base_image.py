"""spec.image: an AWS Deep Learning Container base resolved per region, end to end."""

from __future__ import annotations

import json

from testkit.scratch import ENV_YAML
from testkit.trained import manifest

CPU_IMAGE = '  image: {framework: pytorch, version: "2.0.0", py: py310, processor: cpu}\n'
EAST = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.0.0-cpu-py310"
WEST = "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.0.0-cpu-py310"


def with_image(text: str, image: str = CPU_IMAGE) -> str:
    return text.replace("  variants:\n", image + "  variants:\n")


def test_dlc_base_is_resolved_for_the_env_region_shown_in_the_plan_and_served(repo, aws):
    repo.write("deployments/staging/scorer.yaml", with_image(manifest("scorer")))
    repo.write(
        "deployments/west/_env.yaml",
        # Another region, bucket and execution role: a namespace of its own.
        ENV_YAML.replace("us-east-1", "eu-west-1")
        .replace("test-artifacts", "west-artifacts")
        .replace("role/smgitops-execution", "role/smgitops-west-execution"),
    )
    repo.write("deployments/west/scorer.yaml", with_image(manifest("scorer")))

    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    tags = repo.run("image", "tag", "--env", "staging")
    (row,) = json.loads(tags.stdout.split("=", 1)[1])
    assert row["base_image"] == EAST

    plan = repo.run("plan", "--env", "staging", "--format", "json")
    desired = json.loads(plan.stdout)["endpoints"][0]["desired"]
    assert desired["base_image"] == EAST
    assert desired["image"] == f"{row['image'].rsplit(':', 1)[0]}@{row['digest']}"
    assert f"base image {EAST}" in repo.run("plan", "--env", "staging").output

    west = repo.run("plan", "--env", "west", "--format", "json")
    assert west.exit_code == 0, west.output
    west_desired = json.loads(west.stdout)["endpoints"][0]["desired"]
    assert west_desired["base_image"] == WEST
    assert west_desired["image"].rsplit(":", 1)[1] != row["image"].rsplit(":", 1)[1]

    applied = repo.run("apply", "--env", "staging", "--yes")
    assert applied.exit_code == 0, applied.output
    assert repo.predict() == 6.0


def test_apply_refuses_until_the_dlc_based_image_is_pushed(repo, aws):
    repo.write("deployments/staging/scorer.yaml", manifest("scorer"))
    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    repo.write("deployments/staging/scorer.yaml", with_image(manifest("scorer")))
    result = repo.run("apply", "--env", "staging", "--yes")
    assert result.exit_code == 1
    assert "is missing in ECR: run `smgitops image push --env staging` first" in result.output


def test_gpu_processor_on_a_cpu_instance_fails_validation_in_one_line(repo):
    gpu = CPU_IMAGE.replace("cpu", "gpu")
    repo.write("deployments/staging/scorer.yaml", with_image(manifest("scorer"), gpu))
    result = repo.run("validate")
    assert result.exit_code == 1
    assert (
        "deployments/staging/scorer.yaml:10:21: spec.variants[0].instanceType: ml.m5.large has "
        "no GPU but spec.image.processor is gpu"
    ) in result.output
