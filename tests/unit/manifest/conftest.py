"""A throwaway repository with one valid environment, for manifest tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.samples import ENDPOINT, ENV_SETTINGS, INFERENCE, Repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    root = tmp_path / "repo"
    repository = Repo(root)
    repository.write("deployments/staging/_env.yaml", ENV_SETTINGS)
    repository.write("deployments/staging/demo-regressor.yaml", ENDPOINT)
    repository.write("models/demo-regressor/inference.py", INFERENCE)
    return repository
