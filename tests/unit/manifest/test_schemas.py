from __future__ import annotations

from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from smgitops.manifest.schema_check import load_schema

REPO_ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = ["endpoint.schema.json", "env.schema.json"]


@pytest.mark.parametrize("name", SCHEMAS)
def test_packaged_schema_is_byte_for_byte_the_one_in_schema_folder(name):
    packaged = resources.files("smgitops").joinpath("schemas", name).read_bytes()
    assert packaged == (REPO_ROOT / "schema" / name).read_bytes()


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_is_valid_draft_2020_12(name):
    jsonschema.Draft202012Validator.check_schema(load_schema(name))


def _objects(schema: object):
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            yield schema
        for value in schema.values():
            yield from _objects(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _objects(item)


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_object_refuses_unknown_keys_and_every_property_is_described(name):
    for node in _objects(load_schema(name)):
        assert "additionalProperties" in node, node.get("description")
        for key, prop in node.get("properties", {}).items():
            described = "description" in prop or "$ref" in prop
            assert described, f"{name}: property {key} has no description"
