"""Rollback alarms must exist: an update that would rely on a missing one is a plan error, and
a create names it as a warning (guardrails only act on updates)."""

from __future__ import annotations

import pytest

from testkit.scratch import create_5xx_alarm, manifest

pytestmark = pytest.mark.integration

ALARM = "staging-scorer-5xx"


def guarded(count: int = 1) -> str:
    return manifest(count=count) + (
        "  deployment:\n    strategy: all-at-once\n    rollbackAlarms: [staging-scorer-5xx]\n"
    )


def test_an_update_relying_on_a_missing_rollback_alarm_is_refused_with_the_fix(deployed):
    deployed.write("deployments/staging/scorer.yaml", guarded())
    deployed.set_weight(2.0)  # a new config: the update would run under the guardrails

    planned = deployed.run("plan", "--env", "staging")

    assert planned.exit_code == 1
    assert (
        "deployments/staging/scorer.yaml: rollback alarm(s) staging-scorer-5xx do not exist in "
        "CloudWatch, so this update would run without its rollback net: create them, or remove "
        "them from spec.deployment.rollbackAlarms"
    ) in " ".join(planned.output.split())
    refused = deployed.run("apply", "--env", "staging", "--yes")
    assert refused.exit_code == 1
    assert deployed.predict() == 6.0  # nothing changed

    create_5xx_alarm(ALARM, "staging-scorer")
    assert deployed.run("plan", "--env", "staging", "--detailed-exitcode").exit_code == 2
    assert deployed.run("apply", "--env", "staging", "--yes").exit_code == 0
    assert deployed.predict() == 12.0


def test_a_create_names_a_missing_rollback_alarm_as_a_warning(repo):
    repo.write("deployments/staging/scorer.yaml", guarded())
    assert repo.run("image", "push", "--env", "staging").exit_code == 0

    applied = repo.run("apply", "--env", "staging", "--yes")

    assert applied.exit_code == 0, applied.output
    assert (
        "rollback alarm(s) staging-scorer-5xx do not exist in CloudWatch: the next update of "
        "this endpoint is refused until they do"
    ) in " ".join(applied.output.split())
