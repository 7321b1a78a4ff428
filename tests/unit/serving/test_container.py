"""The serving image's Dockerfile keeps the properties SageMaker and reviewers rely on."""

import json
import re
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parents[3] / "container" / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def values(keyword: str) -> list[str]:
    return [rest for key, rest in instructions() if key == keyword]


def test_base_image_is_pinned_by_digest():
    # The default base (BASE_IMAGE is only overridden for AWS Deep Learning Container bases).
    (default,) = [rest for rest in values("ARG") if rest.startswith("BASE_IMAGE=")]
    assert re.fullmatch(r"BASE_IMAGE=python:3\.11-slim@sha256:[0-9a-f]{64}", default)
    assert values("FROM")[0] == "${BASE_IMAGE} AS base"


def test_default_target_is_the_smgitops_serving_stage_and_dlc_bases_have_their_own():
    stages = [rest.rsplit(" ", 1)[-1] for rest in values("FROM")]
    assert stages == ["base", "serving-dlc", "serving-smgitops"]


def test_entrypoint_is_exec_form_so_docker_run_image_serve_works():
    (entrypoint,) = values("ENTRYPOINT")
    assert json.loads(entrypoint) == ["smgitops"]
    assert json.loads(values("CMD")[0]) == ["serve"]


def test_runs_as_a_non_root_user_and_exposes_8080():
    assert values("USER")[-1] not in ("root", "0")
    assert values("EXPOSE") == ["8080"]


def test_model_requirements_are_baked_in_at_build_time():
    runs = " ".join(values("RUN"))
    assert "-r model-requirements.txt -c models.txt" in runs
    assert any("models/${MODEL}/requirements.txt" in copy for copy in values("COPY"))


def test_every_install_checks_hashes_from_the_locks():
    # pip and uv both verify each downloaded file against the lock's sha256 in this mode; the
    # project itself installs from the copied source with no dependency resolution at all.
    installs = [run for run in values("RUN") if " install " in run]
    for run in installs:
        for command in run.split("&&"):
            if " install " in command:
                assert (
                    "--require-hashes" in command or "--no-deps --no-build-isolation ." in command
                )
    copied = " ".join(values("COPY"))
    for lock in ("requirements/uv.txt", "requirements/models.txt", "requirements/serve.txt"):
        assert lock in copied
