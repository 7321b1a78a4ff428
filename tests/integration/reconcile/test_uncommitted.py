"""An apply of changes git does not hold says so, and records the commit as not theirs."""

from __future__ import annotations

import json

import pytest

from testkit.scratch import Repo

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _not_in_github_actions(monkeypatch):
    monkeypatch.delenv("GITHUB_SHA", raising=False)  # CI's commit would win over git's


def _committed(repo: Repo) -> str:
    repo.git("init", "-q")
    repo.git("add", "-A")
    repo.git("commit", "-qm", "scorer")
    return repo.git("rev-parse", "--short=12", "HEAD").strip()


def test_an_apply_of_uncommitted_model_code_warns_and_records_a_dirty_commit(repo: Repo, aws):
    head = _committed(repo)
    source = (repo.root / "models/scorer/inference.py").read_text()
    repo.write("models/scorer/inference.py", source + "\n# tuned by hand\n")
    assert repo.run("image", "push", "--env", "staging").exit_code == 0

    applied = repo.run("apply", "--env", "staging", "--yes")

    assert applied.exit_code == 0, applied.output
    assert (
        "warning: uncommitted changes are applied (models/scorer/inference.py); the endpoints "
        f"record commit {head}-dirty: commit them for a deploy git can reproduce"
    ) in applied.stderr
    status = json.loads(repo.run("status", "--env", "staging", "--format", "json").stdout)
    assert status["endpoints"][0]["commit"] == f"{head}-dirty"

    repo.git("commit", "-qam", "tuned")
    repo.set_weight(3.0)
    planned = repo.run("plan", "--env", "staging")
    assert f"the live tarball was applied from uncommitted changes on {head}" in planned.stdout


def test_an_apply_of_a_clean_checkout_records_its_commit_and_says_nothing(repo: Repo, aws):
    head = _committed(repo)
    assert repo.run("image", "push", "--env", "staging").exit_code == 0

    applied = repo.run("apply", "--env", "staging", "--yes")

    assert applied.exit_code == 0, applied.output
    assert "uncommitted" not in applied.output
    status = json.loads(repo.run("status", "--env", "staging", "--format", "json").stdout)
    assert status["endpoints"][0]["commit"] == head
