"""What the emulator keeps beside moto's SageMaker state: knobs, and each endpoint's transition
and served config.

Endpoint state sits on moto's backend instance, so moto's reset (new backends) clears it too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from moto.sagemaker.models import SageMakerModelBackend

from smgitops.emulator import rollout
from smgitops.emulator.served import ServedConfig

# Checks a config before it serves: returns a FailureReason, or None when it can serve.
Preparer = Callable[[str, str, ServedConfig], "str | None"]


@dataclass
class EmulatorControls:
    """Process-wide knobs of the emulated SageMaker (set via the Emulator or its control API)."""

    transition_seconds: float = 1.0
    # Real seconds waited per second of a DeploymentConfig wait (bakes, termination waits).
    wait_scale: float = 1.0
    fail_next_creates: int = 0
    fail_next_updates: int = 0
    # Instance type -> most instances endpoints may run at once (ResourceLimitExceeded above).
    instance_quotas: dict[str, int] = field(default_factory=dict)
    preparer: Preparer | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="smgitops-prep"
        )
    )

    def take_failure(self, kind: str) -> bool:
        """Consume one injected failure of `kind` ("create" or "update") if any is armed."""
        with self.lock:
            attribute = f"fail_next_{kind}s"
            if getattr(self, attribute) > 0:
                setattr(self, attribute, getattr(self, attribute) - 1)
                return True
            return False

    def reset(self, transition_seconds: float, wait_scale: float = 1.0) -> None:
        with self.lock:
            self.transition_seconds = transition_seconds
            self.wait_scale = wait_scale
            self.fail_next_creates = 0
            self.fail_next_updates = 0
            self.instance_quotas = {}


controls = EmulatorControls()


@dataclass
class Transition:
    """An endpoint's in-flight operation (mutable; lifecycle.py moves it on)."""

    kind: str  # create | update | weights | delete | rollback
    started: float = field(default_factory=time.monotonic)
    target: ServedConfig | None = None
    # An update's traffic steps, and how far it got: the share on the new fleet and its phase.
    traffic_steps: list[rollout.TrafficStep] = field(default_factory=list)
    new_share: float = 0.0
    phase: str = rollout.CREATING
    target_variants: list[dict[str, Any]] = field(default_factory=list)
    target_data_capture: dict[str, Any] | None = None
    preparation: Future | None = None
    prepared_at: float | None = None  # when the background checks finished
    injected_failure: str | None = None
    alarms: tuple[str, ...] = ()
    deployment_config: dict[str, Any] | None = None


def transitions(backend: SageMakerModelBackend) -> dict[str, Transition]:
    # Side state on the backend instance, so moto's reset (new backends) clears it too.
    if not hasattr(backend, "_smgitops_transitions"):
        backend._smgitops_transitions = {}
    return backend._smgitops_transitions


def served(backend: SageMakerModelBackend) -> dict[str, ServedConfig]:
    if not hasattr(backend, "_smgitops_served"):
        backend._smgitops_served = {}
    return backend._smgitops_served
