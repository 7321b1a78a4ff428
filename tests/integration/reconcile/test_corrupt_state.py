"""State objects that are not what smgitops wrote (hand-edited, truncated, another tool's):
each command that needs one stops with one line naming the object, what is wrong and the
remedy; commands that do not need it go on."""

from __future__ import annotations

import json
import os

import boto3
import pytest

BUCKET = "smgitops-test-artifacts"
INVENTORY = "smgitops/inventory/staging.json"
LOCK = "smgitops/locks/staging.json"


def _put(key: str, body: bytes) -> None:
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=body)


def _error_line(result) -> str:
    lines = result.output.strip().splitlines()
    assert len([line for line in lines if line.startswith("Error: ")]) == 1, result.output
    return lines[-1]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"[]", "top level: expected an object, got a list"),
        (b'{"endpoints": "staging-scorer"}', "endpoints: expected a list, got text"),
        (b'{"endpoints": [null]}', "endpoints[0]: expected text, got null"),
        (b"\x00\x01", "not JSON: Expecting value at line 1 column 1"),
    ],
)
def test_a_corrupt_inventory_stops_plan_in_one_line_and_status_notes_it(deployed, body, problem):
    _put(INVENTORY, body)

    for command in (["plan"], ["drift"], ["apply", "--yes"]):
        result = deployed.run(*command, "--env", "staging")
        assert result.exit_code == 1, result.output
        assert _error_line(result) == (
            f"Error: the inventory of env staging s3://{BUCKET}/{INVENTORY} is corrupt "
            f"({problem}); restore an earlier version of it, or delete it and the next apply "
            "writes a new one from the manifests (endpoints only it named are then no longer "
            "pruned: delete those by hand)"
        )
    status = deployed.run("status", "--env", "staging")
    assert status.exit_code == 0, status.output
    assert (
        f"note: the inventory of env staging s3://{BUCKET}/{INVENTORY} is corrupt" in status.output
    )
    assert "staging-scorer  InService" in status.output
    assert deployed.run("validate").exit_code == 0


def test_a_corrupt_lock_refuses_apply_naming_it_and_break_lock_clears_it(deployed):
    _put(LOCK, json.dumps({"env": "staging", "pid": "4242"}).encode())

    refused = deployed.run("apply", "--env", "staging", "--yes")

    assert refused.exit_code == 1
    assert _error_line(refused) == (
        f"Error: the apply lock of env staging s3://{BUCKET}/{LOCK} is corrupt (user: expected "
        "text, got null); whether an apply runs is unknown: wait for any to finish, or if none "
        "runs, run `smgitops apply --env staging --break-lock`"
    )
    assert deployed.run("plan", "--env", "staging").exit_code == 0  # plan takes no lock
    broken = deployed.run("apply", "--env", "staging", "--yes", "--break-lock")
    assert broken.exit_code == 0, broken.output
    assert "breaking the apply lock of env staging held by an unreadable holder" in broken.output


def test_a_saved_plan_that_is_not_one_is_refused_in_one_line(deployed):
    saved = deployed.root / "plan.json"
    assert deployed.run("plan", "--env", "staging", "--out", "plan.json").exit_code == 0
    document = json.loads(saved.read_text())
    remedy = "run `smgitops plan --env staging --out plan.json` again and review it"
    tampered = {
        b"[1, 2": "not JSON: Expecting ',' delimiter at line 1 column 6",
        json.dumps(
            {**document, "env": "prod"}
        ).encode(): 'env: it is a plan of env "prod", not staging',
        json.dumps({**document, "endpoints": [7]}).encode(): "endpoints[0]: expected an object",
    }
    for body, problem in tampered.items():
        saved.write_bytes(body)
        result = deployed.run("apply", "--env", "staging", "--plan", "plan.json")
        assert result.exit_code == 1, result.output
        assert (
            _error_line(result) == f"Error: plan plan.json cannot be applied ({problem}); {remedy}"
        )

    saved.unlink()
    os.mkfifo(saved)
    result = deployed.run("apply", "--env", "staging", "--plan", "plan.json")
    assert _error_line(result) == (
        f"Error: plan plan.json is a FIFO (named pipe) (allowed: a regular file); {remedy}"
    )


def test_a_plan_saved_where_no_folder_is_says_so_in_one_line(deployed):
    result = deployed.run("plan", "--env", "staging", "--out", "no/such/folder/plan.json")

    assert result.exit_code == 1
    assert _error_line(result) == (
        "Error: cannot save the plan to no/such/folder/plan.json: No such file or directory"
    )
