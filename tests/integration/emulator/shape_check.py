"""A small checker of a JSON response against botocore's output shape for its operation.

botocore's parser is lenient (it drops unknown keys and parses what it can), so the raw body is
checked instead: required members present and not null, no structure without its required
members (such as `"DataCaptureConfig": {}`), JSON types as the shape's type says, enum values
from the enum, and no keys the shape does not know.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.model import Shape

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "blob": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "timestamp": (int, float, str),
    "structure": (dict,),
    "map": (dict,),
    "list": (list,),
}


def problems(value: Any, shape: Shape, path: str = "$") -> Iterator[str]:
    """Where `value` (parsed JSON) does not fit `shape`, one line each. No side effects."""
    expected = _JSON_TYPES[shape.type_name]
    if isinstance(value, bool) and bool not in expected:
        expected = ()
    if not isinstance(value, expected):
        yield f"{path}: {type(value).__name__} where the model says {shape.type_name}"
        return
    if shape.type_name == "string" and shape.enum and value not in shape.enum:
        yield f"{path}: {value!r} is not one of {shape.name}'s enum values"
    elif shape.type_name == "structure":
        for name in shape.required_members:
            if value.get(name) is None:
                yield f"{path}.{name}: required by {shape.name} but missing"
        for name, item in value.items():
            if name not in shape.members:
                yield f"{path}.{name}: not a member of {shape.name}"
            elif item is not None:
                yield from problems(item, shape.members[name], f"{path}.{name}")
    elif shape.type_name == "list":
        for index, item in enumerate(value):
            yield from problems(item, shape.member, f"{path}[{index}]")
    elif shape.type_name == "map":
        for key, item in value.items():
            yield from problems(item, shape.value, f"{path}[{key!r}]")


class RawResponses:
    """Records each response body a boto3 client receives, by operation name."""

    def __init__(self, client: Any):
        self.client = client
        self.bodies: dict[str, list[bytes]] = {}
        client.meta.events.register("before-parse", self._record)

    def _record(self, operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        self.bodies.setdefault(operation_model.name, []).append(response_dict["body"])

    def problems(self) -> dict[str, list[str]]:
        """Per operation called, what its responses get wrong (empty lists: nothing)."""
        model = self.client.meta.service_model
        found: dict[str, list[str]] = {}
        for name, bodies in self.bodies.items():
            shape = model.operation_model(name).output_shape
            found[name] = [
                line
                for body in bodies
                if shape is not None
                for line in problems(json.loads(body or b"{}"), shape)
            ]
        return found


def recording_client(service: str) -> tuple[Any, RawResponses]:
    client = boto3.client(service)
    return client, RawResponses(client)
