"""Fixtures: the reconcile tests' scratch repository, with models from S3 or the registry."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Lets the tests import `trained` and the reconcile tests' `scratch` helpers.
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "reconcile"))

from scratch import ENV_YAML, INFERENCE_PY, Repo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aws) -> Repo:
    """models/scorer (code, and a folder artifact of weight 1) and a staging env, no manifest."""
    monkeypatch.chdir(tmp_path)
    repo = Repo(tmp_path)
    repo.write("deployments/staging/_env.yaml", ENV_YAML)
    repo.write("models/scorer/inference.py", INFERENCE_PY)
    repo.write("container/Dockerfile", "FROM scratch\n")
    repo.set_weight(1.0)
    return repo
