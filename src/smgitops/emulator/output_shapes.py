"""SageMaker answers as botocore's output shapes say: no empty structure a shape forbids.

moto defaults absent structures to `{}` (`"DataCaptureConfig": {}`, `"VpcConfig": {}`); AWS
leaves them out. An empty structure whose shape has required members cannot be valid, and a
client that copies a Describe answer into a Create request (the SageMaker Python SDK's
`update_endpoint` does) is then refused by botocore. `prune_body` drops such members from a
successful JSON answer, at any depth.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.model import OperationNotFoundError, Shape
from moto.core.utils import get_service_model


def prune(value: Any, shape: Shape) -> Any:
    """`value` without the empty structures `shape` forbids (a new value). No side effects."""
    if shape.type_name == "structure" and isinstance(value, dict):
        kept = {}
        for name, item in value.items():
            member = shape.members.get(name)
            if member is None:
                kept[name] = item
                continue
            if member.type_name == "structure" and item == {} and member.required_members:
                continue
            kept[name] = prune(item, member)
        return kept
    if shape.type_name == "list" and isinstance(value, list):
        return [prune(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: prune(item, shape.value) for key, item in value.items()}
    return value


def prune_body(action: str, status: int, body: Any) -> Any:
    """A SageMaker answer's JSON body, pruned by its operation's output shape; other bodies
    (errors, non-JSON, unknown operations) as they are."""
    if status != 200 or not body:
        return body
    try:
        shape = get_service_model("sagemaker").operation_model(action).output_shape
        answer = json.loads(body)
    except (OperationNotFoundError, ValueError):
        return body
    if shape is None or not isinstance(answer, dict):
        return body
    return json.dumps(prune(answer, shape))
