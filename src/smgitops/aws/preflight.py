"""What the plan's preflight reads: instance quotas (Service Quotas) and the instances in
service across the account, both read-only and both optional.

Nothing here stops a plan: a role that may not call Service Quotas, or a Service Quotas that
does not answer, makes the quotas "unknown"; a role that may not list and describe every
endpoint of the account makes the plan count this env's endpoints instead, and say so.
Both are read only when some change needs more instances than its endpoint holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from smgitops.aws.clients import client, error_code
from smgitops.aws.reader import READ_CONCURRENCY, describe_endpoint, read_config
from smgitops.core.live import LiveState
from smgitops.core.preflight import (
    InService,
    Quotas,
    count_in_service,
    live_fleet,
)
from smgitops.core.resources import DesiredEndpoint

SERVICE_CODE = "sagemaker"
# "ml.m5.large for endpoint usage": the per-type quota of instances endpoints may hold.
_ENDPOINT_QUOTA = re.compile(r"^(?P<type>ml\.[a-z0-9-]+\.[a-z0-9]+) for endpoint usage$")
# Instances of an endpoint in these states count against the quota (a Failed one holds none).
_HOLDING = frozenset(
    {
        "Creating",
        "Updating",
        "SystemUpdating",
        "RollingBack",
        "InService",
        "Deleting",
        "UpdateRollbackFailed",  # still runs its instances
    }
)


def _why(error: Exception) -> str:
    if isinstance(error, ClientError):
        return error_code(error) or "an error without a code"
    return f"no answer ({type(error).__name__})"


def read_quotas(quotas_client: Any, instance_types: Iterable[str]) -> Quotas:
    """The endpoint-usage quotas of these instance types: ListServiceQuotas for service code
    `sagemaker`, every page (one call per 100 quotas). Unknown, with the reason, when Service
    Quotas refuses or does not answer."""
    wanted = set(instance_types)
    values = {}
    try:
        for page in quotas_client.get_paginator("list_service_quotas").paginate(
            ServiceCode=SERVICE_CODE, PaginationConfig={"PageSize": 100}
        ):
            for quota in page.get("Quotas", []):
                found = _ENDPOINT_QUOTA.match(str(quota.get("QuotaName", "")))
                if found and found["type"] in wanted and quota.get("Value") is not None:
                    values[found["type"]] = int(quota["Value"])
    except (ClientError, BotoCoreError) as error:
        return Quotas(unknown=f"Service Quotas: {_why(error)}")
    return Quotas(tuple(sorted(values.items())))


def _describe_fleet(sagemaker: Any, name: str) -> dict[str, int] | None:
    """Instances per type one endpoint holds: DescribeEndpoint and its config (None: gone)."""
    endpoint = describe_endpoint(sagemaker, name, with_tags=False)
    if endpoint is None:
        return None
    config = read_config(sagemaker, endpoint.config_name)
    if config is None:
        return None
    fleet = live_fleet(replace(endpoint, config=config))
    return None if fleet is None else fleet[0]


def count_account(sagemaker: Any, live: LiveState, desired: Iterable[DesiredEndpoint]) -> InService:
    """Instances every endpoint of the account (in this region) holds: ListEndpoints, then
    DescribeEndpoint and DescribeEndpointConfig of each endpoint the plan did not read. When
    the role may not list or describe them all, this env's endpoints, labelled so."""
    desired = tuple(desired)
    env_count = count_in_service(live, desired)
    read = {e.name: e for e in live.endpoints}
    by_name = {d.name: d for d in desired}
    try:
        names = [
            e["EndpointName"]
            for page in sagemaker.get_paginator("list_endpoints").paginate()
            for e in page.get("Endpoints", [])
            if e.get("EndpointStatus") in _HOLDING
        ]
        known = {}
        for name in names:
            fleet = live_fleet(read[name], by_name.get(name)) if name in read else None
            if fleet is not None:
                known[name] = fleet[0]
        others = [n for n in names if n not in known]
        with ThreadPoolExecutor(max_workers=READ_CONCURRENCY) as pool:
            fleets = list(known.values())
            fleets += [f for f in pool.map(lambda n: _describe_fleet(sagemaker, n), others) if f]
    except (ClientError, BotoCoreError) as error:
        note = f"the whole account could not be counted ({_why(error)})"
        return InService(env_count.counts, "env", env_count.endpoints, note)
    counts: dict[str, int] = {}
    for fleet in fleets:
        for instance_type, count in fleet.items():
            counts[instance_type] = counts.get(instance_type, 0) + count
    return InService(tuple(sorted(counts.items())), "account", len(fleets))


def quotas_client(region: str) -> Any:
    return client("service-quotas", region)
