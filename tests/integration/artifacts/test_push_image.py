from __future__ import annotations

import pytest

from smgitops.artifacts.image import image_digest, image_tag, push_image
from smgitops.aws.clients import client as aws_client
from smgitops.core.naming import image_uri

pytestmark = pytest.mark.integration


def test_register_pushes_a_missing_image_once(aws, repo, env_settings):
    settings = env_settings()
    ecr = aws_client("ecr", settings.region)
    tag = image_tag(repo, "demo")
    assert image_digest(ecr, settings, tag) is None

    first = push_image(ecr, settings, repo, "demo", builder="register")
    second = push_image(ecr, settings, repo, "demo", builder="register")

    assert first.pushed is True
    assert second.pushed is False
    assert first.uri == second.uri == image_uri(settings, tag)
    assert first.tag == tag
    listed = ecr.describe_images(repositoryName="smgitops-serving")["imageDetails"]
    assert [(d["imageTags"], d["imageDigest"]) for d in listed] == [([tag], first.digest)]
    assert second.digest == first.digest


def test_missing_repository_is_created_with_immutable_tags(aws, repo, env_settings):
    settings = env_settings()
    ecr = aws_client("ecr", settings.region)

    push_image(ecr, settings, repo, "demo", builder="register")

    (repository,) = ecr.describe_repositories(repositoryNames=["smgitops-serving"])["repositories"]
    assert repository["imageTagMutability"] == "IMMUTABLE"


def test_changed_container_gets_a_new_tag_and_a_new_digest(aws, repo, env_settings):
    settings = env_settings()
    ecr = aws_client("ecr", settings.region)
    old = push_image(ecr, settings, repo, "demo", builder="register")
    dockerfile = repo / "container" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "RUN echo changed\n")

    new = push_image(ecr, settings, repo, "demo", builder="register")

    assert new.pushed is True
    assert new.tag != old.tag
    assert new.digest != old.digest
    # The previous image stays for rollback.
    assert image_digest(ecr, settings, old.tag) == old.digest


def test_every_model_gets_its_own_image(aws, repo, env_settings):
    settings = env_settings()
    ecr = aws_client("ecr", settings.region)

    refs = [push_image(ecr, settings, repo, m, builder="register") for m in ("demo", "other")]

    assert len({r.digest for r in refs}) == 2
    assert {r.tag.split("-")[0] for r in refs} == {"demo", "other"}


def test_auto_builder_is_not_needed_when_the_image_exists(
    aws, repo, env_settings, monkeypatch, tmp_path
):
    settings = env_settings()
    ecr = aws_client("ecr", settings.region)
    push_image(ecr, settings, repo, "demo", builder="register")
    # Neither a Docker engine nor an emulator endpoint: auto could not build anything.
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")

    ref = push_image(ecr, settings, repo, "demo", builder="auto")

    assert ref.pushed is False


def test_docker_login_credentials_come_from_ecr(aws, env_settings):
    from smgitops.artifacts.builders import ecr_credentials

    credentials = ecr_credentials(aws_client("ecr", "eu-west-1"))

    assert credentials["username"] == "AWS"
    assert credentials["password"]
    assert credentials["registry"].startswith("https://")
