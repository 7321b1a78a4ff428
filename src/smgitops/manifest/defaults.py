"""The JSON Schemas own every manifest default: build reads them from there, never restates them.

A schema's `default` is filled into a copy of a valid document wherever the property is absent,
following `properties`, `items` and `$ref`. Defaults under `oneOf`/`anyOf` are not filled: which
branch applies depends on the document, so build decides those itself.
"""

from __future__ import annotations

import copy
from typing import Any

from smgitops.manifest.schema_check import load_schema


def with_defaults(value: dict[str, Any], schema_name: str) -> dict[str, Any]:
    """A deep copy of the schema-valid `value` with the schema's defaults filled in.

    `schema_name`: a packaged schema, e.g. "endpoint.schema.json". No side effects.
    """
    schema = load_schema(schema_name)
    filled = copy.deepcopy(value)
    _fill(filled, schema, schema)
    return filled


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:  # local refs only ("#/$defs/variant"): the packaged schemas use no others
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _fill(value: Any, node: dict[str, Any], root: dict[str, Any]) -> None:
    node = _resolve(node, root)
    if isinstance(value, dict):
        for key, child in node.get("properties", {}).items():
            child = _resolve(child, root)
            if key not in value and "default" in child:
                value[key] = copy.deepcopy(child["default"])
            if key in value:
                _fill(value[key], child, root)
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for item in value:
            _fill(item, node["items"], root)
