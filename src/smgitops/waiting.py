"""The one waiter: polls an endpoint until it settles, with progress and a timeout.

Polling starts fast and backs off (1 s growing to 15 s), so a fast emulator and a slow real
fleet are both served well by the same code.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from smgitops.live import IN_PROGRESS, LiveEndpoint
from smgitops.reader import describe_endpoint

FIRST_POLL_S = 1.0
MAX_POLL_S = 15.0
PROGRESS_EVERY_S = 30.0


class WaitTimeout(Exception):
    def __init__(self, endpoint: str, status: str, seconds: float) -> None:
        super().__init__(f"{endpoint} still {status} after {seconds:.0f}s")


def wait_until_settled(
    sagemaker: Any,
    name: str,
    *,
    timeout_s: float,
    progress: Callable[[str], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> LiveEndpoint | None:
    """Poll until the endpoint is no longer in transition; None when it no longer exists.

    Reports every PROGRESS_EVERY_S, and whenever an update's new fleet changes phase (a canary
    starting to bake is worth a line of its own).
    """
    started = clock()
    delay = FIRST_POLL_S
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
        sleep(delay)
        delay = min(delay * 1.5, MAX_POLL_S)
