"""Garbage collection of superseded models and endpoint configs, after a successful apply.

For each endpoint we keep the config it serves and the previous one (recorded in the
`smgitops:previous-config` tag), so `git revert` re-points the endpoint without new uploads.
Only resources whose name is one of our hashed names for that endpoint AND that carry our
ownership tags are deleted; a failed delete is left for the next run.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from smgitops.aws.reader import describe_endpoint, is_not_found
from smgitops.core import naming


def _tags(sagemaker: Any, arn: str) -> dict[str, str]:
    try:
        tags = sagemaker.list_tags(ResourceArn=arn).get("Tags", [])
    except ClientError as error:
        if is_not_found(error):  # deleted since it was listed (e.g. by a killed earlier run)
            return {}
        raise
    return {t["Key"]: t["Value"] for t in tags}


def _delete(delete: Any, **request: str) -> bool:
    """Delete a config or model; False when it was already gone (another run got there)."""
    try:
        delete(**request)
    except ClientError as error:
        if is_not_found(error):
            return False
        raise
    return True


def _config_models(sagemaker: Any, config: str) -> set[str]:
    try:
        response = sagemaker.describe_endpoint_config(EndpointConfigName=config)
    except ClientError as error:
        if is_not_found(error):
            return set()
        raise
    return {v["ModelName"] for v in response.get("ProductionVariants", [])}


def list_configs_and_models(sagemaker: Any) -> tuple[list[dict], list[dict]]:
    """Every endpoint config and model summary in the region (paginated)."""
    configs = [
        c
        for page in sagemaker.get_paginator("list_endpoint_configs").paginate()
        for c in page["EndpointConfigs"]
    ]
    models = [
        m for page in sagemaker.get_paginator("list_models").paginate() for m in page["Models"]
    ]
    return configs, models


def collect(
    sagemaker: Any,
    endpoint: str,
    env: str,
    configs: list[dict],
    models: list[dict],
    *,
    endpoint_deleted: bool = False,
) -> list[str]:
    """Delete this endpoint's stale configs and models; returns what was deleted."""
    keep_configs: set[str] = set()
    if not endpoint_deleted:
        live = describe_endpoint(sagemaker, endpoint)
        if live is None:
            return []
        keep_configs = {live.config_name}
        previous = live.tag_map.get(naming.TAG_PREVIOUS_CONFIG)
        if previous:
            keep_configs.add(previous)
    ours_configs = [
        c for c in configs if naming.is_hashed_name_of(endpoint, c["EndpointConfigName"])
    ]
    ours_models = [m for m in models if naming.is_hashed_name_of(endpoint, m["ModelName"])]
    deleted: list[str] = []
    for config in ours_configs:
        name = config["EndpointConfigName"]
        if name in keep_configs or not naming.is_owned(
            _tags(sagemaker, config["EndpointConfigArn"]), env
        ):
            continue
        if _delete(sagemaker.delete_endpoint_config, EndpointConfigName=name):
            deleted.append(f"endpoint config {name}")
    if ours_models:
        keep_models = set().union(*(_config_models(sagemaker, c) for c in keep_configs))
        for model in ours_models:
            name = model["ModelName"]
            if name in keep_models or not naming.is_owned(_tags(sagemaker, model["ModelArn"]), env):
                continue
            if _delete(sagemaker.delete_model, ModelName=name):
                deleted.append(f"model {name}")
    return deleted
