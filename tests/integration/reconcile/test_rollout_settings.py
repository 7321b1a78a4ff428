"""A change of only the deployment guardrails or the smoke test creates nothing: the plan says
it applies at the next update, and says nothing once an update rolled out with it."""

from __future__ import annotations

import pytest

from testkit.scratch import manifest

pytestmark = pytest.mark.integration

NOTE = (
    "deployment guardrails or smoke test changed: nothing to apply now, they apply at the "
    "next update of this endpoint"
)


def test_a_smoke_test_change_alone_is_named_as_pending_until_the_next_update(deployed):
    deployed.write(
        "deployments/staging/scorer.yaml",
        manifest(smoke="expectJson:\n  path: $[0]\n  equals: 6.0"),
    )

    planned = deployed.run("plan", "--env", "staging", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output  # nothing to create or update
    assert NOTE in " ".join(planned.output.split())

    deployed.set_weight(2.0)
    deployed.write(
        "deployments/staging/scorer.yaml",
        manifest(smoke="expectJson:\n  path: $[0]\n  equals: 12.0"),
    )
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    after = deployed.run("plan", "--env", "staging", "--detailed-exitcode")
    assert after.exit_code == 0, after.output
    assert NOTE not in " ".join(after.output.split())
