"""A model's serving environment: what it is keyed by, and old ones cleaned up."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from smgitops.artifacts import model_env

LOCK_A = "joblib==1.6.0 \\\n    --hash=sha256:aa\n    # via -r models/a/requirements.txt\n"


def _spec(tmp_path: Path, lock: str, requirements: str = "joblib==1.6.0\n") -> model_env.EnvSpec:
    (tmp_path / "models.txt").write_text(lock)
    (tmp_path / "serve.txt").write_text("numpy==2.4.6 \\\n    --hash=sha256:bb\n")
    return model_env.EnvSpec(
        python="3.11",
        requirements=requirements,
        shown="models/a/requirements.txt",
        constraints=tmp_path / "models.txt",
        serve=tmp_path / "serve.txt",
    )


def test_the_key_ignores_lock_lines_of_other_models(tmp_path):
    before = _spec(tmp_path, LOCK_A).key
    other = (
        LOCK_A + "torch==2.9.0 \\\n    --hash=sha256:cc\n    # via -r models/b/requirements.txt\n"
    )

    assert _spec(tmp_path, other).key == before


def test_the_key_changes_with_the_models_requirements_or_their_pins(tmp_path):
    before = _spec(tmp_path, LOCK_A).key

    assert _spec(tmp_path, LOCK_A.replace("1.6.0", "1.6.1")).key != before
    assert _spec(tmp_path, LOCK_A, "joblib==1.6.0\nnumpy==2.4.6\n").key != before


@pytest.mark.parametrize(
    ("dockerfile", "python"),
    [("ARG BASE_IMAGE=python:3.11-slim@sha256:ab\nFROM ${BASE_IMAGE}\n", "3.11")],
)
def test_the_python_version_is_the_dockerfiles_base(tmp_path, dockerfile, python):
    (tmp_path / "Dockerfile").write_text(dockerfile)

    assert model_env.image_python(tmp_path / "Dockerfile") == python


def test_a_dockerfile_without_a_python_base_is_one_line(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM ubuntu:24.04\n")

    with pytest.raises(model_env.EnvironmentFailed, match="cannot tell the serving image's Python"):
        model_env.image_python(tmp_path / "Dockerfile")


def test_environments_unused_for_a_month_are_removed_when_another_is_built(tmp_path):
    envs = tmp_path / "envs"
    old, recent, new = (envs / name for name in ("old", "recent", "new"))
    for folder in (old, recent, new):
        folder.mkdir(parents=True)
        (folder / ".complete").write_text("key\n")
    month_ago = time.time() - (model_env.UNUSED_DAYS + 1) * 86400
    os.utime(old / ".complete", (month_ago, month_ago))
    os.utime(new / ".complete", (month_ago, month_ago))  # kept anyway: the one just built

    model_env._prune(envs, keep=new)

    assert sorted(p.name for p in envs.iterdir() if p.is_dir()) == ["new", "recent"]
