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
    (base,) = values("FROM")
    assert re.fullmatch(r"python:3\.11-slim@sha256:[0-9a-f]{64}", base)


def test_entrypoint_is_exec_form_so_docker_run_image_serve_works():
    (entrypoint,) = values("ENTRYPOINT")
    assert json.loads(entrypoint) == ["smgitops"]
    assert json.loads(values("CMD")[0]) == ["serve"]


def test_runs_as_a_non_root_user_and_exposes_8080():
    assert values("USER")[-1] not in ("root", "0")
    assert values("EXPOSE") == ["8080"]


def test_model_requirements_are_baked_in_at_build_time():
    runs = " ".join(values("RUN"))
    assert "-r model-requirements.txt" in runs
    assert '".[serve]"' in runs
    assert any("models/${MODEL}/requirements.txt" in copy for copy in values("COPY"))
