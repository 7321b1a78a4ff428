"""Model Registry behaviour moto 5.2.5 lacks: a new versioned package starts pending approval,
and the describe answers carry the members botocore's output shapes require.

AWS gives a version created without ModelApprovalStatus the status PendingManualApproval;
moto leaves it unset, so ListModelPackages(ModelApprovalStatus=...) and DescribeModelPackage
would disagree with AWS. DescribeModelPackage requires ModelPackageName (a version's is its
group's name; moto drops it) and DescribeModelPackageGroup requires CreatedBy (moto drops it;
AWS sends an empty UserContext for callers outside SageMaker Studio). Everything else the
project uses (groups, versions, describe, list by status, approval updates) moto already
implements with AWS's shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.sagemaker.models import ModelPackage, ModelPackageGroup, SageMakerModelBackend

PENDING = "PendingManualApproval"
# Captured before patch.install replaces the methods.
_upstream_create_model_package = SageMakerModelBackend.create_model_package
_upstream_package_view = ModelPackage.gen_response_object
_upstream_group_view = ModelPackageGroup.gen_response_object


def backend_create_model_package(self: Any, **kwargs: Any) -> str:
    arn = _upstream_create_model_package(self, **kwargs)
    package = self.model_packages[arn]
    if package.model_package_group_name and package.model_approval_status is None:
        package.model_approval_status = PENDING
    return arn


def package_view(self: ModelPackage) -> dict[str, Any]:
    """ModelPackage.gen_response_object: a version also names itself (its group's name)."""
    view = _upstream_package_view(self)
    view.setdefault("ModelPackageName", self.model_package_name)
    return view


def group_view(self: ModelPackageGroup) -> dict[str, Any]:
    """ModelPackageGroup.gen_response_object, with the CreatedBy the output shape requires."""
    return {**_upstream_group_view(self), "CreatedBy": {}}


REGISTRY_METHODS: dict[str, Callable[..., Any]] = {
    "create_model_package": backend_create_model_package,
}
