"""Reads live state for one env with boto3, in parallel, with a bounded number of calls.

Per endpoint: DescribeEndpoint and ListTags (2 calls); the config and model behind it are read
only when their name differs from the desired one (to explain the change); the kept previous
config's model data comes from a tag (2 calls to read the config and model only for endpoints
updated before that tag existed); one HEAD per distinct model data URL those
configs point at in the env's bucket (is it still there, still the bytes uploaded?). Per env:
the inventory object and the Application Auto Scaling targets and policies (3 calls).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from botocore.exceptions import ClientError

from smgitops.aws import wire
from smgitops.aws.clients import client, error_code
from smgitops.aws.history import read_history
from smgitops.aws.inventory import read_inventory
from smgitops.aws.verify import ObjectState, head, split_uri, tarball_state
from smgitops.core import naming
from smgitops.core.desired import EnvSettings
from smgitops.core.live import (
    LastOutcome,
    LiveAlarm,
    LiveConfig,
    LiveEndpoint,
    LiveState,
    ModelDataCheck,
)
from smgitops.core.naming import s3_artifact_digest
from smgitops.core.resources import DesiredEndpoint

READ_CONCURRENCY = 32


@dataclass(frozen=True)
class Clients:
    """The boto3 clients one run uses (boto3 clients are safe to share across threads)."""

    sagemaker: Any
    runtime: Any
    autoscaling: Any
    s3: Any
    cloudwatch: Any

    @classmethod
    def for_region(cls, region: str) -> Clients:
        return cls(
            sagemaker=client("sagemaker", region),
            runtime=client("sagemaker-runtime", region),
            autoscaling=client("application-autoscaling", region),
            s3=client("s3", region),
            cloudwatch=client("cloudwatch", region),
        )


def is_not_found(error: ClientError) -> bool:
    message = str(error.response.get("Error", {}).get("Message", ""))
    return error_code(error) == "ValidationException" and "Could not find" in message


def describe_endpoint(sagemaker: Any, name: str, with_tags: bool = True) -> LiveEndpoint | None:
    """The endpoint (with its tags, one ListTags more, unless `with_tags` is False), or None
    when it does not exist."""
    try:
        response = sagemaker.describe_endpoint(EndpointName=name)
    except ClientError as error:
        if is_not_found(error):
            return None
        raise
    tags = (
        sagemaker.list_tags(ResourceArn=response["EndpointArn"]).get("Tags", [])
        if with_tags
        else []
    )
    return wire.parse_endpoint(response, tags)


def read_config(sagemaker: Any, name: str) -> LiveConfig | None:
    """An endpoint config with its models; None when it is gone (e.g. deleted by hand)."""
    try:
        response = sagemaker.describe_endpoint_config(EndpointConfigName=name)
        model_names = sorted({v["ModelName"] for v in response.get("ProductionVariants", [])})
        models = tuple(
            wire.parse_model(sagemaker.describe_model(ModelName=name)) for name in model_names
        )
    except ClientError as error:
        if is_not_found(error):
            return None
        raise
    return wire.parse_config(response, models)


def _with_config(sagemaker: Any, endpoint: LiveEndpoint) -> LiveEndpoint:
    config = read_config(sagemaker, endpoint.config_name)
    # A config deleted by hand: the planner still plans an update.
    return endpoint if config is None else replace(endpoint, config=config)


def _read_endpoint(
    sagemaker: Any, name: str, desired_config: str | None, env: str
) -> LiveEndpoint | None:
    endpoint = describe_endpoint(sagemaker, name)
    # Read when it changes, or when the endpoint has no manifest: the plan lists what goes.
    if (
        endpoint is not None
        and endpoint.config_name != desired_config
        and naming.is_owned(endpoint.tag_map, env)
    ):
        endpoint = _with_config(sagemaker, endpoint)
    return endpoint


def _read_scaling(autoscaling: Any, names: set[str]) -> tuple:
    def ours(item: dict) -> bool:
        return naming.scaled_endpoint(item["ResourceId"]) in names

    targets, policies = [], []
    for page in autoscaling.get_paginator("describe_scalable_targets").paginate(
        ServiceNamespace="sagemaker"
    ):
        targets += [t for t in page["ScalableTargets"] if ours(t)]
    for page in autoscaling.get_paginator("describe_scaling_policies").paginate(
        ServiceNamespace="sagemaker"
    ):
        policies += [p for p in page["ScalingPolicies"] if ours(p)]
    return wire.parse_scaling(targets, policies)


def _read_scaling_of(autoscaling: Any, resource_ids: list[str]) -> tuple:
    """The scaling targets and policies of these resource ids only: one call per variant."""
    if not resource_ids:  # an empty filter would list every target of the account
        return ()
    targets = autoscaling.describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=resource_ids
    )["ScalableTargets"]
    policies = []
    for resource_id in resource_ids:
        policies += autoscaling.describe_scaling_policies(
            ServiceNamespace="sagemaker", ResourceId=resource_id
        )["ScalingPolicies"]
    return wire.parse_scaling(targets, policies)


def read_one(
    clients: Clients,
    env: str,
    name: str,
    desired: DesiredEndpoint | None,
    scaling_ids: set[str],
    alarm_names: set[str],
) -> LiveState:
    """Live state of one endpoint, as apply reads it again after a wait: the endpoint (with its
    config when that is not the desired one), the scaling targets `scaling_ids` (resource ids,
    `endpoint/<name>/variant/<variant>`) and the owned alarms `alarm_names`. Model data and
    the manifests' own rollback alarms are not read: they were the plan's checks."""
    endpoint = _read_endpoint(
        clients.sagemaker, name, desired.config.name if desired else None, env
    )
    return LiveState(
        endpoints=() if endpoint is None else (endpoint,),
        scaling=_read_scaling_of(clients.autoscaling, sorted(scaling_ids)),
        inventory=(name,),
        owned_alarms=read_owned_alarms(clients.cloudwatch, env, sorted(alarm_names)),
    )


def _kept_data_urls(sagemaker: Any, endpoint: LiveEndpoint) -> tuple[str, ...]:
    """Model data of the endpoint's kept previous config: from its tag (no call), else read."""
    tags = endpoint.tag_map
    recorded = tags.get(naming.TAG_PREVIOUS_MODEL_DATA)
    if recorded:
        return tuple(recorded.split())
    name = tags.get(naming.TAG_PREVIOUS_CONFIG)
    config = read_config(sagemaker, name) if name else None
    return tuple(m.model_data_url for m in config.models) if config else ()


def _check_model_data(s3: Any, settings: EnvSettings, url: str) -> ModelDataCheck | None:
    """One HEAD of a model data URL in the env's bucket (others are not ours to read)."""
    bucket, _ = split_uri(url)
    if not url.startswith("s3://") or bucket != settings.artifact_bucket:
        return None
    found = head(s3, url)
    tree = naming.tarball_tree(url) or naming.pinned_tarball_sha256(url)
    if tree is not None:
        return ModelDataCheck(url, tarball_state(found, tree).value)
    copied = s3_artifact_digest(url)
    if copied is not None:
        return ModelDataCheck(url, tarball_state(found, copied, allow_unrecorded=True).value)
    # Tarballs of the first packaging format: existence only.
    state = ObjectState.MISSING if found is None else ObjectState.UNVERIFIED
    return ModelDataCheck(url, state.value)


def _live_data_urls(endpoint: LiveEndpoint, desired: DesiredEndpoint | None) -> tuple[str, ...]:
    if endpoint.config is not None:
        return tuple(m.model_data_url for m in endpoint.config.models)
    if desired is not None and endpoint.config_name == desired.config.name:
        return (desired.model.model_data_url,)  # same config name: same model data
    return ()


def read_live(
    clients: Clients, settings: EnvSettings, desired: Iterable[DesiredEndpoint]
) -> LiveState:
    """Live state of the desired endpoints and of everything the inventory remembers, and
    the state of the model data their live and kept previous configs point at."""
    by_name = {d.name: d for d in desired}
    inventory = read_inventory(clients.s3, settings)
    names = sorted(set(by_name) | set(inventory))
    with ThreadPoolExecutor(max_workers=READ_CONCURRENCY) as pool:
        scaling = pool.submit(_read_scaling, clients.autoscaling, set(names))
        last_outcomes = pool.submit(_last_outcomes, clients.s3, settings, set(names))
        owned_alarms = pool.submit(read_owned_alarms, clients.cloudwatch, settings.name)
        endpoints = pool.map(
            lambda name: _read_endpoint(
                clients.sagemaker,
                name,
                by_name[name].config.name if name in by_name else None,
                settings.name,
            ),
            names,
        )
        found = tuple(e for e in endpoints if e is not None)
        owned = [e for e in found if naming.is_owned(e.tag_map, settings.name)]
        previous = tuple(pool.map(lambda e: (e.name, _kept_data_urls(clients.sagemaker, e)), owned))
        urls = {u for e in owned for u in _live_data_urls(e, by_name.get(e.name))}
        urls |= {u for _, kept_urls in previous for u in kept_urls}
        checks = pool.map(lambda url: _check_model_data(clients.s3, settings, url), sorted(urls))
        wanted = {a for d in by_name.values() for a in d.spec.deployment.rollback_alarms}
        return LiveState(
            endpoints=found,
            scaling=scaling.result(),
            inventory=inventory,
            model_data=tuple(c for c in checks if c is not None),
            previous_data=previous,
            alarms=existing_alarms(clients.cloudwatch, wanted),
            last_outcomes=last_outcomes.result(),
            owned_alarms=owned_alarms.result(),
        )


def _last_outcomes(s3: Any, settings: EnvSettings, names: set[str]) -> tuple[LastOutcome, ...]:
    """The newest recorded outcome of each of these endpoints: one GetObject of the history."""
    history = read_history(s3, settings)
    last = (history.last(name) for name in sorted(names))
    return tuple(LastOutcome(o.endpoint, o.outcome, o.message, o.commit, o.at) for o in last if o)


def read_owned_alarms(
    cloudwatch: Any, env: str, names: list[str] | None = None
) -> tuple[LiveAlarm, ...]:
    """The metric alarms smgitops owns in `env` (by name prefix), or only `names` of them
    (at most 100)."""
    if names == []:
        return ()
    query = (
        {"AlarmNames": names}
        if names is not None
        else {"AlarmNamePrefix": naming.alarm_prefix(env)}
    )
    alarms = []
    for page in cloudwatch.get_paginator("describe_alarms").paginate(
        AlarmTypes=["MetricAlarm"], **query
    ):
        alarms += [wire.parse_alarm(a) for a in page.get("MetricAlarms", [])]
    return tuple(sorted(alarms, key=lambda a: a.name))


def existing_alarms(cloudwatch: Any, names: set[str]) -> frozenset[str]:
    """Which of these CloudWatch alarm names exist: DescribeAlarms, 100 names a call."""
    found: set[str] = set()
    ordered = sorted(names)
    for start in range(0, len(ordered), 100):
        pages = cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmNames=ordered[start : start + 100], AlarmTypes=["MetricAlarm", "CompositeAlarm"]
        )
        for page in pages:
            found |= {a["AlarmName"] for a in page.get("MetricAlarms", [])}
            found |= {a["AlarmName"] for a in page.get("CompositeAlarms", [])}
    return frozenset(found)
