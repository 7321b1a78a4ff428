"""How an UpdateEndpoint moves traffic to the new fleet over time. Pure functions only.

A `DeploymentConfig` becomes a list of steps. Each step puts a share of the traffic on the new
fleet, then holds it for a wait (the bake) during which alarms are watched:

- no config or blue/green `ALL_AT_ONCE`: all traffic at once, then `TerminationWaitInSeconds`;
- `CANARY`: the canary's share, `WaitIntervalInSeconds`, then all of it and the termination wait;
- `LINEAR`: one step share after another, `WaitIntervalInSeconds` after each but the last,
  which waits `TerminationWaitInSeconds`;
- `RollingUpdatePolicy`: one batch after another, each provisioned before it takes traffic,
  `WaitIntervalInSeconds` between batches.

Blue/green provisions the whole new fleet before the first step; rolling provisions every
batch. The emulator times provisioning with its `transition_seconds` and scales the waits by
its `wait_scale` (1 waits them out as AWS does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

CREATING = "Creating"
BAKING = "Baking"


@dataclass(frozen=True)
class TrafficStep:
    new_share: float  # share of the traffic on the new fleet from this step on (0..1]
    wait_seconds: float  # DeploymentConfig seconds this share is held before the next step
    provisions: bool = False  # a batch of the new fleet is provisioned first (rolling)


@dataclass(frozen=True)
class Position:
    """Where an update is, some time after the new fleet (or its first batch) came up."""

    new_share: float
    phase: str | None  # the new variants' VariantStatus; None once the update is complete
    done: bool


def _share(size: dict[str, Any] | None, instances: int) -> float:
    """One canary, step or batch as a share of the fleet (CAPACITY_PERCENT or INSTANCE_COUNT)."""
    size = size or {}
    value = float(size.get("Value") or 0)
    if value <= 0:
        return 1.0
    if size.get("Type") == "INSTANCE_COUNT":
        return min(1.0, value / max(instances, 1))
    return min(1.0, value / 100)


def _ramp(step: float) -> list[float]:
    """0 < step <= 1 -> [step, 2*step, ..., 1.0] (the last step takes what is left)."""
    count = max(1, math.ceil(round(1 / step, 9)))
    return [step * i for i in range(1, count)] + [1.0]


def traffic_steps(
    deployment_config: dict[str, Any] | None, instances: int = 1
) -> list[TrafficStep]:
    """The steps an update takes with this DeploymentConfig on a fleet of `instances`."""
    config = deployment_config or {}
    rolling = config.get("RollingUpdatePolicy")
    if rolling:
        shares = _ramp(_share(rolling.get("MaximumBatchSize"), instances))
        wait = float(rolling.get("WaitIntervalInSeconds") or 0)
        last = len(shares) - 1
        return [
            TrafficStep(share, 0.0 if index == last else wait, provisions=index > 0)
            for index, share in enumerate(shares)
        ]
    blue_green = config.get("BlueGreenUpdatePolicy") or {}
    termination_wait = float(blue_green.get("TerminationWaitInSeconds") or 0)
    routing = blue_green.get("TrafficRoutingConfiguration") or {}
    kind = routing.get("Type")
    if kind == "CANARY":
        canary = _share(routing.get("CanarySize"), instances)
        shares = [canary, 1.0] if canary < 1.0 else [1.0]
    elif kind == "LINEAR":
        shares = _ramp(_share(routing.get("LinearStepSize"), instances))
    else:
        shares = [1.0]
    interval = float(routing.get("WaitIntervalInSeconds") or 0)
    last = len(shares) - 1
    return [
        TrafficStep(share, termination_wait if index == last else interval)
        for index, share in enumerate(shares)
    ]


def alarm_names(deployment_config: dict[str, Any] | None) -> tuple[str, ...]:
    """The alarms an update watches (AutoRollbackConfiguration): one in ALARM rolls it back."""
    rollback = (deployment_config or {}).get("AutoRollbackConfiguration") or {}
    return tuple(a["AlarmName"] for a in rollback.get("Alarms") or [] if a.get("AlarmName"))


def position(
    steps: list[TrafficStep], since_up: float, transition_seconds: float, wait_scale: float
) -> Position:
    """The traffic share and phase `since_up` real seconds after the new fleet came up."""
    clock = 0.0
    share = 0.0
    for index, step in enumerate(steps):
        if index > 0 and step.provisions:
            clock += transition_seconds
            if since_up < clock:
                return Position(share, CREATING, done=False)
        share = step.new_share
        clock += step.wait_seconds * wait_scale
        if since_up < clock:
            return Position(share, BAKING, done=False)
    return Position(1.0, None, done=True)
