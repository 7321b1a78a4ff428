"""JSON Schema validation of parsed manifests, with every error mapped to a YAML position.

jsonschema's own messages print whole sub-documents; each validator keyword is translated here
into one short sentence naming the field and, where there is one, what is allowed.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from smgitops.manifest.problems import FieldPath, Problem, clip, format_field
from smgitops.manifest.yaml_reader import YamlDocument

ENDPOINT_SCHEMA = "endpoint.schema.json"
ENV_SCHEMA = "env.schema.json"

# What a pattern means, in words, for the patterns users meet most.
_PATTERN_HINTS = {
    "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$": "lowercase letters, digits and '-', not at the ends",
    "^[a-zA-Z0-9](-*[a-zA-Z0-9])*$": "letters, digits and '-', not at the ends",
    "^[A-Za-z0-9][A-Za-z0-9._-]*$": "a folder name under models/: letters, digits, '.', '_', '-'",
    "^[0-9]{12}$": "12 digits, quoted",
    "^[A-Za-z_][A-Za-z0-9_]*$": "letters, digits and '_', not starting with a digit",
    "^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$": "an AWS region such as us-east-1",
    "^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$": (
        "arn:aws:iam::<12-digit account>:role/<name>"
    ),
    "^[a-z0-9][a-z0-9.-]*[a-z0-9]$": "lowercase letters, digits, '.' and '-', not at the ends",
    "^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$": (
        "lowercase letters, digits, '.', '_', '-', and '/' between parts"
    ),
    "^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$": "key parts joined by '/', none at the ends",
    "^[^/]": "a key prefix not starting with '/'",
    "^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$": "s3://<bucket>/<prefix>",
    "^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+$": "s3://<bucket>/<key>",
    (
        "^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/"
        "[A-Za-z0-9](-*[A-Za-z0-9]){0,62}/[0-9]+$"
    ): "arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>",
    "^[A-Za-z0-9](-*[A-Za-z0-9]){0,62}$": "letters, digits and '-', not at the ends",
    "^latest-approved$": "latest-approved or a version number",
    "^[0-9]+(\\.[0-9]+){1,2}$": "a version such as 2.0.0, quoted",
    "^py3[0-9]+$": "py3 and the minor version, e.g. py310",
    "^ml\\.[a-z0-9-]+\\.[a-z0-9]+$": "ml.<family>.<size>, e.g. ml.m5.large",
    "^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+( *;[ -~]*)?$": (
        "type/subtype, e.g. text/csv, then ASCII parameters"
    ),
    "^[ -~]+$": "printable ASCII, e.g. application/json",
    "^sha256:[0-9a-f]{64}$": "sha256: then 64 lowercase hex digits",
    "^[A-Za-z0-9-]+$": "letters, digits and '-'",
    "^\\S+$": "an image URI without spaces",
    "^(?!\\s*$)[^\\u0000-\\u001f\\u007f]+$": "a name without control characters, not blank",
    "^\\$(\\.[A-Za-z_][A-Za-z0-9_-]*|\\[[0-9]+\\])*$": "$ then .key or [index] steps, e.g. $[0]",
}

_YAML_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


def _python_type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The packaged JSON Schema `name` (the same bytes as schema/<name> in the repository)."""
    text = resources.files("smgitops").joinpath("schemas", name).read_text(encoding="utf-8")
    return json.loads(text)


def _pattern_without_trailing_newline(validator, pattern, instance, schema):  # type: ignore[no-untyped-def]
    # Python's `$` also matches before a final newline; a block scalar would slip through.
    if not validator.is_type(instance, "string"):
        return
    if re.search(pattern, instance) is None or (pattern.endswith("$") and instance.endswith("\n")):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"pattern": _pattern_without_trailing_newline}
)


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    return _Validator(load_schema(name))


def _describe_range(schema: dict[str, Any]) -> str:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    low_text = f"more than {low}" if "exclusiveMinimum" in schema else f"{low}"
    if low is not None and high is not None:
        return f"{low_text} to {high}"
    if low is not None:
        return f"more than {low}" if "exclusiveMinimum" in schema else f"at least {low}"
    return f"at most {high}"


def _describe_length(schema: dict[str, Any]) -> str:
    return f"{schema.get('minLength', 0)} to {schema.get('maxLength', 'any number of')} characters"


def _shown(value: object) -> str:
    return f"'{clip(value)}'" if isinstance(value, str) else clip(value)


def _single_required_keys(branches: object) -> list[str] | None:
    """Keys of an anyOf/oneOf whose branches are each `{"required": [key]}`; else None."""
    if not isinstance(branches, list):
        return None
    keys = []
    for branch in branches:
        if not (isinstance(branch, dict) and set(branch) == {"required"}):
            return None
        keys.extend(branch["required"])
    return keys


def _messages(error: ValidationError) -> Iterator[tuple[FieldPath, bool, str]]:
    """(field path, point at the key?, message) for one jsonschema error."""
    path: FieldPath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance
    keyword = error.validator
    in_property_names = "propertyNames" in error.schema_path
    if in_property_names:
        if keyword == "pattern":
            hint = _PATTERN_HINTS.get(
                str(error.validator_value), f"pattern {error.validator_value}"
            )
        else:
            hint = _describe_length(schema)
        yield (*path, str(instance)), True, f"invalid key name '{clip(instance)}' (allowed: {hint})"
    elif keyword == "additionalProperties" and isinstance(instance, dict):
        known = sorted(schema.get("properties", {}))
        for key in instance:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                guess = f", did you mean '{close[0]}'?" if close else ""
                yield (*path, key), True, f"unknown key{guess} (allowed: {', '.join(known)})"
    elif keyword == "required" and isinstance(instance, dict):
        for key in error.validator_value:
            if key not in instance:
                yield (*path, key), False, "required key is missing"
    elif keyword == "dependentRequired" and isinstance(instance, dict):
        for key, needed in error.validator_value.items():
            for other in needed:
                if key in instance and other not in instance:
                    yield (*path, key), True, f"needs {other} as well"
    elif keyword == "not" and isinstance(instance, dict):
        trigger = error.schema_path[-2] if len(error.schema_path) >= 2 else "?"
        conflicting = _single_required_keys(error.validator_value.get("anyOf")) or []
        for key in conflicting:
            if key in instance:
                yield (*path, key), True, f"cannot be combined with {trigger}"
    elif keyword in ("anyOf", "oneOf") and _single_required_keys(error.validator_value):
        keys = _single_required_keys(error.validator_value) or []
        yield path, False, f"needs one of: {', '.join(keys)}"
    elif keyword == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_YAML_TYPE_NAMES.get(name, name) for name in names)
        message = f"expected {wanted}, got {_python_type_name(instance)}"
        if "string" in names and isinstance(instance, int | float | bool):
            message += " (quote it)"
        yield path, False, message
    elif keyword == "const":
        yield path, False, f"must be {error.validator_value}"
    elif keyword == "enum":
        allowed = ", ".join(str(value) for value in error.validator_value)
        yield path, False, f"{_shown(instance)} is not allowed (allowed: {allowed})"
    elif keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        yield path, False, f"{clip(instance)} is out of range (allowed: {_describe_range(schema)})"
    elif keyword == "minLength":
        yield path, False, f"too short (allowed: at least {error.validator_value} characters)"
    elif keyword == "maxLength":
        yield (
            path,
            False,
            f"too long: {len(instance)} characters (allowed: at most {error.validator_value})",
        )
    elif keyword == "pattern":
        hint = _PATTERN_HINTS.get(error.validator_value, f"pattern {error.validator_value}")
        yield path, False, f"'{clip(instance)}' is not valid (allowed: {hint})"
    elif keyword == "minItems":
        count = error.validator_value
        yield path, False, f"needs at least {count} item{'s' if count != 1 else ''}"
    elif keyword == "maxItems":
        yield path, False, f"too many items (allowed: at most {error.validator_value})"
    elif keyword == "maxProperties":
        yield path, False, f"too many entries (allowed: at most {error.validator_value})"
    elif keyword == "uniqueItems":
        yield path, False, "contains the same value twice"
    else:  # a keyword without its own sentence: jsonschema's text, kept to one line
        yield path, False, " ".join(error.message.split())[:200]


def schema_problems(document: YamlDocument, schema_name: str, file: str) -> list[Problem]:
    """Every schema violation of `document`, each at the YAML position it concerns.

    No side effects.
    """
    problems = []
    for error in _validator(schema_name).iter_errors(document.value):
        for path, at_key, message in _messages(error):
            line, column = document.position(path, key=at_key)
            problems.append(Problem(file, line, column, format_field(path), message))
    return problems
