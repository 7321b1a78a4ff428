"""Two applies on one env never race: the second refuses, naming the first; stale locks break."""

from __future__ import annotations

import json
import socket
import subprocess

import boto3

from smgitops.aws import lock
from testkit.faults import count, finish, lock_objects, start_apply, wait_for

BUCKET = "smgitops-test-artifacts"
LOCK_KEY = "smgitops/locks/staging.json"


def _foreign_lock(host: str = "ci-runner-7", pid: int = 4242, machine: str = "") -> None:
    body = {
        "version": 1,
        "env": "staging",
        "user": "deploy",
        "host": host,
        "pid": pid,
        "commit": "abc123",
        "since": "2026-01-02T03:04:05+00:00",
        "token": "someone-else",
        "machine": machine,
    }
    boto3.client("s3").put_object(Bucket=BUCKET, Key=LOCK_KEY, Body=json.dumps(body).encode())


def test_second_apply_refuses_while_the_first_runs_and_the_first_converges(deployed, aws):
    deployed.set_weight(2.0)
    aws.configure(latency_seconds=2.0, latency_operations=["UpdateEndpoint"])
    first = start_apply(deployed.root)
    wait_for(aws, lambda calls: count(calls, "UpdateEndpoint") >= 1, first)

    second = deployed.run("apply", "--env", "staging", "--yes")

    assert second.exit_code == 1
    line = second.output.strip().splitlines()[-1]
    assert line.startswith("Error: apply already running for env staging since ")
    assert f"(pid {first.pid}, commit " in line
    assert "--break-lock" in line and "Traceback" not in second.output
    assert count(aws.calls(), "UpdateEndpoint") == 1  # only the first apply's
    code, output = finish(first)
    assert code == 0, output
    assert deployed.predict() == 12.0
    assert lock_objects(BUCKET) == []


def test_lock_held_elsewhere_refuses_until_broken_and_plan_ignores_it(deployed, aws):
    deployed.set_weight(2.0)
    _foreign_lock()

    refused = deployed.run("apply", "--env", "staging", "--yes")
    assert refused.exit_code == 1
    assert "since 2026-01-02T03:04:05+00:00" in refused.output
    assert "by deploy@ci-runner-7 (pid 4242, commit abc123)" in refused.output
    assert deployed.predict() == 6.0
    assert deployed.run("plan", "--env", "staging", "--detailed-exitcode").exit_code == 2

    broken = deployed.run("apply", "--env", "staging", "--yes", "--break-lock")
    assert broken.exit_code == 0, broken.output
    assert "breaking the apply lock of env staging held by deploy@ci-runner-7" in broken.output
    assert deployed.predict() == 12.0
    assert lock_objects(BUCKET) == []


def test_lock_of_a_dead_process_on_this_host_is_taken_over(deployed, aws):
    gone = subprocess.Popen(["true"])
    gone.wait()  # a pid that no longer runs
    _foreign_lock(host=socket.gethostname(), pid=gone.pid, machine=lock.this_machine())
    deployed.set_weight(2.0)
    result = deployed.run("apply", "--env", "staging", "--yes")
    assert result.exit_code == 0, result.output
    assert "taking over the apply lock of env staging" in result.output
    assert deployed.predict() == 12.0


def test_failed_apply_releases_its_lock(deployed, aws):
    aws.fail_next_updates()
    deployed.set_weight(2.0)
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 1
    assert lock_objects(BUCKET) == []
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
