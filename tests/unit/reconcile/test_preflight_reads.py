"""What the preflight reads never stops a plan: a role without Service Quotas gets "unknown",
one that may not list every endpoint gets this env's count, labelled."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from smgitops.aws.preflight import count_account, read_quotas
from smgitops.core.live import LiveState
from testkit.values import desired, live_for


def _client(service: str):
    return boto3.client(
        service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def test_a_role_without_service_quotas_gets_unknown_quotas():
    quotas = _client("service-quotas")
    with Stubber(quotas) as stub:
        stub.add_client_error("list_service_quotas", "AccessDeniedException", "not allowed")
        result = read_quotas(quotas, ["ml.m5.large"])
    assert result.unknown == "Service Quotas: AccessDeniedException"
    assert result.of("ml.m5.large") is None


def test_only_endpoint_usage_quotas_of_the_needed_types_are_kept():
    quotas = _client("service-quotas")
    listed = [
        {"QuotaName": "ml.m5.large for endpoint usage", "Value": 8.0},
        {"QuotaName": "ml.m5.large for training job usage", "Value": 15.0},
        {"QuotaName": "ml.g5.xlarge for endpoint usage", "Value": 0.0},
        {"QuotaName": "ml.c5.large for endpoint usage", "Value": 4.0},
    ]
    with Stubber(quotas) as stub:
        stub.add_response("list_service_quotas", {"Quotas": listed})
        result = read_quotas(quotas, ["ml.m5.large", "ml.g5.xlarge"])
    assert result.values == (("ml.g5.xlarge", 0), ("ml.m5.large", 8))


def test_a_role_that_may_not_list_endpoints_counts_this_env_and_says_so():
    d = desired()
    live = LiveState(endpoints=(live_for(d),))
    sagemaker = _client("sagemaker")
    with Stubber(sagemaker) as stub:
        stub.add_client_error("list_endpoints", "AccessDeniedException", "not allowed")
        counted = count_account(sagemaker, live, [d])
    assert (counted.scope, counted.counts, counted.endpoints) == ("env", (("ml.m5.large", 2),), 1)
    assert counted.label == "this env's endpoints"
    assert counted.note == "the whole account could not be counted (AccessDeniedException)"
