"""The one waiter: polls an endpoint until it settles, with progress and a timeout.

Polling starts fast and backs off (1 s growing by half each time to 15 s), so a fast emulator
and a slow real fleet are both served well by the same code. `SMGITOPS_POLL_SECONDS` sets the
first interval (tests against the emulator, whose transitions take a tenth of a second).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from smgitops.aws.reader import describe_endpoint
from smgitops.core.live import IN_PROGRESS, LiveEndpoint
from smgitops.errors import ConfigError

FIRST_POLL_S = 1.0
MAX_POLL_S = 15.0
BACKOFF = 1.5
PROGRESS_EVERY_S = 30.0
POLL_ENV = "SMGITOPS_POLL_SECONDS"


class WaitTimeout(Exception):
    def __init__(self, endpoint: str, status: str, seconds: float) -> None:
        super().__init__(f"{endpoint} still {status} after {seconds:.0f}s")


def first_poll_seconds(environ: Mapping[str, str] = os.environ) -> float:
    """The first poll interval: `SMGITOPS_POLL_SECONDS` when set, else FIRST_POLL_S.

    ConfigError when the variable is not a number between 0.01 and MAX_POLL_S. No side effects.
    """
    raw = environ.get(POLL_ENV, "").strip()
    if not raw:
        return FIRST_POLL_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.01 <= value <= MAX_POLL_S:
        raise ConfigError(f"{POLL_ENV}={raw!r} is not a number of seconds (allowed: 0.01 to 15)")
    return value


def poll_delays(first_s: float) -> Callable[[], float]:
    """Successive sleeps between polls: `first_s`, then half as long again each time, up to
    MAX_POLL_S. No side effects beyond its own counter."""
    delay = first_s

    def next_delay() -> float:
        nonlocal delay
        current = delay
        delay = min(delay * BACKOFF, MAX_POLL_S)
        return current

    return next_delay


def wait_until_settled(
    sagemaker: Any,
    name: str,
    *,
    timeout_s: float,
    progress: Callable[[str], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    first_poll_s: float | None = None,
) -> LiveEndpoint | None:
    """Poll until the endpoint is no longer in transition; None when it no longer exists.

    Reports every PROGRESS_EVERY_S, and whenever an update's new fleet changes phase (a canary
    starting to bake is worth a line of its own). Raises WaitTimeout after `timeout_s` seconds
    of `clock`.
    """
    started = clock()
    next_delay = poll_delays(first_poll_seconds() if first_poll_s is None else first_poll_s)
    last_report = started
    last_phase: str | None = "Creating"  # a new fleet starts so: not news
    while True:
        endpoint = describe_endpoint(sagemaker, name)
        if endpoint is None or endpoint.status not in IN_PROGRESS:
            return endpoint
        now = clock()
        if now - started >= timeout_s:
            raise WaitTimeout(name, endpoint.status, now - started)
        phase = endpoint.pending_status
        if phase != last_phase and phase is not None:
            progress(f"{endpoint.status}: new fleet {phase} ({now - started:.0f}s)")
            last_phase, last_report = phase, now
        elif now - last_report >= PROGRESS_EVERY_S:
            progress(f"still {endpoint.status} ({now - started:.0f}s)")
            last_report = now
        # Never sleep past the deadline: a 60 s timeout gives up at 60 s, not at the next poll.
        sleep(min(next_delay(), started + timeout_s - now))
