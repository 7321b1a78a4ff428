"""Model Registry behaviour moto 5.2.5 lacks: a new versioned package starts pending approval.

AWS gives a version created without ModelApprovalStatus the status PendingManualApproval;
moto leaves it unset, so ListModelPackages(ModelApprovalStatus=...) and DescribeModelPackage
would disagree with AWS. Everything else the project uses (groups, versions, describe, list
by status, approval updates) moto already implements with AWS's shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.sagemaker.models import SageMakerModelBackend

PENDING = "PendingManualApproval"
# Captured before patch.install replaces the method.
_upstream_create_model_package = SageMakerModelBackend.create_model_package


def backend_create_model_package(self: Any, **kwargs: Any) -> str:
    arn = _upstream_create_model_package(self, **kwargs)
    package = self.model_packages[arn]
    if package.model_package_group_name and package.model_approval_status is None:
        package.model_approval_status = PENDING
    return arn


REGISTRY_METHODS: dict[str, Callable[..., Any]] = {
    "create_model_package": backend_create_model_package,
}
