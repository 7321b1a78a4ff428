"""Every knob of the emulator, declared once: its name, type, default and what it does.

Knobs are what tests, benchmarks and operators turn: fault injection, quotas and timings.
`Emulator(**knobs)` starts with them (and `reset()` returns to them), `Emulator.configure`
and `POST /_smgitops/faults` change them while it runs, and `smgitops emulator` offers the
ones declared with `option=True` as command-line options. All of these read the fields of
`Knobs`, so a new knob is one field here (plus the code that acts on it).

Knobs are process-wide, as the emulator is (one per process): every account and region sees
the same. Imports nothing heavy, so the CLI can build its options without loading moto.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType, NoneType, UnionType
from typing import Any, get_args, get_origin, get_type_hints


def knob(
    default: Any,
    doc: str,
    *,
    at_least: float | None = None,
    at_most: float | None = None,
    option: bool = False,
) -> Any:
    """A `Knobs` field. `doc` says what the knob does (also the option's --help); values below
    `at_least` or above `at_most` are refused; `option`: also a `smgitops emulator` option."""
    metadata = {"doc": doc, "at_least": at_least, "at_most": at_most, "option": option}
    if isinstance(default, Mapping):
        return field(default_factory=lambda: MappingProxyType(dict(default)), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Knobs:
    """The emulator's knobs at one moment; a change makes a new `Knobs` (see `changed`)."""

    transition_seconds: float = knob(
        1.0,
        "How long Creating, Updating and Deleting last before the next status (and the "
        "provisioning of each batch of an update); applies to transitions in flight.",
        at_least=0,
        option=True,
    )
    wait_scale: float = knob(
        1.0,
        "Real seconds waited per second of an update's bakes and termination wait "
        "(WaitIntervalInSeconds, TerminationWaitInSeconds): 1 waits them out as AWS does, "
        "0.01 turns a 300 s canary bake into 3 s, 0 skips them; applies to bakes in flight.",
        at_least=0,
        option=True,
    )
    timeout_scale: float = knob(
        1.0,
        "Real seconds per second of SageMaker's own timeouts: a variant's "
        "ContainerStartupHealthCheckTimeoutInSeconds and ModelDataDownloadTimeoutInSeconds "
        "(or their defaults) and the 60 s invocation timeout. 1: as AWS; 0.01 turns a "
        "600 s startup timeout into 6 s.",
        at_least=0.001,
    )
    fail_next_creates: int = knob(
        0, "How many of the next CreateEndpoint calls end Failed with a FailureReason."
    )
    fail_next_updates: int = knob(
        0,
        "How many of the next UpdateEndpoint calls roll back: InService on the old config, "
        "with a FailureReason.",
    )
    instance_quotas: Mapping[str, int] = knob(
        {},
        'Per instance type, the most instances endpoints may hold, e.g. {"ml.m5.large": 4}; '
        "CreateEndpoint and UpdateEndpoint beyond it answer ResourceLimitExceeded in AWS's "
        "wording (an update counts the old and the new fleet, as blue/green runs both), and "
        "Service Quotas lists them (ListServiceQuotas/GetServiceQuota, service code "
        'sagemaker, "<type> for endpoint usage"). Empty: no quota.',
    )
    throttle_rate: float = knob(
        0.0,
        "Fraction of AWS requests answered with their protocol's throttling error: "
        "ThrottlingException (JSON, CBOR), Throttling (query), SlowDown 503 (S3).",
        at_least=0,
        at_most=1,
    )
    throttle_services: frozenset[str] = knob(
        frozenset(),
        'Throttle only requests to these signing names, e.g. ["sagemaker"]; empty: all.',
    )
    seed: int | None = knob(
        None, "Seed of the throttling choice, for repeatable runs; setting it starts again."
    )
    latency_seconds: float = knob(
        0.0,
        "Seconds added to every AWS request (only to latency_operations when those are set).",
        at_least=0,
    )
    latency_operations: frozenset[str] = knob(
        frozenset(),
        'Delay only these operations, e.g. ["CreateModel"]; empty: every one. With the call '
        "log, a test can stop a client while that call is in flight.",
    )
    model_environments: bool = knob(
        True,
        "Serve a model on the project's image in its own serving environment: its "
        "code/requirements.txt under the project's locks, as the image installs it (off: "
        "the emulator's own Python, which may have packages the image lacks).",
    )
    enforce_iam: bool = knob(
        False,
        "Check each request's signature and its signer's IAM policies; the keys of a user "
        "allowed everything go to stderr (the command) and Emulator.admin_credentials.",
        option=True,
    )

    def changed(self, changes: Mapping[str, Any]) -> Knobs:
        """These knobs with `changes` ({name: value}) applied; None leaves a knob as it is.

        ValueError naming the knob for an unknown name (listing the known ones), a value not
        of the knob's type, or one out of its range; nothing changes then. No side effects.
        """
        known = declared()
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown knobs {unknown} (allowed: {', '.join(known)})")
        parsed = {
            name: known[name].parse(value) for name, value in changes.items() if value is not None
        }
        return dataclasses.replace(self, **parsed)

    def view(self) -> dict[str, Any]:
        """The knobs as JSON values: sets as sorted lists, the quotas as an object."""
        shown: dict[str, Any] = {}
        for name in declared():
            value = getattr(self, name)
            if isinstance(value, frozenset):
                value = sorted(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            shown[name] = value
        return shown


@dataclass(frozen=True)
class Knob:
    """One knob as `Knobs` declares it."""

    name: str
    kind: Any  # the field's type, e.g. float, int | None, frozenset[str]
    default: Any
    doc: str
    at_least: float | None
    at_most: float | None
    option: bool

    def parse(self, value: Any) -> Any:
        """`value` (a Python or JSON value) as this knob's type; ValueError naming the knob
        when it is not one or is out of range."""
        try:
            parsed = _parser(self.kind)(value)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{self.name}: {error}") from None
        if self.at_most is not None and self.at_least is not None:
            if not self.at_least <= parsed <= self.at_most:
                raise ValueError(f"{self.name} must be between {self.at_least} and {self.at_most}")
        elif self.at_least is not None and parsed < self.at_least:
            raise ValueError(f"{self.name} must be >= {self.at_least}")
        return parsed


def _parser(kind: Any) -> Callable[[Any], Any]:
    """How a value becomes `kind`: the type itself, or per item for sets and mappings."""
    origin, args = get_origin(kind), get_args(kind)
    if origin is UnionType:  # `int | None`: None never gets here (it leaves a knob as it is)
        return _parser(next(arg for arg in args if arg is not NoneType))
    if origin is frozenset:
        return lambda value: frozenset(args[0](item) for item in value)
    if origin is Mapping:
        key, item = args
        return lambda value: MappingProxyType({key(k): item(v) for k, v in dict(value).items()})
    return kind


@cache
def declared() -> dict[str, Knob]:
    """Every knob by name, in the order `Knobs` declares them. No side effects."""
    kinds = get_type_hints(Knobs)
    defaults = Knobs()
    return {
        f.name: Knob(f.name, kinds[f.name], getattr(defaults, f.name), **f.metadata)
        for f in dataclasses.fields(Knobs)
    }
