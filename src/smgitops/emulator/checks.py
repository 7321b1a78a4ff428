"""The checks a config passes before it serves, run in the background.

CreateEndpoint and UpdateEndpoint answer at once, as on AWS; meanwhile a thread checks what
the new instances need (the ECR image, the model data in S3, the model loading in its server:
`ModelServers.prepare`). A transition ends only once its checks have, and fails (or rolls
back) with their FailureReason. An injected failure stands in for the checks.
"""

from __future__ import annotations

import time
from concurrent.futures import Future

from moto.sagemaker.models import SageMakerModelBackend

from smgitops.emulator import state
from smgitops.emulator.served import ServedConfig
from smgitops.emulator.state import Transition


def _submit(backend: SageMakerModelBackend, served: ServedConfig) -> Future:
    running = state.running()
    prepare = running.model_servers.prepare
    scale = running.knobs.timeout_scale
    return running.checks.submit(prepare, backend.account_id, backend.region_name, served, scale)


def start(backend: SageMakerModelBackend, transition: Transition) -> Transition:
    """Start a transition's background checks (or its injected failure) and note when done."""
    if transition.injected_failure:
        transition.prepared_at = transition.started
        return transition
    transition.preparation = _submit(backend, transition.target)
    transition.preparation.add_done_callback(
        lambda _: setattr(transition, "prepared_at", time.monotonic())
    )
    return transition


def outcome(transition: Transition) -> tuple[bool, str | None]:
    """(finished, failure reason) of a transition's background checks. No side effects."""
    if transition.injected_failure:
        return True, transition.injected_failure
    future = transition.preparation
    if future is None:
        return True, None
    if not future.done():
        return False, None
    error = future.exception()
    if error is not None:
        return True, f"Internal failure while preparing the endpoint: {error}"
    return True, future.result()
