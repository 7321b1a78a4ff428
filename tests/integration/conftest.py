"""Fixtures shared by the reconcile, fault and model-source tests: a scratch GitOps repository
(see testkit/scratch.py) on a clean emulator, before and after its first deploy."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.scratch import Repo, scratch_repo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aws) -> Repo:
    monkeypatch.chdir(tmp_path)
    return scratch_repo(tmp_path)


@pytest.fixture
def deployed(repo: Repo) -> Repo:
    """The scratch repo after `image push` and a first successful apply (prediction 6.0)."""
    pushed = repo.run("image", "push", "--env", "staging")
    assert pushed.exit_code == 0, pushed.output
    applied = repo.run("apply", "--env", "staging", "--yes")
    assert applied.exit_code == 0, applied.output
    return repo
