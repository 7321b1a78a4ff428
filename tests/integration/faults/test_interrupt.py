"""Ctrl-C during apply: no new endpoint work starts, what was in flight is named, exit 130,
the endpoints keep serving, and a re-run converges."""

from __future__ import annotations

import json
import signal

from testkit.faults import Invoker, census, count, finish, lock_objects, start_apply, wait_for
from testkit.scratch import ENV_YAML, manifest

BUCKET = "smgitops-test-artifacts"


def test_ctrl_c_stops_new_work_exits_130_and_a_rerun_converges(repo, aws):
    repo.write("deployments/staging/_env.yaml", ENV_YAML + "maxParallel: 1\n")
    repo.write("deployments/staging/second.yaml", manifest(name="second"))
    assert repo.run("image", "push", "--env", "staging").exit_code == 0
    assert repo.run("apply", "--env", "staging", "--yes").exit_code == 0
    repo.set_weight(2.0)  # both endpoints serve the scorer model: both update

    with Invoker("staging-scorer") as scorer, Invoker("staging-second") as second:
        aws.clear_calls()
        aws.configure(transition_seconds=3.0)
        process = start_apply(repo.root)
        wait_for(aws, lambda calls: count(calls, "UpdateEndpoint") >= 1, process)
        process.send_signal(signal.SIGINT)
        code, output = finish(process)
        aws.configure(transition_seconds=0.1)

        assert code == 130, output
        assert "Traceback" not in output
        assert ": in flight: interrupted after: updating to staging-" in output
        assert ": not started" in output
        assert count(aws.calls(), "UpdateEndpoint") == 1  # the second endpoint was never touched
        assert lock_objects(BUCKET) == []
        # The interrupted apply is history too: status says how it ended.
        shown = json.loads(repo.run("status", "--env", "staging", "--format", "json").stdout)
        outcomes = {row["endpoint"]: row["last_apply"]["outcome"] for row in shown["endpoints"]}
        assert "interrupted" in outcomes.values(), outcomes

        rerun = repo.run("apply", "--env", "staging", "--yes")
        assert rerun.exit_code == 0, rerun.output

    assert scorer.errors == [] and second.errors == []
    for invoker in (scorer, second):
        assert {json.loads(a)[0] for a in invoker.answers} <= {6.0, 12.0}
        assert json.loads(invoker.answers[-1])[0] == 12.0
    for endpoint in ("staging-scorer", "staging-second"):
        final = census(endpoint)
        assert final.live_config != final.previous_config
        assert {c for c in final.configs if c.startswith(endpoint + "-")} == {
            final.live_config,
            final.previous_config,
        }
    assert repo.run("plan", "--env", "staging", "--detailed-exitcode").exit_code == 0
