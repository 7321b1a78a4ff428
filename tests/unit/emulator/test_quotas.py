"""Instance quotas of the emulated SageMaker (pure parts)."""

from __future__ import annotations

import pytest

from smgitops.emulator.quotas import ResourceLimitExceeded, check, fleet_instances


def test_fleet_counts_instances_per_type_and_ignores_serverless():
    variants = [
        {"InstanceType": "ml.m5.large", "InitialInstanceCount": 2},
        {"InstanceType": "ml.m5.large", "InitialInstanceCount": 1},
        {"InstanceType": "ml.c5.xlarge", "InitialInstanceCount": 3},
        {"ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}},
    ]
    assert fleet_instances(variants) == {"ml.m5.large": 3, "ml.c5.xlarge": 3}


def test_request_over_the_quota_is_refused_with_aws_wording():
    with pytest.raises(ResourceLimitExceeded) as raised:
        check({"ml.m5.large": 3}, {"ml.m5.large": 2}, {"ml.m5.large": 2})
    assert raised.value.code == "ResourceLimitExceeded"
    assert (
        "The account-level service limit 'ml.m5.large for endpoint usage' is 3 Instances, "
        "with current utilization of 2 Instances and a request delta of 2 Instances"
    ) in str(raised.value.message)


def test_request_within_the_quota_or_of_another_type_passes():
    check({"ml.m5.large": 4}, {"ml.m5.large": 2}, {"ml.m5.large": 2})
    check({"ml.m5.large": 1}, {}, {"ml.c5.xlarge": 8})
