"""The emulator's Service Quotas for SageMaker list what the quota knob enforces."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from smgitops.emulator.service_quotas import quota_code


@pytest.fixture
def quotas(aws):
    return boto3.client("service-quotas", endpoint_url=aws.url, region_name="us-east-1")


def test_the_knob_is_listed_as_sagemakers_endpoint_quotas(aws, quotas):
    aws.configure(instance_quotas={"ml.m5.large": 4, "ml.g5.xlarge": 1})
    listed = quotas.list_service_quotas(ServiceCode="sagemaker")["Quotas"]
    assert [(q["QuotaName"], q["Value"]) for q in listed] == [
        ("ml.g5.xlarge for endpoint usage", 1.0),
        ("ml.m5.large for endpoint usage", 4.0),
    ]
    code = quota_code("ml.m5.large for endpoint usage")
    assert code.startswith("L-") and len(code) == 10
    one = quotas.get_service_quota(ServiceCode="sagemaker", QuotaCode=code)["Quota"]
    assert one["Value"] == 4.0 and one["QuotaArn"].endswith(f":sagemaker/{code}")


def test_pages_of_max_results(aws, quotas):
    aws.configure(instance_quotas={f"ml.m5.{size}": 1 for size in ("large", "xlarge", "2xlarge")})
    first = quotas.list_service_quotas(ServiceCode="sagemaker", MaxResults=2)
    second = quotas.list_service_quotas(
        ServiceCode="sagemaker", MaxResults=2, NextToken=first["NextToken"]
    )
    assert len(first["Quotas"]) == 2 and len(second["Quotas"]) == 1 and "NextToken" not in second


def test_no_knob_lists_no_quota_and_an_unknown_code_is_no_such_resource(aws, quotas):
    assert quotas.list_service_quotas(ServiceCode="sagemaker")["Quotas"] == []
    with pytest.raises(ClientError) as error:
        quotas.get_service_quota(ServiceCode="sagemaker", QuotaCode="L-00000000")
    assert error.value.response["Error"]["Code"] == "NoSuchResourceException"
