"""Fixtures: the reconcile tests' scratch repository, with models from S3 or the registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.scratch import Repo, scratch_repo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aws) -> Repo:
    """models/scorer (code, and a folder artifact of weight 1) and a staging env, no manifest."""
    monkeypatch.chdir(tmp_path)
    return scratch_repo(tmp_path, with_manifest=False)
