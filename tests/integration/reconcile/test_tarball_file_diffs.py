"""A new tarball in the plan says which of its files change, from git and the pins alone."""

from __future__ import annotations

import hashlib
import json

from testkit.scratch import Repo


def _file_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("file")]


def test_an_update_names_each_changed_file_with_its_size_and_hash(repo: Repo, aws):
    repo.git("init", "-q")
    repo.git("add", "-A")
    repo.git("commit", "-qm", "weight 1")
    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    assert repo.run("apply", "--env", "staging", "--yes").exit_code == 0
    old = hashlib.sha256((repo.root / "models/scorer/artifact/weight.txt").read_bytes())
    repo.set_weight(2.0)
    repo.git("add", "-A")
    repo.git("commit", "-qm", "weight 2")

    planned = repo.run("plan", "--env", "staging")

    assert planned.exit_code == 0, planned.output
    new = hashlib.sha256(b"2.0\n").hexdigest()
    assert _file_lines(planned.stdout) == [
        f"file weight.txt: 4 B {old.hexdigest()[:12]} -> 4 B {new[:12]}"
    ]
    document = json.loads(repo.run("plan", "--env", "staging", "--format", "json").stdout)
    (endpoint,) = document["endpoints"]
    assert endpoint["files"] == [
        {
            "name": "weight.txt",
            "before": {"sha256": old.hexdigest(), "size": 4},
            "after": {"sha256": new, "size": 4},
        }
    ]


def test_without_the_deploying_commit_the_plan_says_why_files_are_not_known(repo: Repo, aws):
    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    assert repo.run("apply", "--env", "staging", "--yes").exit_code == 0  # not a git checkout
    repo.set_weight(2.0)

    planned = repo.run("plan", "--env", "staging")

    (line,) = _file_lines(planned.stdout)
    assert line == "files: not known (no commit is recorded for the live tarball)"
