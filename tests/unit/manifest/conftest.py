"""A throwaway repository with one valid environment, for manifest tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Lets the test modules import manifest_samples (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(Path(__file__).parent))

from manifest_samples import ENDPOINT, ENV_SETTINGS, INFERENCE, Repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    root = tmp_path / "repo"
    repository = Repo(root)
    repository.write("deployments/staging/_env.yaml", ENV_SETTINGS)
    repository.write("deployments/staging/demo-regressor.yaml", ENDPOINT)
    repository.write("models/demo-regressor/inference.py", INFERENCE)
    return repository
