"""Apply: carry out a plan against SageMaker, endpoint by endpoint, in a bounded pool.

Each endpoint's story: wait if it is mid-transition; create its model and config (idempotent,
names are content hashes); create or update the endpoint; wait; verify it converged (a silent
rollback by SageMaker is a failure); fix capacity; set autoscaling; smoke test, rolling back
to the previous config when it fails; record the previous config for `git revert`.

SageMaker keeps the old fleet serving until an update completes, so an interrupted apply leaves
every endpoint serving, and a re-run converges because every step checks live state first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures
from dataclasses import dataclass, field
from enum import StrEnum

from botocore.exceptions import ClientError

from smgitops.aws import wire
from smgitops.aws.clients import error_code
from smgitops.aws.reader import Clients, describe_endpoint
from smgitops.aws.smoke import Invocation, invoke, judge
from smgitops.aws.waiting import WaitTimeout, wait_until_settled
from smgitops.core import naming
from smgitops.core.desired import EnvSettings, Pairs
from smgitops.core.live import LiveEndpoint
from smgitops.core.plan import (
    Action,
    EndpointChange,
    Plan,
    ScalingAction,
    ScalingChange,
    capacity_diffs,
)
from smgitops.core.resources import DesiredEndpoint

Progress = Callable[[str, str], None]  # (endpoint, message)


class Outcome(StrEnum):
    """Why an endpoint is (not) ready after apply; stable names for reports."""

    APPLIED = "applied"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    ENDPOINT_FAILED = "endpoint_failed"
    UPDATE_ROLLED_BACK = "update_rolled_back"
    SMOKE_TEST_FAILED = "smoke_test_failed"
    WAIT_TIMEOUT = "wait_timeout"
    QUOTA_EXCEEDED = "quota_exceeded"
    DELETE_DEFERRED = "delete_deferred"  # kept serving: another change of the apply failed
    AWS_ERROR = "aws_error"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class EndpointResult:
    endpoint: str
    ready: bool
    outcome: Outcome
    message: str
    elapsed_s: float = 0.0


class ApplyInterrupted(Exception):
    """Ctrl-C during apply: no new endpoint work was started; what was in flight stopped."""

    def __init__(self, results: tuple[EndpointResult, ...], not_started: tuple[str, ...]) -> None:
        super().__init__("apply interrupted")
        self.results = results  # finished before the interrupt, or stopped by it
        self.not_started = not_started


class _EndpointFailure(Exception):
    def __init__(self, outcome: Outcome, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


def quota_message(change: EndpointChange, aws_message: str) -> str:
    """ResourceLimitExceeded with the instance count the plan needed. No side effects."""
    why = (
        "blue/green runs the old and new fleets together"
        if change.action is Action.UPDATE
        else "the new fleet"
    )
    return (
        f"{aws_message.rstrip()} (this change needs {change.peak_instances} instances at once: "
        f"{why}; raise the quota in Service Quotas or lower instanceCount)"
    )


def _already_exists(error: ClientError) -> bool:
    message = str(error.response.get("Error", {}).get("Message", ""))
    return error_code(error) == "ValidationException" and "already exist" in message


@dataclass
class EndpointApplier:
    """Applies one endpoint change; every step is idempotent and checks live state first."""

    clients: Clients
    settings: EnvSettings
    commit: str
    progress: Progress
    # Set on Ctrl-C: each endpoint stops at its next step boundary or poll.
    stop: threading.Event = field(default_factory=threading.Event)
    _last_step: dict[str, str] = field(default_factory=dict)

    def _say(self, change: EndpointChange, message: str) -> None:
        self._last_step[change.endpoint] = message
        self.progress(change.endpoint, message)

    def _check_stop(self, change: EndpointChange) -> None:
        if self.stop.is_set():
            last = self._last_step.get(change.endpoint)
            raise _EndpointFailure(
                Outcome.INTERRUPTED,
                "interrupted"
                + (f" after: {last}" if last else " before any change")
                + " (anything sent to SageMaker continues there; the old config serves "
                "until an update completes)",
            )

    def _sleep(self, change: EndpointChange, seconds: float) -> None:
        if self.stop.wait(seconds):
            self._check_stop(change)

    def _tags(self, desired: DesiredEndpoint) -> Pairs:
        owned = naming.ownership_tags(self.settings.name, desired.spec.manifest_path, self.commit)
        reserved = {k for k, _ in owned}
        return tuple(sorted(owned + tuple(t for t in desired.spec.tags if t[0] not in reserved)))

    def _wait(self, change: EndpointChange, timeout_s: float) -> LiveEndpoint | None:
        try:
            return wait_until_settled(
                self.clients.sagemaker,
                change.endpoint,
                timeout_s=timeout_s,
                progress=lambda m: self._say(change, m),
                sleep=lambda seconds: self._sleep(change, seconds),
            )
        except WaitTimeout as error:
            raise _EndpointFailure(Outcome.WAIT_TIMEOUT, str(error)) from error

    def _timeout(self, change: EndpointChange) -> float:
        if change.desired is not None:
            return change.desired.spec.deployment.timeout_seconds
        return 3600

    def _create_resources(self, desired: DesiredEndpoint) -> None:
        sagemaker, tags = self.clients.sagemaker, self._tags(desired)
        for create, request in (
            (sagemaker.create_model, wire.create_model_request(desired.model, tags)),
            (
                sagemaker.create_endpoint_config,
                wire.create_endpoint_config_request(desired.config, desired.capacity, tags),
            ),
        ):
            try:
                create(**request)
            except ClientError as error:
                if not _already_exists(error):  # same name = same content: nothing to do
                    raise

    def _create_endpoint(self, change: EndpointChange, desired: DesiredEndpoint) -> None:
        self._create_resources(desired)
        self._check_stop(change)
        self._say(change, f"creating on {desired.config.name}")
        try:
            self.clients.sagemaker.create_endpoint(
                EndpointName=desired.name,
                EndpointConfigName=desired.config.name,
                Tags=wire.aws_tags(
                    (*self._tags(desired), (naming.TAG_ROLLOUT, naming.rollout_hash(desired.spec)))
                ),
            )
        except ClientError as error:
            if not _already_exists(error):  # a crashed earlier run got this far: just wait
                raise
        live = self._wait(change, self._timeout(change))
        if live is None or live.status != "InService":
            reason = live.failure_reason if live else "endpoint disappeared"
            raise _EndpointFailure(Outcome.ENDPOINT_FAILED, f"creation failed: {reason}")

    def _update_endpoint(self, change: EndpointChange, desired: DesiredEndpoint) -> None:
        self._create_resources(desired)
        self._check_stop(change)
        rollout = change.rollout
        strategy = rollout.deployment.strategy if rollout else "all-at-once"
        self._say(change, f"updating to {desired.config.name} ({strategy})")
        request = wire.update_endpoint_request(desired.name, desired.config.name, rollout)
        # Recorded first: a crash after the update must not let GC delete the rollback config.
        self._record_previous(change)
        self.clients.sagemaker.update_endpoint(**request)
        live = self._wait(change, self._timeout(change))
        if live is None:
            raise _EndpointFailure(Outcome.ENDPOINT_FAILED, "endpoint disappeared during update")
        if live.status == "Failed":
            raise _EndpointFailure(Outcome.ENDPOINT_FAILED, f"update failed: {live.failure_reason}")
        if live.config_name != desired.config.name:
            reason = live.failure_reason or "no FailureReason given"
            raise _EndpointFailure(
                Outcome.UPDATE_ROLLED_BACK,
                f"SageMaker rolled the update back; still serving {live.config_name}: {reason}",
            )

    def _fix_capacity(self, change: EndpointChange, desired: DesiredEndpoint) -> None:
        """Counts/weights are not part of a config's name: make live match git after a change."""
        live = describe_endpoint(self.clients.sagemaker, desired.name)
        retained = change.rollout is not None and change.rollout.retain_capacity
        if live is None or not capacity_diffs(desired, live, counts=not retained):
            return
        self._say(change, "setting instance counts and weights")
        keep_counts = {s.variant for s in desired.scaling}
        if retained:
            keep_counts |= {c.variant for c in desired.capacity}
        self.clients.sagemaker.update_endpoint_weights_and_capacities(
            **wire.capacity_request(desired.name, desired.capacity, keep_counts)
        )
        self._wait(change, self._timeout(change))

    def _apply_scaling(self, change: EndpointChange, steps: tuple[ScalingChange, ...]) -> None:
        autoscaling = self.clients.autoscaling
        for step in steps:
            if step.action is ScalingAction.DEREGISTER:
                self._say(change, f"removing autoscaling of {step.resource_id}")
                try:
                    autoscaling.deregister_scalable_target(
                        ServiceNamespace="sagemaker",
                        ResourceId=step.resource_id,
                        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
                    )
                except ClientError as error:
                    if error_code(error) != "ObjectNotFoundException":
                        raise
            elif step.desired is not None:
                self._say(change, f"autoscaling {step.resource_id}")
                tags = naming.scaling_tags(self.settings.name)
                registered = autoscaling.register_scalable_target(
                    **wire.scalable_target_request(step.desired, tags)
                )
                # AWS tags a target only when Register creates it: one registered before
                # (by an older version) gets the env's tag here, which its IAM scope needs.
                autoscaling.tag_resource(ResourceARN=registered["ScalableTargetARN"], Tags=tags)
                autoscaling.put_scaling_policy(**wire.scaling_policy_request(step.desired))

    def _smoke_test(self, change: EndpointChange, desired: DesiredEndpoint) -> str | None:
        spec = desired.spec.smoke_test
        if spec is None:
            return None
        result = invoke(self.clients.runtime, desired.name, Invocation.of_smoke_test(spec))
        failure = judge(spec, result)
        if failure is None:
            self._say(change, f"smoke test passed ({result.status}, {len(result.body)} bytes)")
            # Recorded, so a re-run after a crash before this point knows to test again.
            self._tag_endpoint(change, ((naming.TAG_SMOKE_TESTED, desired.config.name),))
        return failure

    def _verify(self, change: EndpointChange, desired: DesiredEndpoint) -> tuple[Outcome, str]:
        """Smoke-test a live config an earlier apply left untested; roll back if it fails."""
        failure = self._smoke_test(change, desired)
        if failure is None:
            return Outcome.APPLIED, "smoke test of the live config passed"
        live = describe_endpoint(self.clients.sagemaker, change.endpoint)
        previous = live.tag_map.get(naming.TAG_PREVIOUS_CONFIG) if live else None
        raise self._roll_back(change, failure, previous)

    def _roll_back(
        self, change: EndpointChange, reason: str, previous: str | None
    ) -> _EndpointFailure:
        """Put the previous config back after a failed smoke test; returns what to report."""
        if previous is None:
            return _EndpointFailure(Outcome.SMOKE_TEST_FAILED, f"smoke test failed: {reason}")
        self._say(change, f"smoke test failed ({reason}); rolling back to {previous}")
        self.clients.sagemaker.update_endpoint(
            EndpointName=change.endpoint, EndpointConfigName=previous
        )
        self._wait(change, self._timeout(change))
        return _EndpointFailure(
            Outcome.SMOKE_TEST_FAILED, f"smoke test failed: {reason}; rolled back to {previous}"
        )

    def _record_previous(self, change: EndpointChange) -> None:
        """Remember the config we replaced, so garbage collection keeps it for a revert."""
        if change.live_config is None:
            return
        tags = ((naming.TAG_PREVIOUS_CONFIG, change.live_config), (naming.TAG_COMMIT, self.commit))
        if change.desired is not None:  # the update rolls out with the manifest's settings
            tags += ((naming.TAG_ROLLOUT, naming.rollout_hash(change.desired.spec)),)
        data = " ".join(change.rollout.previous_model_data) if change.rollout else ""
        if 0 < len(data) <= naming.MAX_TAG_VALUE:  # else plan reads the config to find it
            tags += ((naming.TAG_PREVIOUS_MODEL_DATA, data),)
        self._tag_endpoint(change, tags)

    def _tag_endpoint(self, change: EndpointChange, tags: Pairs) -> None:
        sagemaker = self.clients.sagemaker
        arn = sagemaker.describe_endpoint(EndpointName=change.endpoint)["EndpointArn"]
        sagemaker.add_tags(ResourceArn=arn, Tags=wire.aws_tags(tags))

    def _delete(self, change: EndpointChange) -> None:
        self._apply_scaling(change, change.scaling)
        self._say(change, "deleting")
        try:
            self.clients.sagemaker.delete_endpoint(EndpointName=change.endpoint)
        except ClientError as error:
            if error_code(error) != "ValidationException":
                raise
        self._wait(change, self._timeout(change))

    def apply(self, change: EndpointChange) -> EndpointResult:
        started = time.monotonic()
        try:
            outcome, message = self._apply(change)
        except _EndpointFailure as failure:
            return EndpointResult(
                change.endpoint, False, failure.outcome, str(failure), time.monotonic() - started
            )
        except ClientError as error:
            outcome = Outcome.AWS_ERROR
            message = str(error)
            if error_code(error) == "ResourceLimitExceeded":
                outcome = Outcome.QUOTA_EXCEEDED
                message = quota_message(change, error.response["Error"].get("Message", ""))
            return EndpointResult(
                change.endpoint, False, outcome, message, time.monotonic() - started
            )
        elapsed = time.monotonic() - started
        if outcome is not Outcome.UNCHANGED:
            self._say(change, f"done: {message} in {elapsed:.0f}s")
        return EndpointResult(change.endpoint, True, outcome, message, elapsed)

    def _apply(self, change: EndpointChange) -> tuple[Outcome, str]:
        if change.action is Action.ORPHAN:
            return Outcome.UNCHANGED, "kept without a manifest (prune off)"
        if change.action is Action.NOOP and not change.wait_first:
            return Outcome.UNCHANGED, "up to date"
        self._check_stop(change)
        settled = None
        if change.wait_first:
            self._say(change, f"waiting: endpoint is {change.live_status}")
            settled = self._wait(change, self._timeout(change))
        if change.action is Action.NOOP:
            # An earlier (interrupted) apply's change was still in flight: finish its story.
            return self._finish_earlier_change(change, settled)
        if change.action is Action.DELETE:
            self._delete(change)
            return Outcome.DELETED, "deleted"
        desired = change.desired
        assert desired is not None  # every non-delete change carries its desired endpoint
        if change.action is Action.VERIFY:
            return self._verify(change, desired)
        if change.action is Action.REPAIR:
            # Step 4 of the reconcile already put the pinned bytes back; SageMaker is as wanted.
            return Outcome.APPLIED, "model data uploaded again from the pin"
        removals = tuple(s for s in change.scaling if s.action is ScalingAction.DEREGISTER)
        additions = tuple(s for s in change.scaling if s.action is not ScalingAction.DEREGISTER)
        self._apply_scaling(change, removals)
        if change.action is Action.REPLACE:
            self._delete(change)
        if change.action in (Action.CREATE, Action.REPLACE):
            self._create_endpoint(change, desired)
        elif change.action is Action.UPDATE:
            if _already_on(settled, desired):
                self._say(change, f"already on {desired.config.name}: an earlier apply's update")
            else:
                self._update_endpoint(change, desired)
        if change.action is not Action.UPDATE_SCALING:
            self._fix_capacity(change, desired)
        self._apply_scaling(change, additions)
        self._check_stop(change)
        if change.action is not Action.UPDATE_SCALING:
            failure = self._smoke_test(change, desired)
            if failure is not None:
                if change.action is Action.UPDATE and change.rollout is not None:
                    raise self._roll_back(change, failure, change.rollout.previous_config)
                raise _EndpointFailure(Outcome.SMOKE_TEST_FAILED, f"smoke test failed: {failure}")
        return Outcome.APPLIED, f"{change.action.value} applied, InService"

    def _finish_earlier_change(
        self, change: EndpointChange, settled: LiveEndpoint | None
    ) -> tuple[Outcome, str]:
        desired = change.desired
        assert desired is not None  # a no-op always carries its desired endpoint
        if settled is None:
            raise _EndpointFailure(Outcome.ENDPOINT_FAILED, "endpoint disappeared while waiting")
        if settled.status == "Failed":
            raise _EndpointFailure(
                Outcome.ENDPOINT_FAILED, f"endpoint failed: {settled.failure_reason}"
            )
        if settled.config_name != desired.config.name:
            raise _EndpointFailure(
                Outcome.UPDATE_ROLLED_BACK,
                f"SageMaker rolled the update back; still serving {settled.config_name}: "
                f"{settled.failure_reason or 'no FailureReason given'}; re-run apply",
            )
        failure = self._smoke_test(change, desired)
        if failure is not None:
            raise _EndpointFailure(Outcome.SMOKE_TEST_FAILED, f"smoke test failed: {failure}")
        return Outcome.APPLIED, "an earlier apply's change completed, InService"


def _already_on(settled: LiveEndpoint | None, desired: DesiredEndpoint) -> bool:
    """An interrupted apply's update finished while we waited. No side effects."""
    return (
        settled is not None
        and settled.status == "InService"
        and settled.config_name == desired.config.name
    )


def apply_plan(
    plan: Plan,
    clients: Clients,
    settings: EnvSettings,
    *,
    commit: str,
    progress: Progress,
    max_parallel: int | None = None,
) -> tuple[EndpointResult, ...]:
    """Apply every change of the plan, independent endpoints in parallel (bounded), deletes
    last: an endpoint leaves only after every other change came up (a rename's new endpoint
    included, as Terraform's create_before_destroy), and stays, as DELETE_DEFERRED, when one
    did not. Results in the plan's order.

    On KeyboardInterrupt no further endpoint is started, the ones in flight stop at their next
    step boundary, and ApplyInterrupted reports both.
    """
    applier = EndpointApplier(clients, settings, commit, progress)
    workers = max(1, max_parallel or settings.max_parallel)
    deletes = [c for c in plan.changes if c.action is Action.DELETE]
    others = [c for c in plan.changes if c.action is not Action.DELETE]
    results = _in_parallel(applier, others, workers, later=deletes)
    failed = sorted(r.endpoint for r in results if not r.ready)
    if failed:
        results += tuple(
            EndpointResult(
                c.endpoint,
                False,
                Outcome.DELETE_DEFERRED,
                f"not deleted while {', '.join(failed)} did not come up: it keeps serving, "
                "and the next apply deletes it once they do",
            )
            for c in deletes
        )
    else:
        results += _in_parallel(applier, deletes, workers)
    order = {c.endpoint: i for i, c in enumerate(plan.changes)}
    return tuple(sorted(results, key=lambda r: order.get(r.endpoint, len(order))))


def _in_parallel(
    applier: EndpointApplier,
    changes: list[EndpointChange],
    workers: int,
    later: list[EndpointChange] | None = None,
) -> tuple[EndpointResult, ...]:
    """Apply `changes` on a bounded pool; on Ctrl-C, ApplyInterrupted names what did not
    start, `later` (the changes that would have followed) included."""
    if not changes:
        return ()
    pool = ThreadPoolExecutor(max_workers=workers)
    futures: list[tuple[EndpointChange, Future[EndpointResult]]] = [
        (change, pool.submit(applier.apply, change)) for change in changes
    ]
    try:
        return tuple(future.result() for _, future in futures)
    except KeyboardInterrupt:
        applier.stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        started = [(c, f) for c, f in futures if not f.cancelled()]
        wait_for_futures([f for _, f in started])
        raise ApplyInterrupted(
            tuple(f.result() for _, f in started),
            tuple(c.endpoint for c, f in futures if f.cancelled())
            + tuple(c.endpoint for c in later or []),
        ) from None
    finally:
        pool.shutdown(wait=True)
