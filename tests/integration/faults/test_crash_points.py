"""SIGKILL `smgitops apply` at distinct points of a model update, then re-run it.

The kill is placed by watching the emulator's call log: when the chosen AWS call arrives (its
answer delayed by the emulator's latency knob, so the apply is still blocked on it), the apply
process is killed. Throughout, a loop keeps invoking the endpoint: it must always answer, with
the old or the new model. The re-run must take over the dead apply's lock, converge to the
manifest, and leave only the live config and the previous one (no orphans).
"""

from __future__ import annotations

import json
import signal

import boto3
import pytest

from smgitops.aws import garbage
from smgitops.core import naming
from testkit.faults import Invoker, census, count, lock_objects, start_apply, wait_for
from testkit.scratch import manifest

BUCKET = "smgitops-test-artifacts"


def _after(operation: str, times: int = 1):
    return lambda calls, invoker: count(calls, operation) >= times


def _during_smoke_test(calls, invoker):
    return invoker.foreign_invocations(calls) >= 1


def _while_waiting(calls, invoker):
    operations = [c.operation for c in calls if not c.throttled]
    if "UpdateEndpoint" not in operations:
        return False
    after = operations[operations.index("UpdateEndpoint") :]
    return after.count("DescribeEndpoint") >= 2


# point -> (when to kill, the call whose answer is delayed, extra knobs, model generations before)
POINTS = {
    "after_model_upload": (_after("PutObject", 2), ["PutObject"], {}, 1),
    "after_create_model": (_after("CreateModel"), ["CreateModel"], {}, 1),
    "after_create_endpoint_config": (
        _after("CreateEndpointConfig"),
        ["CreateEndpointConfig"],
        {},
        1,
    ),
    "while_waiting_for_the_update": (
        _while_waiting,
        ["DescribeEndpoint"],
        {"transition_seconds": 2.0},
        1,
    ),
    "during_smoke_test": (_during_smoke_test, ["InvokeEndpoint"], {}, 1),
    "during_garbage_collection": (
        _after("DeleteEndpointConfig"),
        ["DeleteEndpointConfig"],
        {},
        2,
    ),
}


def _exists(endpoint: str) -> bool:
    names = boto3.client("sagemaker").list_endpoints()["Endpoints"]
    return any(e["EndpointName"] == endpoint for e in names)


def _prediction(answer: bytes) -> float:
    return json.loads(answer)[0]


@pytest.mark.parametrize("point", list(POINTS))
def test_killed_apply_keeps_serving_and_a_rerun_converges_without_orphans(point, deployed, aws):
    seen, slow, knobs, generations = POINTS[point]
    for weight in range(2, generations + 1):  # earlier generations give GC something to do
        deployed.set_weight(float(weight))
        assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    old, new = 6.0 * generations, 6.0 * (generations + 1)
    deployed.set_weight(float(generations + 1))

    aws.clear_calls()  # before the invoker starts: its count must match the log's
    with Invoker("staging-scorer") as invoker:
        aws.configure(latency_seconds=0.5, latency_operations=slow, **knobs)
        process = start_apply(deployed.root)
        wait_for(aws, lambda calls: seen(calls, invoker), process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        aws.configure(latency_seconds=0.0, latency_operations=[])
        assert _prediction(invoker.answers[-1]) in (old, new)

        rerun = deployed.run("apply", "--env", "staging", "--yes")
        assert rerun.exit_code == 0, rerun.output
        assert "taking over the apply lock" in rerun.output and "no longer running" in rerun.output
        if point == "during_smoke_test":  # the killed run's test never finished: run it again
            assert "smoke test passed" in rerun.output

    assert invoker.errors == []
    assert {_prediction(a) for a in invoker.answers} <= {old, new}
    assert _prediction(invoker.answers[-1]) == new
    final = census("staging-scorer")
    # no orphans: the live config and the previous one (kept for a revert), and their models
    assert final.previous_config not in (None, final.live_config)
    assert final.configs == {final.live_config, final.previous_config}
    assert final.models == final.kept_models
    assert lock_objects(BUCKET) == []
    assert deployed.run("plan", "--env", "staging", "--detailed-exitcode").exit_code == 0


@pytest.mark.parametrize("creation_fails", [False, True], ids=["comes_up", "fails"])
def test_rerun_after_a_kill_during_creation_waits_and_reports_how_it_ended(
    creation_fails, deployed, aws
):
    deployed.write("deployments/staging/second.yaml", manifest(name="second"))
    aws.clear_calls()
    # The creation lasts long enough for the re-run to find it Creating on a loaded machine.
    aws.configure(
        latency_seconds=0.5, latency_operations=["CreateEndpoint"], transition_seconds=6.0
    )
    if creation_fails:
        aws.fail_next_creates()
    process = start_apply(deployed.root)
    wait_for(aws, lambda calls: count(calls, "CreateEndpoint") >= 1, process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    aws.configure(latency_seconds=0.0, latency_operations=[])
    wait_for(aws, lambda calls: _exists("staging-second"))  # the killed run's call lands

    rerun = deployed.run("apply", "--env", "staging", "--yes")  # finds it Creating

    if creation_fails:
        assert rerun.exit_code == 1
        assert "staging-second: endpoint_failed: endpoint failed: Injected failure" in rerun.output
    else:
        assert rerun.exit_code == 0, rerun.output
        assert "an earlier apply's change completed" in rerun.output
        assert "staging-second: smoke test passed" in rerun.output
    assert count(aws.calls(), "CreateEndpoint") == 1  # never raced or created twice


def test_garbage_collection_skips_what_a_killed_run_deleted_after_the_listing(deployed, aws):
    deployed.set_weight(2.0)
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    sm = boto3.client("sagemaker")
    before = census("staging-scorer")
    stale = before.previous_config
    # as after a third generation: the first config is no longer the one to keep for a revert
    arn = sm.describe_endpoint(EndpointName="staging-scorer")["EndpointArn"]
    sm.add_tags(
        ResourceArn=arn, Tags=[{"Key": naming.TAG_PREVIOUS_CONFIG, "Value": before.live_config}]
    )
    configs, models = garbage.list_configs_and_models(sm)
    # a killed run's DeleteEndpointConfig lands between this run's listing and its deletes
    sm.delete_endpoint_config(EndpointConfigName=stale)

    deleted = garbage.collect(sm, "staging-scorer", "staging", configs, models)

    assert [item.split()[0] for item in deleted] == ["model"]  # the stale model, nothing else
    after = census("staging-scorer")
    assert after.configs == {after.live_config}
    assert after.models == after.kept_models
