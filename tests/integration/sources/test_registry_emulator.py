"""The Model Registry calls smgitops relies on, as the emulator answers them.

moto 5.2.5 implements them with AWS's shapes; the emulator only adds AWS's default approval
status for new versions (smgitops.emulator.model_registry). An upgrade that changes either
shows here.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

SPEC = {
    "Containers": [{"Image": "registry.example.com/serving:1", "ModelDataUrl": "s3://b/k"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["application/json"],
}


def test_versions_start_pending_and_list_filters_by_approval_status(aws):
    sagemaker = boto3.client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName="churn")
    first = sagemaker.create_model_package(
        ModelPackageGroupName="churn", InferenceSpecification=SPEC
    )["ModelPackageArn"]
    assert first.endswith(":model-package/churn/1")
    described = sagemaker.describe_model_package(ModelPackageName=first)
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    assert described["ModelPackageVersion"] == 1
    assert described["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == "s3://b/k"

    def approved() -> list[int]:
        pages = sagemaker.get_paginator("list_model_packages").paginate(
            ModelPackageGroupName="churn", ModelApprovalStatus="Approved"
        )
        return [s["ModelPackageVersion"] for p in pages for s in p["ModelPackageSummaryList"]]

    assert approved() == []
    sagemaker.update_model_package(ModelPackageArn=first, ModelApprovalStatus="Approved")
    assert approved() == [1]


def test_describing_a_missing_version_is_a_validation_error(aws):
    sagemaker = boto3.client("sagemaker")
    with pytest.raises(ClientError) as raised:
        sagemaker.describe_model_package(
            ModelPackageName="arn:aws:sagemaker:us-east-1:123456789012:model-package/none/1"
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"
