"""What the emulator adds to moto's state, kept where moto keeps its own.

Per account and region: each endpoint's in-flight transition and the config it serves, in
`endpoint_states`, a moto BackendDict as moto's own `sagemaker_backends` is. moto's reset
clears every BackendDict, so Emulator.reset forgets these with moto's resources, and one
account or region never sees another's.

Per process: the running Emulator's knobs and model servers (`running()`). moto calls the
methods the emulator patches in without any reference to an Emulator, so they look it up
here; one Emulator runs per process, as moto's state is process-wide.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.sagemaker.models import SageMakerModelBackend

from smgitops.emulator import rollout
from smgitops.emulator.knobs import Knobs
from smgitops.emulator.served import ServedConfig

if TYPE_CHECKING:
    from smgitops.emulator.model_servers import ModelServers


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


class EndpointState(BaseBackend):
    """One account and region's endpoints as the emulator sees them, beside moto's backend."""

    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.transitions: dict[str, Transition] = {}  # endpoint name -> its operation in flight
        self.served: dict[str, ServedConfig] = {}  # endpoint name -> what answers invocations
        # One endpoint operation at a time per account and region (moto's server is threaded);
        # re-entrant, as an operation first moves the endpoint on.
        self.lock = threading.RLock()


endpoint_states: BackendDict[EndpointState] = BackendDict(EndpointState, "sagemaker")


def of(backend: SageMakerModelBackend) -> EndpointState:
    """The emulator's state beside a moto SageMaker backend: same account, same region."""
    return endpoint_states[backend.account_id][backend.region_name]


class Running:
    """What a started Emulator shares with the moto methods it patches."""

    def __init__(self, knobs: Knobs, model_servers: ModelServers):
        self.start_knobs = knobs
        # Replaced whole on each change, never edited: readers take it without the lock.
        self.knobs = knobs
        self._lock = threading.Lock()
        self.model_servers = model_servers
        # Background checks of configs before they serve (checks.py), a few at a time.
        self.checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="smgitops-prep")

    def configure(self, changes: Mapping[str, Any]) -> Knobs:
        """Apply knob changes (see Knobs.changed: ValueError changes nothing); the new knobs."""
        with self._lock:
            self.knobs = self.knobs.changed(changes)
            return self.knobs

    def reset_knobs(self) -> None:
        """Back to the knobs the Emulator started with."""
        with self._lock:
            self.knobs = self.start_knobs

    def use_one(self, counter: str) -> bool:
        """Use up one of a counting knob (fail_next_creates, ...); False when none is left."""
        with self._lock:
            left = getattr(self.knobs, counter)
            if left <= 0:
                return False
            self.knobs = dataclasses.replace(self.knobs, **{counter: left - 1})
            return True

    def stop(self) -> None:
        """Stop every model server; checks still running find them stopped and fail."""
        self.model_servers.stop_all()
        self.checks.shutdown(wait=False)


_running: Running | None = None
_lock = threading.Lock()


def start(running: Running) -> None:
    """Make `running` this process's emulator; RuntimeError if another one runs."""
    global _running
    with _lock:
        if _running is not None:
            # moto's backends are process-wide: two emulators would share them.
            raise RuntimeError("an Emulator is already running in this process")
        _running = running


def stop(running: Running) -> None:
    """Forget `running` (if it is this process's emulator) and stop it."""
    global _running
    with _lock:
        if _running is running:
            _running = None
    running.stop()


def running() -> Running:
    """This process's running emulator; RuntimeError when none was started."""
    current = _running
    if current is None:
        raise RuntimeError("no Emulator is running in this process")
    return current
