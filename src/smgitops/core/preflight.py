"""Preflight: what each change of a plan asks of the account's instance quotas, and what it
does to the monthly on-demand bill.

Pure: `preflight()` reads the plan, the live state, what Service Quotas said and what is in
service (all read by `smgitops.aws.preflight`) and a dated price snapshot (loaded by
`smgitops.prices`), and returns values the report renders. Nothing here calls AWS.

- **Quotas**: SageMaker counts, per instance type, every instance endpoints hold ("ml.m5.large
  for endpoint usage"); a blue/green update holds the old and the new fleet at once. Each
  change's peak per instance type, minus what its endpoint holds now, must fit in the quota
  minus what is in service.
- **Cost**: on-demand USD per hour times 730 hours a month (AWS's own monthly convention),
  per endpoint before and after the change. Serverless variants are billed per request and
  asynchronous endpoints per instance and queue, so neither has a figure here ("n/a"); nor
  has an instance type the snapshot holds no price for in the env's region.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from smgitops.core.live import LiveEndpoint, LiveState
from smgitops.core.plan import Action, EndpointChange, Plan
from smgitops.core.resources import DesiredEndpoint

HOURS_PER_MONTH = 730
# Actions that start instances, change how many run, or stop them all.
_FLEET_ACTIONS = (
    Action.CREATE,
    Action.UPDATE,
    Action.UPDATE_CAPACITY,
    Action.REPLACE,
    Action.DELETE,
)

Fleet = dict[str, int]  # instance type -> instances


@dataclass(frozen=True)
class PriceSnapshot:
    """AWS's on-demand hourly prices of SageMaker real-time hosting, as of `date`."""

    date: str  # ISO date the prices were read
    source: str  # where they were read
    prices: tuple[tuple[str, str, float], ...] = ()  # (region, instance type, USD per hour)

    def hourly(self, region: str, instance_type: str) -> float | None:
        return next((usd for r, t, usd in self.prices if r == region and t == instance_type), None)


@dataclass(frozen=True)
class Quotas:
    """What Service Quotas answered: each instance type's "<type> for endpoint usage" value.
    `unknown` says why nothing could be read (the role may not list quotas, no answer)."""

    values: tuple[tuple[str, int], ...] = ()
    unknown: str | None = None

    def of(self, instance_type: str) -> int | None:
        return next((value for t, value in self.values if t == instance_type), None)


@dataclass(frozen=True)
class InService:
    """Instances endpoints hold now, per instance type, and over what they were counted:
    `env` (this env's endpoints, what the plan read) or `account` (every endpoint the role
    may list and describe). `note` says why the account could not be counted."""

    counts: tuple[tuple[str, int], ...]
    scope: Literal["env", "account"]
    endpoints: int
    note: str | None = None

    def of(self, instance_type: str) -> int:
        return next((count for t, count in self.counts if t == instance_type), 0)

    @property
    def label(self) -> str:
        return "the whole account" if self.scope == "account" else "this env's endpoints"


@dataclass(frozen=True)
class QuotaCheck:
    """One instance type a change needs more of at its peak."""

    instance_type: str
    peak: int  # instances of this type the endpoint holds at once during the change
    now: int  # instances of this type it holds now (already in service)
    quota: int | None  # None: Service Quotas gave no value
    in_service: int

    @property
    def more(self) -> int:
        return max(0, self.peak - self.now)

    @property
    def free(self) -> int | None:
        return None if self.quota is None else max(0, self.quota - self.in_service)

    @property
    def exceeds(self) -> bool:
        free = self.free
        return free is not None and self.more > free


@dataclass(frozen=True)
class MonthlyCost:
    """On-demand USD a month before and after a change; `unpriced` says why there is no
    figure (serverless, an instance type without a price, types not known)."""

    before: float | None
    after: float | None
    unpriced: str | None = None

    @property
    def delta(self) -> float | None:
        if self.unpriced is not None or self.before is None or self.after is None:
            return None
        return round(self.after - self.before, 2)


@dataclass(frozen=True)
class EndpointPreflight:
    endpoint: str
    quotas: tuple[QuotaCheck, ...]
    cost: MonthlyCost


@dataclass(frozen=True)
class Preflight:
    """The preflight of one plan: per changing endpoint, and what it was computed from."""

    region: str
    prices: PriceSnapshot
    in_service: InService
    quota_unknown: str | None
    endpoints: tuple[EndpointPreflight, ...]

    def of(self, endpoint: str) -> EndpointPreflight | None:
        return next((e for e in self.endpoints if e.endpoint == endpoint), None)

    @property
    def exceeded(self) -> tuple[tuple[str, QuotaCheck], ...]:
        return tuple((e.endpoint, q) for e in self.endpoints for q in e.quotas if q.exceeds)

    @property
    def exceeded_together(self) -> tuple[tuple[str, int, int, int], ...]:
        """(instance type, more, free, quota) where no change alone goes over the quota but
        the changes together do (apply runs them in parallel; deletes free theirs last)."""
        alone = {q.instance_type for _, q in self.exceeded}
        more: dict[str, int] = {}
        limits: dict[str, tuple[int, int]] = {}
        for entry in self.endpoints:
            for q in entry.quotas:
                if q.free is not None and q.quota is not None and q.instance_type not in alone:
                    more[q.instance_type] = more.get(q.instance_type, 0) + q.more
                    limits[q.instance_type] = (q.free, q.quota)
        return tuple(
            (t, count, *limits[t]) for t, count in sorted(more.items()) if count > limits[t][0]
        )

    @property
    def cost_delta(self) -> float:
        """The env's monthly delta over the endpoints that have a figure."""
        return round(sum(e.cost.delta or 0.0 for e in self.endpoints), 2)

    @property
    def unpriced(self) -> tuple[str, ...]:
        return tuple(e.endpoint for e in self.endpoints if e.cost.delta is None)


def _add(fleet: Fleet, instance_type: str, count: int) -> None:
    fleet[instance_type] = fleet.get(instance_type, 0) + count


def live_fleet(
    endpoint: LiveEndpoint, desired: DesiredEndpoint | None = None
) -> tuple[Fleet, bool] | None:
    """(instances per type, serverless?) the endpoint holds now; None when its instance
    types are not known (its config was not read and is not the desired one). A Failed
    endpoint holds none. No side effects."""
    if endpoint.status == "Failed":
        return {}, False
    if endpoint.config is not None:
        variants = [
            (v.name, v.instance_type, v.initial_instance_count, v.serverless is not None)
            for v in endpoint.config.variants
        ]
    elif desired is not None and desired.config.name == endpoint.config_name:
        variants = [
            (v.name, v.instance_type, v.initial_instance_count, v.serverless is not None)
            for v in desired.config.variants
        ]
    else:
        return None
    now = {v.name: v.instance_count for v in endpoint.variants}
    fleet: Fleet = {}
    serverless = False
    for name, instance_type, initial, is_serverless in variants:
        serverless = serverless or is_serverless
        count = now.get(name)
        if instance_type and not is_serverless:
            _add(fleet, instance_type, initial if count is None else count)
    return fleet, serverless


def _desired_fleet(change: EndpointChange, live: LiveEndpoint | None) -> tuple[Fleet, bool]:
    """Instances per type the endpoint runs once the change is done, and whether any of its
    variants is serverless."""
    desired = change.desired
    assert desired is not None
    counts = {c.variant: c.instance_count for c in desired.capacity}
    retained = {}
    if change.rollout is not None and change.rollout.retain_capacity and live is not None:
        retained = {v.name: v.instance_count for v in live.variants}
    fleet: Fleet = {}
    serverless = False
    for variant in desired.config.variants:
        if variant.serverless is not None or not variant.instance_type:
            serverless = True
            continue
        count = retained.get(variant.name) or counts.get(variant.name)
        _add(fleet, variant.instance_type, count or variant.initial_instance_count or 0)
    return fleet, serverless


def _step(change: EndpointChange, fleet: int) -> int:
    """A rolling update's batch of a new fleet of `fleet` instances."""
    assert change.rollout is not None
    step = change.rollout.deployment.step
    if step is None:
        return fleet
    if step.unit == "instances":
        return min(step.value, fleet)
    return max(1, math.ceil(fleet * step.value / 100))


def _peak(change: EndpointChange, before: Fleet, after: Fleet) -> Fleet:
    """Instances per type the endpoint holds at once while the change runs."""
    types = sorted(before.keys() | after.keys())
    if change.action is Action.UPDATE:
        rolling = change.rollout is not None and change.rollout.deployment.strategy == "rolling"
        return {
            t: before.get(t, 0) + (_step(change, after.get(t, 0)) if rolling else after.get(t, 0))
            for t in types
        }
    if change.action is Action.UPDATE_CAPACITY:
        return {t: max(before.get(t, 0), after.get(t, 0)) for t in types}
    if change.action in (Action.CREATE, Action.REPLACE):
        return dict(after)
    return {}


def _monthly(fleet: Fleet, region: str, prices: PriceSnapshot) -> float | str:
    """USD a month for a fleet, or the instance type with no price."""
    total = 0.0
    for instance_type, count in sorted(fleet.items()):
        hourly = prices.hourly(region, instance_type)
        if hourly is None:
            return instance_type
        total += hourly * count * HOURS_PER_MONTH
    return round(total, 2)


def _cost(
    before: Fleet | None,
    after: Fleet,
    serverless: bool,
    region: str,
    prices: PriceSnapshot,
) -> MonthlyCost:
    if serverless:
        return MonthlyCost(None, None, "serverless: billed per request, not per hour")
    if before is None:
        return MonthlyCost(None, None, "the live instance types are not known")
    old, new = _monthly(before, region, prices), _monthly(after, region, prices)
    missing = next((v for v in (old, new) if isinstance(v, str)), None)
    if missing is not None:
        return MonthlyCost(
            None,
            None,
            f"no price for {missing} in {region} in the price snapshot of {prices.date}",
        )
    assert isinstance(old, float) and isinstance(new, float)
    return MonthlyCost(old, new)


def count_in_service(live: LiveState, desired: Iterable[DesiredEndpoint]) -> InService:
    """Instances this env's endpoints hold now (every endpoint the plan read). No side
    effects."""
    by_name = {d.name: d for d in desired}
    counts: Fleet = {}
    counted = 0
    for endpoint in live.endpoints:
        fleet = live_fleet(endpoint, by_name.get(endpoint.name))
        if fleet is None:
            continue
        counted += 1
        for instance_type, count in fleet[0].items():
            _add(counts, instance_type, count)
    return InService(tuple(sorted(counts.items())), "env", counted)


def needed_types(plan: Plan, live: LiveState) -> tuple[str, ...]:
    """The instance types some change of `plan` needs more of at its peak: the quotas worth
    reading (none: no call). No side effects."""
    types: set[str] = set()
    for change, before, after, _ in _fleets(plan, live):
        peak = _peak(change, before or {}, after)
        types |= {t for t, count in peak.items() if count > (before or {}).get(t, 0)}
    return tuple(sorted(types))


def _fleets(
    plan: Plan, live: LiveState
) -> Iterable[tuple[EndpointChange, Fleet | None, Fleet, bool]]:
    """(change, fleet now or None when unknown, fleet after, serverless?) of each change
    that starts, resizes or stops instances."""
    for change in plan.changes:
        if change.action not in _FLEET_ACTIONS:
            continue
        current = live.endpoint(change.endpoint)
        now = None if current is None else live_fleet(current, change.desired)
        before: Fleet | None = {} if current is None else (now[0] if now else None)
        serverless = bool(now and now[1])
        if change.action is Action.DELETE:
            yield change, before, {}, serverless
            continue
        after, new_serverless = _desired_fleet(change, current)
        if change.action is Action.REPLACE:
            before = {}  # a Failed endpoint holds no instances
        yield change, before, after, serverless or new_serverless


def preflight(
    plan: Plan,
    live: LiveState,
    *,
    region: str,
    quotas: Quotas,
    in_service: InService,
    prices: PriceSnapshot,
) -> Preflight:
    """Quota checks and monthly cost of every change that starts, resizes or stops
    instances. No side effects."""
    endpoints = []
    for change, before, after, serverless in _fleets(plan, live):
        now = before or {}
        peak = _peak(change, now, after)
        checks = tuple(
            QuotaCheck(t, count, now.get(t, 0), quotas.of(t), in_service.of(t))
            for t, count in sorted(peak.items())
            if count > now.get(t, 0)
        )
        cost = _cost(before, after, serverless, region, prices)
        endpoints.append(EndpointPreflight(change.endpoint, checks, cost))
    return Preflight(region, prices, in_service, quotas.unknown, tuple(endpoints))


def snapshot_from_document(document: Mapping[str, object]) -> PriceSnapshot:
    """A price snapshot from its JSON form (`{"date", "source", "prices": {region: {type:
    USD per hour}}}`); ValueError naming what is wrong. No side effects."""
    date, source, prices = document.get("date"), document.get("source"), document.get("prices")
    if not isinstance(date, str) or not isinstance(source, str) or not isinstance(prices, dict):
        raise ValueError("a price snapshot needs date, source (text) and prices (an object)")
    rows = []
    for region, table in sorted(prices.items()):
        if not isinstance(table, dict):
            raise ValueError(f"prices.{region}: expected an object")
        for instance_type, usd in sorted(table.items()):
            if isinstance(usd, bool) or not isinstance(usd, int | float) or usd <= 0:
                raise ValueError(f"prices.{region}.{instance_type}: expected a positive number")
            rows.append((region, instance_type, float(usd)))
    return PriceSnapshot(date, source, tuple(rows))
