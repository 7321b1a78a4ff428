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

import pytest
from faultkit import Invoker, census, count, lock_objects, start_apply, wait_for

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
