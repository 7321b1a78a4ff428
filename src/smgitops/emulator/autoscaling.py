"""Application Auto Scaling tags as AWS keeps them, so tag-scoped IAM can be proven offline.

moto 5.2.5 drops RegisterScalableTarget's `Tags` and has no TagResource, UntagResource or
ListTagsForResource. AWS (Application Auto Scaling API Reference): `Tags` on
RegisterScalableTarget tag the target when it is created and are ignored when an existing
target is updated (TagResource tags an existing one); the tag operations take the target's
ARN and answer ResourceNotFoundException for one that does not exist. These functions
become methods of moto's `ApplicationAutoScalingResponse` (installed by
`smgitops.emulator.patch.install`); a target's tags live on its moto object.

A SageMaker target registered without a RoleARN gets the service-linked role AWS uses for
it (Application Auto Scaling User Guide, "Service-linked roles"): DescribeScalableTargets
requires `RoleARN`, and moto leaves it out.
"""

from __future__ import annotations

import json
from typing import Any

from moto.applicationautoscaling.models import FakeScalableTarget
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.core.exceptions import JsonRESTError

_UPSTREAM_REGISTER = ApplicationAutoScalingResponse.register_scalable_target
# The service-linked role of SageMaker variants' scalable targets.
SAGEMAKER_ROLE = (
    "arn:aws:iam::{account}:role/aws-service-role/sagemaker.application-autoscaling."
    "amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)


class ResourceNotFound(JsonRESTError):
    def __init__(self, arn: str) -> None:
        super().__init__("ResourceNotFoundException", f"No scalable target found for {arn}")


def target_tags(target: FakeScalableTarget | None) -> dict[str, str]:
    """The tags of a moto scalable target ({} for None or an untagged one)."""
    return dict(getattr(target, "tags", {}) or {})


def find_target(backend: Any, namespace: str, resource_id: str, dimension: str) -> Any:
    """The registered target for these three request parameters, or None."""
    target = backend.targets.get(dimension, {}).get(resource_id)
    return target if target is not None and target.service_namespace == namespace else None


def target_by_arn(backend: Any, arn: str) -> Any:
    for by_id in backend.targets.values():
        for target in by_id.values():
            if target.arn == arn:
                return target
    return None


def register_scalable_target(self: Any) -> str:
    backend = self.applicationautoscaling_backend
    existed = find_target(
        backend,
        self._get_param("ServiceNamespace"),
        self._get_param("ResourceId"),
        self._get_param("ScalableDimension"),
    )
    body = _UPSTREAM_REGISTER(self)
    if existed is None:
        target = target_by_arn(backend, json.loads(body)["ScalableTargetARN"])
        target.tags = dict(self._get_param("Tags") or {})
        if not target.role_arn and target.service_namespace == "sagemaker":
            target.role_arn = SAGEMAKER_ROLE.format(account=self.current_account)
    return body


def _tagged(self: Any) -> Any:
    """The target the request's ResourceARN names; ResourceNotFoundException if none."""
    arn = self._get_param("ResourceARN")
    target = target_by_arn(self.applicationautoscaling_backend, arn)
    if target is None:
        raise ResourceNotFound(arn)
    return target


def tag_resource(self: Any) -> str:
    target = _tagged(self)
    target.tags = {**target_tags(target), **(self._get_param("Tags") or {})}
    return "{}"


def untag_resource(self: Any) -> str:
    target = _tagged(self)
    removed = set(self._get_param("TagKeys") or [])
    target.tags = {k: v for k, v in target_tags(target).items() if k not in removed}
    return "{}"


def list_tags_for_resource(self: Any) -> str:
    return json.dumps({"Tags": target_tags(_tagged(self))})


RESPONSE_METHODS = {
    "register_scalable_target": register_scalable_target,
    "tag_resource": tag_resource,
    "untag_resource": untag_resource,
    "list_tags_for_resource": list_tags_for_resource,
}
