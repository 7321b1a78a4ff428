"""Fixtures of the fault tests: the reconcile scratch repo, deployed once, on a clean emulator."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The scratch repository helper is shared with the reconcile tests; faultkit lives here.
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "reconcile"))

from scratch import ENV_YAML, INFERENCE_PY, Repo, manifest


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aws) -> Repo:
    monkeypatch.chdir(tmp_path)
    repo = Repo(tmp_path)
    repo.write("deployments/staging/_env.yaml", ENV_YAML)
    repo.write("deployments/staging/scorer.yaml", manifest())
    repo.write("models/scorer/inference.py", INFERENCE_PY)
    repo.write("container/Dockerfile", "FROM scratch\n")
    repo.set_weight(1.0)
    return repo


@pytest.fixture
def deployed(repo: Repo) -> Repo:
    """The scratch repo after `image push` and a first successful apply (prediction 6.0)."""
    pushed = repo.run("image", "push", "--env", "staging")
    assert pushed.exit_code == 0, pushed.output
    applied = repo.run("apply", "--env", "staging", "--yes")
    assert applied.exit_code == 0, applied.output
    return repo
