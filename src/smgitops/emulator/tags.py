"""SageMaker tag operations as AWS behaves: upsert by key, unknown ARNs rejected.

moto 5.2.5 appends duplicate keys and crashes on ARNs it does not hold; these functions
become methods of `SageMakerModelBackend` (installed by `smgitops.emulator.patch.install`).
"""

from __future__ import annotations

from typing import Any

from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import SageMakerModelBackend


def _tagged_resource(self, arn: str) -> Any:
    resource_types = {
        "model": self._models,
        "endpoint": self.endpoints,
        "endpoint-config": self.endpoint_configs,
    }
    kind, _, name = arn.split(":")[-1].partition("/")
    if kind in resource_types:
        resource = resource_types[kind].get(name)
        # moto stores an endpoint config's `arn` as a one-element tuple.
        if resource is None or resource.arn not in (arn, (arn,)):
            raise ValidationError(message=f"Could not find resource with ARN {arn}.")
        return resource
    try:
        resource = SageMakerModelBackend._get_resource_from_arn(self, arn)
    except (AttributeError, ValueError):
        resource = None
    if resource is None:
        raise ValidationError(message=f"Could not find resource with ARN {arn}.")
    return resource


def backend_add_tags(self, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
    resource = _tagged_resource(self, arn)
    merged = {t["Key"]: t for t in resource.tags}
    for tag in tags or []:
        merged[tag["Key"]] = {"Key": tag["Key"], "Value": tag.get("Value", "")}
    resource.tags = list(merged.values())
    return list(tags or [])


def backend_list_tags(
    self, arn: str, MaxResults: int | None = None, NextToken: str | None = None
) -> tuple[list[dict[str, str]], str | None]:
    resource = _tagged_resource(self, arn)
    tags = list(resource.tags)
    start = int(NextToken or 0)
    size = int(MaxResults or 50)
    page = tags[start : start + size]
    following = str(start + size) if start + size < len(tags) else None
    return page, following


def backend_delete_tags(self, arn: str, tag_keys: list[str]) -> None:
    resource = _tagged_resource(self, arn)
    resource.tags = [tag for tag in resource.tags if tag["Key"] not in set(tag_keys)]


TAG_METHODS = {
    "add_tags": backend_add_tags,
    "list_tags": backend_list_tags,
    "delete_tags": backend_delete_tags,
}
