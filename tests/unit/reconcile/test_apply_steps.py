"""Apply's table of steps: every action the planner can decide has a row, and what each row
reads from the plan."""

from __future__ import annotations

from smgitops.aws.apply import STEPS, EndpointApplier, Outcome
from smgitops.core.plan import Action, EndpointChange, FieldDiff, Reason


def test_every_action_the_planner_decides_has_its_steps():
    assert set(STEPS) == set(Action)
    # Deletes and no-ops never start a fleet; creates and updates never delete one first
    # (a replace deletes a Failed endpoint only, before creating it again).
    assert EndpointApplier.create_endpoint not in STEPS[Action.DELETE]
    assert STEPS[Action.NOOP] == STEPS[Action.ORPHAN] == ()
    assert EndpointApplier.delete_endpoint not in STEPS[Action.UPDATE]
    assert STEPS[Action.REPLACE].index(EndpointApplier.delete_endpoint) < STEPS[
        Action.REPLACE
    ].index(EndpointApplier.create_endpoint)


def test_capacity_step_sets_exactly_the_counts_and_weights_the_plan_diffs_name():
    change = EndpointChange(
        "staging-churn",
        Action.UPDATE_CAPACITY,
        Reason.CAPACITY_CHANGED,
        diffs=(
            FieldDiff("variants[primary].instanceCount", "2", "4"),
            FieldDiff("variants[canary].weight", "0", "1"),
            FieldDiff("autoscaling[primary]", None, "1..4 instances, target 100 X"),
        ),
    )

    assert change.capacity_changes == {
        "primary": frozenset({"instanceCount"}),
        "canary": frozenset({"weight"}),
    }


def test_only_failures_a_rerun_of_the_same_commit_can_fix_are_retryable():
    retryable = {o for o in Outcome if o.retryable}

    assert retryable == {Outcome.WAIT_TIMEOUT, Outcome.AWS_ERROR, Outcome.INTERRUPTED}
    # A rolled-back update or a failed smoke test needs a change in git (or a revert) first.
    assert not Outcome.UPDATE_ROLLED_BACK.retryable
    assert not Outcome.SMOKE_TEST_FAILED.retryable
