"""The waiter, on a scripted SageMaker and a fake clock: how often it polls, what it reports,
when it gives up."""

from __future__ import annotations

import pytest

from smgitops.aws.waiting import WaitTimeout, first_poll_seconds, poll_delays, wait_until_settled
from smgitops.errors import ConfigError


class ScriptedSageMaker:
    """DescribeEndpoint answers one scripted status per call (None: the endpoint is gone)."""

    def __init__(self, *statuses: str | tuple[str, str] | None) -> None:
        self.statuses = list(statuses)
        self.calls = 0

    def describe_endpoint(self, EndpointName: str) -> dict:
        self.calls += 1
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if status is None:
            from botocore.exceptions import ClientError

            raise ClientError(
                {"Error": {"Code": "ValidationException", "Message": "Could not find endpoint"}},
                "DescribeEndpoint",
            )
        status, phase = status if isinstance(status, tuple) else (status, None)
        response = {
            "EndpointName": EndpointName,
            "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{EndpointName}",
            "EndpointStatus": status,
            "EndpointConfigName": "cfg",
        }
        if phase:
            response["PendingDeploymentSummary"] = {
                "ProductionVariants": [{"VariantStatus": [{"Status": phase}]}]
            }
        return response

    def list_tags(self, ResourceArn: str) -> dict:
        return {"Tags": []}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _wait(sagemaker, clock, timeout_s=600.0, first_poll_s=1.0):
    said: list[str] = []
    settled = wait_until_settled(
        sagemaker,
        "staging-churn",
        timeout_s=timeout_s,
        progress=said.append,
        clock=clock,
        sleep=clock.sleep,
        first_poll_s=first_poll_s,
    )
    return settled, said


def test_polls_back_off_from_the_first_interval_to_fifteen_seconds():
    next_delay = poll_delays(1.0)
    delays = [round(next_delay(), 3) for _ in range(9)]
    assert delays == [1.0, 1.5, 2.25, 3.375, 5.062, 7.594, 11.391, 15.0, 15.0]


def test_returns_the_settled_endpoint_after_sleeping_only_between_polls():
    sagemaker, clock = ScriptedSageMaker("Creating", "Creating", "InService"), FakeClock()
    settled, _ = _wait(sagemaker, clock, first_poll_s=0.1)
    assert settled.status == "InService"
    assert sagemaker.calls == 3
    assert clock.sleeps == pytest.approx([0.1, 0.15])


def test_an_endpoint_that_disappears_while_deleting_returns_none():
    settled, _ = _wait(ScriptedSageMaker("Deleting", None), FakeClock())
    assert settled is None


def test_gives_up_after_the_timeout_naming_endpoint_status_and_seconds():
    clock = FakeClock()
    with pytest.raises(WaitTimeout, match=r"^staging-churn still Updating after 60s$"):
        _wait(ScriptedSageMaker("Updating"), clock, timeout_s=60)
    assert clock.now >= 60


def test_reports_each_new_fleet_phase_once_and_a_heartbeat_every_thirty_seconds():
    statuses = [("Updating", "Creating")] * 2 + [("Updating", "Baking")] * 30 + ["InService"]
    _, said = _wait(ScriptedSageMaker(*statuses), FakeClock())
    assert said[0] == "Updating: new fleet Baking (2s)"
    assert all(line.startswith("still Updating (") for line in said[1:])
    assert len(said) >= 4  # a bake of several minutes is never silent


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({}, 1.0), ({"SMGITOPS_POLL_SECONDS": "0.05"}, 0.05), ({"SMGITOPS_POLL_SECONDS": " "}, 1.0)],
)
def test_first_interval_comes_from_the_environment(environ, expected):
    assert first_poll_seconds(environ) == expected


@pytest.mark.parametrize("raw", ["fast", "0", "-1", "60"])
def test_an_unusable_poll_interval_is_a_one_line_error(raw):
    with pytest.raises(ConfigError, match=r"SMGITOPS_POLL_SECONDS=.* \(allowed: 0.01 to 15\)"):
        first_poll_seconds({"SMGITOPS_POLL_SECONDS": raw})
