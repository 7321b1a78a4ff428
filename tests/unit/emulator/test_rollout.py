"""How the emulator turns a DeploymentConfig into traffic steps over time (pure functions)."""

import pytest

from smgitops.emulator.rollout import BAKING, CREATING, TrafficStep, position, traffic_steps


def blue_green(routing: dict, termination_wait: int = 0) -> dict:
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": termination_wait,
            "MaximumExecutionTimeoutInSeconds": 3600,
        }
    }


def shares(steps: list[TrafficStep]) -> list[float]:
    return [round(step.new_share, 4) for step in steps]


def test_without_a_config_all_traffic_moves_at_once_with_no_wait():
    assert traffic_steps(None) == [TrafficStep(1.0, 0.0)]


def test_all_at_once_holds_the_termination_wait_after_the_switch():
    config = blue_green({"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}, termination_wait=120)

    assert traffic_steps(config) == [TrafficStep(1.0, 120.0)]


def test_canary_bakes_its_share_then_moves_the_rest_and_waits_for_termination():
    config = blue_green(
        {
            "Type": "CANARY",
            "WaitIntervalInSeconds": 300,
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
        },
        termination_wait=60,
    )

    assert traffic_steps(config, instances=4) == [TrafficStep(0.1, 300.0), TrafficStep(1.0, 60.0)]


def test_canary_by_instance_count_is_that_share_of_the_fleet():
    config = blue_green(
        {
            "Type": "CANARY",
            "WaitIntervalInSeconds": 300,
            "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
        }
    )

    assert shares(traffic_steps(config, instances=4)) == [0.25, 1.0]


def test_a_canary_as_large_as_the_fleet_is_a_single_step():
    config = blue_green(
        {
            "Type": "CANARY",
            "WaitIntervalInSeconds": 300,
            "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 2},
        }
    )

    assert shares(traffic_steps(config, instances=2)) == [1.0]


@pytest.mark.parametrize(
    ("size", "instances", "expected"),
    [
        ({"Type": "CAPACITY_PERCENT", "Value": 25}, 1, [0.25, 0.5, 0.75, 1.0]),
        ({"Type": "CAPACITY_PERCENT", "Value": 30}, 1, [0.3, 0.6, 0.9, 1.0]),
        ({"Type": "CAPACITY_PERCENT", "Value": 10}, 1, [i / 10 for i in range(1, 11)]),
        ({"Type": "INSTANCE_COUNT", "Value": 1}, 3, [0.3333, 0.6667, 1.0]),
    ],
)
def test_linear_moves_one_step_at_a_time_and_the_last_step_takes_the_rest(
    size, instances, expected
):
    config = blue_green({"Type": "LINEAR", "WaitIntervalInSeconds": 60, "LinearStepSize": size})

    steps = traffic_steps(config, instances)

    assert shares(steps) == [round(share, 4) for share in expected]
    assert [step.wait_seconds for step in steps[:-1]] == [60.0] * (len(steps) - 1)
    assert steps[-1].wait_seconds == 0.0  # the termination wait, 0 by default


def test_rolling_provisions_each_batch_and_waits_between_batches_only():
    config = {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 2},
            "WaitIntervalInSeconds": 60,
        }
    }

    steps = traffic_steps(config, instances=5)

    assert shares(steps) == [0.4, 0.8, 1.0]
    assert [step.wait_seconds for step in steps] == [60.0, 60.0, 0.0]
    assert [step.provisions for step in steps] == [False, True, True]


CANARY_STEPS = [TrafficStep(0.1, 300.0), TrafficStep(1.0, 60.0)]


@pytest.mark.parametrize(
    ("since_up", "share", "phase"),
    [
        (0.0, 0.1, BAKING),  # the canary takes its share as soon as the new fleet is up
        (2.99, 0.1, BAKING),  # 300 s bake at 1/100 real time
        (3.0, 1.0, BAKING),  # then everything, during the termination wait
        (3.59, 1.0, BAKING),
    ],
)
def test_position_during_a_canary_update(since_up, share, phase):
    where = position(CANARY_STEPS, since_up, transition_seconds=1.0, wait_scale=0.01)

    assert (where.new_share, where.phase, where.done) == (share, phase, False)


def test_the_update_completes_after_the_last_wait():
    where = position(CANARY_STEPS, 3.6, transition_seconds=1.0, wait_scale=0.01)

    assert (where.new_share, where.phase, where.done) == (1.0, None, True)


def test_a_wait_scale_of_zero_skips_the_bakes():
    assert position(CANARY_STEPS, 0.0, transition_seconds=1.0, wait_scale=0).done


def test_rolling_batches_are_creating_while_they_are_provisioned():
    steps = [TrafficStep(0.5, 10.0), TrafficStep(1.0, 0.0, provisions=True)]

    creating = position(steps, 10.5, transition_seconds=1.0, wait_scale=1.0)
    done = position(steps, 11.0, transition_seconds=1.0, wait_scale=1.0)

    assert (creating.new_share, creating.phase, creating.done) == (0.5, CREATING, False)
    assert done.done
