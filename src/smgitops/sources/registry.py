"""Model Registry at the AWS edge: one version's details, or a group's latest approved one."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from smgitops.aws.clients import error_code
from smgitops.core.pins import APPROVED, PackagePin
from smgitops.errors import UserError


def describe_package(sagemaker: Any, arn: str, requested: str) -> PackagePin:
    """The version `arn` (what it serves, its approval status); UserError when unusable."""
    try:
        found = sagemaker.describe_model_package(ModelPackageName=arn)
    except ClientError as error:
        if error_code(error) in {"ValidationException", "ResourceNotFound"}:
            raise UserError(f"model package {arn} does not exist") from None
        raise
    containers = (found.get("InferenceSpecification") or {}).get("Containers") or []
    if len(containers) != 1 or "ModelDataUrl" not in containers[0]:
        raise UserError(
            f"model package {arn} must have exactly one inference container with a ModelDataUrl"
        )
    return PackagePin(
        arn=found["ModelPackageArn"],
        group=found.get("ModelPackageGroupName") or "",
        version=int(found.get("ModelPackageVersion") or 0),
        approval_status=found.get("ModelApprovalStatus", "PendingManualApproval"),
        image_uri=containers[0]["Image"],
        model_data_url=containers[0]["ModelDataUrl"],
        requested=requested,
    )


def latest_approved_arn(sagemaker: Any, group: str) -> str:
    """ARN of the highest Approved version in `group`; UserError when there is none."""
    newest: tuple[int, str] | None = None
    paginator = sagemaker.get_paginator("list_model_packages")
    try:
        pages = list(paginator.paginate(ModelPackageGroupName=group, ModelApprovalStatus=APPROVED))
    except ClientError as error:
        if error_code(error) == "ValidationException":
            raise UserError(f"model package group {group} does not exist") from None
        raise
    for page in pages:
        for summary in page.get("ModelPackageSummaryList", []):
            # Highest version number, not creation time: two versions can share a timestamp.
            candidate = (int(summary.get("ModelPackageVersion") or 0), summary["ModelPackageArn"])
            if newest is None or candidate > newest:
                newest = candidate
    if newest is None:
        raise UserError(f"model package group {group} has no Approved version")
    return newest[1]
