"""`smgitops status`: what is live per endpoint, and how the last apply of it ended."""

from __future__ import annotations

import json

import pytest

from testkit.scratch import manifest

pytestmark = pytest.mark.integration


def status(repo, *args: str) -> dict:
    result = repo.run("status", "--env", "staging", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_status_shows_what_is_live_and_how_the_last_apply_ended(deployed):
    (row,) = status(deployed)["endpoints"]

    assert (row["endpoint"], row["status"], row["smoke_tested"]) == (
        "staging-scorer",
        "InService",
        True,
    )
    assert "@sha256:" in row["image"]
    assert row["model_data"].startswith("s3://smgitops-test-artifacts/smgitops/models/scorer/p2-")
    assert row["last_apply"]["outcome"] == "applied"
    assert row["commit"] == row["last_apply"]["commit"]

    text = deployed.run("status", "--env", "staging").stdout
    assert "staging-scorer  InService" in text
    assert "smoke test passed" in text
    assert "last apply " in text and ": applied: " in text


def test_status_after_a_failed_smoke_test_names_the_failure(deployed):
    deployed.write(
        "deployments/staging/scorer.yaml",
        manifest(smoke="expectJson:\n  path: $[0]\n  equals: 99"),
    )
    deployed.set_weight(2.0)
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 1

    (row,) = status(deployed, "scorer")["endpoints"]

    assert row["status"] == "InService"  # rolled back, still serving
    assert row["last_apply"]["outcome"] == "smoke_test_failed"
    assert "rolled back to" in row["last_apply"]["message"]


def test_an_unknown_name_is_one_line_naming_the_known_ones(deployed):
    result = deployed.run("status", "--env", "staging", "nope")
    assert result.exit_code == 1
    assert "no manifest named nope in env staging (known: scorer)" in result.output


def test_a_corrupt_history_object_never_stops_status_or_apply(deployed):
    import boto3

    key = "smgitops/history/staging.json"
    boto3.client("s3").put_object(Bucket="smgitops-test-artifacts", Key=key, Body=b"[not json")

    text = deployed.run("status", "--env", "staging")
    assert text.exit_code == 0, text.output
    assert (
        "note: the apply history of env staging s3://smgitops-test-artifacts/"
        "smgitops/history/staging.json is corrupt (not JSON: Expecting value at line 1 "
        "column 2); last outcomes unknown; the next apply starts a new history"
    ) in " ".join(text.stdout.split())
    deployed.set_weight(3.0)
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    (row,) = status(deployed)["endpoints"]
    assert row["last_apply"]["outcome"] == "applied"  # a fresh history replaced it
