"""Apply: carry out a plan against SageMaker, endpoint by endpoint, in a bounded pool.

Each action is a row of steps (`STEPS`) that executes the plan's own decisions: its scaling
changes, its rollout, its capacity diffs. After every wait the pure planner runs again for that
one endpoint on what SageMaker reports now (level-triggered, as Flux does), and the smaller
follow-ups it finds (counts and weights a retained update kept, autoscaling, the smoke test of a
new config) run until it plans nothing; anything bigger (a Failed endpoint, an update SageMaker
rolled back) is reported for the next plan's review instead of being done unreviewed.

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

from botocore.exceptions import ClientError

from smgitops.aws import wire
from smgitops.aws.clients import error_code
from smgitops.aws.reader import Clients, read_one
from smgitops.aws.smoke import Invocation, invoke, judge
from smgitops.aws.waiting import WaitTimeout, wait_until_settled
from smgitops.core import naming
from smgitops.core.desired import DeploymentSpec, EnvSettings, Pairs
from smgitops.core.outcomes import Outcome
from smgitops.core.plan import (
    Action,
    AlarmAction,
    EndpointChange,
    Plan,
    ScalingAction,
    plan_endpoint,
    plan_removed,
)
from smgitops.core.resources import DesiredEndpoint

Progress = Callable[[str, str], None]  # (endpoint, message)


@dataclass(frozen=True)
class EndpointResult:
    endpoint: str
    outcome: Outcome
    message: str
    elapsed_s: float = 0.0

    @property
    def ready(self) -> bool:
        """The endpoint is as git says (its outcome succeeded)."""
        return self.outcome.succeeded

    @property
    def changed(self) -> bool:
        return self.outcome is not Outcome.UNCHANGED


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


# What a re-plan after a wait may do without a new review: finish the change (set counts and
# weights, autoscaling, the smoke test of the new config). A bigger action is reported instead.
_FOLLOW_UPS = frozenset(
    {Action.UPDATE_CAPACITY, Action.UPDATE_SCALING, Action.UPDATE_ALARMS, Action.VERIFY}
)
# Re-plans of one endpoint after its change before apply gives up (each is a smaller action).
_MAX_FOLLOW_UPS = 4
_FAILED_VERB = {Action.CREATE: "creation", Action.REPLACE: "creation", Action.UPDATE: "update"}


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

    def _wait(self, change: EndpointChange) -> None:
        deployment = change.desired.spec.deployment if change.desired else DeploymentSpec()
        timeout = deployment.timeout_seconds
        try:
            wait_until_settled(
                self.clients.sagemaker,
                change.endpoint,
                timeout_s=timeout,
                progress=lambda m: self._say(change, m),
                sleep=lambda seconds: self._sleep(change, seconds),
            )
        except WaitTimeout as error:
            raise _EndpointFailure(Outcome.WAIT_TIMEOUT, str(error)) from error

    def _replan(self, change: EndpointChange) -> EndpointChange | None:
        """The planner's decision for this endpoint on what SageMaker reports now (None: a
        removed endpoint that is gone)."""
        env, desired = self.settings.name, change.desired
        scaling_ids = {s.resource_id for s in change.scaling}
        scaling_ids |= {s.resource_id for s in desired.scaling} if desired else set()
        alarm_names = {a.name for a in change.alarms}
        alarm_names |= {a.name for a in desired.alarms} if desired else set()
        live = read_one(self.clients, env, change.endpoint, desired, scaling_ids, alarm_names)
        if change.desired is None:
            return plan_removed(change.endpoint, live, env, prune=True)
        replanned = plan_endpoint(change.desired, live, env)
        if isinstance(replanned, str):  # the endpoint changed hands while we waited
            raise _EndpointFailure(Outcome.ENDPOINT_FAILED, replanned)
        return replanned

    def _unreviewed(self, after: Action, replanned: EndpointChange) -> _EndpointFailure:
        """What to report when the endpoint, after a wait, needs more than a follow-up."""
        verb = _FAILED_VERB.get(after, "endpoint")
        reason = replanned.live_failure or "no FailureReason given"
        if replanned.action is Action.REPLACE:  # it is Failed
            return _EndpointFailure(
                Outcome.ENDPOINT_FAILED, f"{verb} failed: {reason}{_logs(replanned)}"
            )
        if replanned.action is Action.CREATE:
            return _EndpointFailure(Outcome.ENDPOINT_FAILED, f"endpoint disappeared ({verb})")
        if replanned.action is Action.UPDATE:
            return _EndpointFailure(
                Outcome.UPDATE_ROLLED_BACK,
                f"SageMaker rolled the update back; still serving {replanned.live_config}: "
                f"{reason}{_logs(replanned)}",
            )
        return _EndpointFailure(
            Outcome.ENDPOINT_FAILED,
            f"after the wait it needs {replanned.action.value} ({replanned.reason.value}), "
            "which this plan did not include: run plan again",
        )

    # --- the steps -------------------------------------------------------------------------

    def remove_scaling(self, change: EndpointChange) -> None:
        """Deregister the targets the plan drops, before a fleet change they would fight."""
        for step in change.scaling:
            if step.action is not ScalingAction.DEREGISTER:
                continue
            self._say(change, f"removing autoscaling of {step.resource_id}")
            try:
                self.clients.autoscaling.deregister_scalable_target(
                    ServiceNamespace="sagemaker",
                    ResourceId=step.resource_id,
                    ScalableDimension="sagemaker:variant:DesiredInstanceCount",
                )
            except ClientError as error:
                if error_code(error) != "ObjectNotFoundException":
                    raise

    def add_scaling(self, change: EndpointChange) -> None:
        """Register the plan's new and changed targets and put their policies."""
        autoscaling = self.clients.autoscaling
        tags = naming.scaling_tags(self.settings.name)
        for step in change.scaling:
            if step.action is ScalingAction.DEREGISTER or step.desired is None:
                continue
            self._say(change, f"autoscaling {step.resource_id}")
            registered = autoscaling.register_scalable_target(
                **wire.scalable_target_request(step.desired, tags)
            )
            # AWS tags a target only when Register creates it: one registered before (by an
            # older version) gets the env's tag here, which its IAM scope needs.
            autoscaling.tag_resource(ResourceARN=registered["ScalableTargetARN"], Tags=tags)
            autoscaling.put_scaling_policy(**wire.scaling_policy_request(step.desired))

    def sync_alarms(self, change: EndpointChange) -> None:
        """Put the plan's new and changed owned alarms and delete the ones it drops. Runs
        before a fleet change, so the guardrails find every rollback alarm they watch."""
        cloudwatch = self.clients.cloudwatch
        tags = naming.ownership_tags(self.settings.name, change.manifest or "", self.commit)
        puts = [a.desired for a in change.alarms if a.action is AlarmAction.PUT and a.desired]
        for alarm in puts:
            self._say(change, f"alarm {alarm.name}")
            cloudwatch.put_metric_alarm(**wire.put_metric_alarm_request(alarm, tags))
        gone = [a.name for a in change.alarms if a.action is AlarmAction.DELETE]
        if gone:
            self._say(change, f"deleting alarm(s) {', '.join(gone)}")
            for start in range(0, len(gone), 100):  # DeleteAlarms takes 100 names a call
                cloudwatch.delete_alarms(AlarmNames=gone[start : start + 100])

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

    def create_endpoint(self, change: EndpointChange) -> None:
        desired = _desired(change)
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
        self._wait(change)

    def update_endpoint(self, change: EndpointChange) -> None:
        desired = _desired(change)
        self._create_resources(desired)
        self._check_stop(change)
        rollout = change.rollout
        strategy = rollout.deployment.strategy if rollout else "all-at-once"
        self._say(change, f"updating to {desired.config.name} ({strategy})")
        # Recorded first: a crash after the update must not let GC delete the rollback config.
        self._record_previous(change)
        self.clients.sagemaker.update_endpoint(
            **wire.update_endpoint_request(desired.name, desired.config.name, rollout)
        )
        self._wait(change)

    def set_capacity(self, change: EndpointChange) -> None:
        """Send the plan's count and weight diffs (counts and weights are not in a config's
        name, so a new config alone does not set them)."""
        desired, changes = _desired(change), change.capacity_changes
        if not changes:
            return
        self._say(change, "setting instance counts and weights")
        counted = {
            variant for variant, attributes in changes.items() if "instanceCount" in attributes
        }
        keep_counts = {c.variant for c in desired.capacity} - counted
        self.clients.sagemaker.update_endpoint_weights_and_capacities(
            **wire.capacity_request(desired.name, desired.capacity, keep_counts)
        )
        self._wait(change)

    def smoke_test(self, change: EndpointChange) -> None:
        """Invoke the live config; on failure, put back the config it replaced (if any)."""
        desired = _desired(change)
        spec = desired.spec.smoke_test
        if spec is None:
            return
        result = invoke(self.clients.runtime, desired.name, Invocation.of_smoke_test(spec))
        failure = judge(spec, result)
        if failure is None:
            self._say(change, f"smoke test passed ({result.status}, {len(result.body)} bytes)")
            # Recorded, so a re-run after a crash before this point knows to test again.
            self._tag_endpoint(change, ((naming.TAG_SMOKE_TESTED, desired.config.name),))
            return
        failure += _logs(change)
        previous = change.rollback_config
        if previous is None:
            raise _EndpointFailure(Outcome.SMOKE_TEST_FAILED, f"smoke test failed: {failure}")
        self._say(change, f"smoke test failed ({failure}); rolling back to {previous}")
        self.clients.sagemaker.update_endpoint(
            EndpointName=change.endpoint, EndpointConfigName=previous
        )
        self._wait(change)
        raise _EndpointFailure(
            Outcome.SMOKE_TEST_FAILED, f"smoke test failed: {failure}; rolled back to {previous}"
        )

    def delete_endpoint(self, change: EndpointChange) -> None:
        self._say(change, "deleting")
        try:
            self.clients.sagemaker.delete_endpoint(EndpointName=change.endpoint)
        except ClientError as error:
            if error_code(error) != "ValidationException":
                raise
        self._wait(change)

    def _record_previous(self, change: EndpointChange) -> None:
        """Remember the config we replaced, so garbage collection keeps it for a revert."""
        if change.live_config is None:
            return
        tags: Pairs = ((naming.TAG_PREVIOUS_CONFIG, change.live_config),)
        if change.desired is not None:  # the update rolls out with the manifest's settings
            tags += ((naming.TAG_ROLLOUT, naming.rollout_hash(change.desired.spec)),)
        data = " ".join(change.rollout.previous_model_data) if change.rollout else ""
        if 0 < len(data) <= naming.MAX_TAG_VALUE:  # else plan reads the config to find it
            tags += ((naming.TAG_PREVIOUS_MODEL_DATA, data),)
        self._tag_endpoint(change, tags)

    def _tag_endpoint(self, change: EndpointChange, tags: Pairs) -> None:
        self.clients.sagemaker.add_tags(ResourceArn=change.live_arn, Tags=wire.aws_tags(tags))

    # --- one endpoint's story ----------------------------------------------------------------

    def apply(self, change: EndpointChange) -> EndpointResult:
        started = time.monotonic()
        try:
            outcome, message = self._apply(change)
        except _EndpointFailure as failure:
            return EndpointResult(
                change.endpoint, failure.outcome, str(failure), time.monotonic() - started
            )
        except ClientError as error:
            outcome = Outcome.AWS_ERROR
            message = str(error)
            if error_code(error) == "ResourceLimitExceeded":
                outcome = Outcome.QUOTA_EXCEEDED
                message = quota_message(change, error.response["Error"].get("Message", ""))
            return EndpointResult(change.endpoint, outcome, message, time.monotonic() - started)
        elapsed = time.monotonic() - started
        if outcome is not Outcome.UNCHANGED:
            self._say(change, f"done: {message} in {elapsed:.0f}s")
        return EndpointResult(change.endpoint, outcome, message, elapsed)

    def _apply(self, change: EndpointChange) -> tuple[Outcome, str]:
        if not change.is_change and not change.wait_first:
            return Outcome.UNCHANGED, _DONE[change.action]
        self._check_stop(change)
        if change.wait_first:
            self._say(change, f"waiting: endpoint is {change.live_status}")
            self._wait(change)
            settled = self._settled(change)
            if settled is None:
                return Outcome.DELETED, "already deleted"
            if settled.action is Action.NOOP:
                return Outcome.APPLIED, _EARLIER.get(change.action, _DONE[Action.NOOP])
            change = settled
        for step in STEPS[change.action]:
            self._check_stop(change)
            step(self, change)
        if change.action is Action.DELETE:
            return Outcome.DELETED, "deleted"
        self._follow_up(change)
        if change.action is Action.UPDATE:  # only now does this commit's config serve
            self._tag_endpoint(change, ((naming.TAG_COMMIT, self.commit),))
        return Outcome.APPLIED, _DONE[change.action]

    def _settled(self, planned: EndpointChange) -> EndpointChange | None:
        """Re-plan after waiting out an earlier transition. The plan's own action runs on the
        state now; a follow-up or nothing means an earlier apply's change got there first."""
        replanned = self._replan(planned)
        if replanned is None:
            return None
        if replanned.action is planned.action and planned.action is not Action.NOOP:
            return replanned
        if replanned.action is Action.NOOP or replanned.action in _FOLLOW_UPS:
            if planned.action in _EARLIER:
                self._say(planned, _EARLIER[planned.action])
            return replanned
        raise self._unreviewed(planned.action, replanned)

    def _follow_up(self, change: EndpointChange) -> None:
        """Re-plan until nothing is left; run each follow-up's steps (level-triggered)."""
        for _ in range(_MAX_FOLLOW_UPS):
            self._check_stop(change)
            replanned = self._replan(change)
            if replanned is None or replanned.action is Action.NOOP:
                return
            if replanned.action not in _FOLLOW_UPS:
                raise self._unreviewed(change.action, replanned)
            for step in STEPS[replanned.action]:
                step(self, replanned)
            change = replanned
        raise _EndpointFailure(
            Outcome.AWS_ERROR,
            f"still not as planned after {_MAX_FOLLOW_UPS} follow-ups: last {change.action.value}",
        )


def _logs(change: EndpointChange) -> str:
    """Where the model container's own error is: its CloudWatch log group and streams."""
    variants = change.desired.config.variants if change.desired else ()
    streams = ", ".join(f"{v.name}/*" for v in variants) or "*"
    group = naming.log_group(change.endpoint)
    return f" (container logs: CloudWatch log group {group}, streams {streams})"


def _desired(change: EndpointChange) -> DesiredEndpoint:
    assert change.desired is not None  # every action but DELETE and ORPHAN carries one
    return change.desired


_A = EndpointApplier
# Each action's steps, in order; the follow-ups of the re-plan run after them.
STEPS: dict[Action, tuple[Callable[[EndpointApplier, EndpointChange], None], ...]] = {
    Action.CREATE: (_A.remove_scaling, _A.sync_alarms, _A.create_endpoint),
    Action.REPLACE: (_A.remove_scaling, _A.delete_endpoint, _A.sync_alarms, _A.create_endpoint),
    Action.UPDATE: (_A.remove_scaling, _A.sync_alarms, _A.update_endpoint),
    Action.UPDATE_CAPACITY: (_A.remove_scaling, _A.sync_alarms, _A.set_capacity, _A.add_scaling),
    Action.UPDATE_SCALING: (_A.remove_scaling, _A.sync_alarms, _A.add_scaling),
    Action.UPDATE_ALARMS: (_A.sync_alarms,),
    Action.VERIFY: (_A.smoke_test,),
    # The reconcile put the pinned bytes back before apply; SageMaker is already as wanted.
    Action.REPAIR: (),
    # The owned alarms go with their endpoint, after it.
    Action.DELETE: (_A.remove_scaling, _A.delete_endpoint, _A.sync_alarms),
    Action.NOOP: (),
    Action.ORPHAN: (),
}
# Said when a wait shows an earlier apply's change already did what the plan meant to.
_EARLIER = {
    Action.NOOP: "an earlier apply's change completed, InService",
    Action.UPDATE: "already on the desired config: an earlier apply's update",
}
_DONE = {
    Action.CREATE: "create applied, InService",
    Action.REPLACE: "replace applied, InService",
    Action.UPDATE: "update applied, InService",
    Action.UPDATE_CAPACITY: "update_capacity applied, InService",
    Action.UPDATE_SCALING: "update_scaling applied",
    Action.UPDATE_ALARMS: "owned alarms updated",
    Action.VERIFY: "smoke test of the live config passed",
    Action.REPAIR: "model data uploaded again from the pin",
    Action.DELETE: "deleted",
    Action.NOOP: "up to date",
    Action.ORPHAN: "kept without a manifest (prune off)",
}


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
