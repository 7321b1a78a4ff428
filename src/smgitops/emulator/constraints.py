"""AWS's input constraints, read from botocore's service model, in AWS's wording.

botocore checks little before it sends (required members, types, `min`); the service checks
the rest: `max` lengths and values, `pattern`s and `enum`s. SageMaker and SageMaker Runtime
refuse a request that breaks one with

    N validation error(s) detected: Value 'x' at 'endpointName' failed to satisfy
    constraint: Member must have length less than or equal to 63

(AWS's generic constraint message: its services answer it so, e.g. aws/aws-cli#790; SageMaker
Runtime as `ValidationError`, aws/aws-sdk-js#4203, which also shows that the value of a
sensitive member is left out: "Value at 'body'"). The path names members lowerCamelCase, list
items as `productionVariants.1.member.variantName`. `errors` lists these messages for one
request; it has no side effects.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from botocore.model import OperationModel, Shape

# Java character classes in botocore's patterns, as Python ranges (Java's are ASCII-only).
_JAVA_CLASSES = {r"\p{ASCII}": r"\x00-\x7F", r"\p{Print}": r"\x20-\x7E"}
# How many messages AWS lists at most.
MAX_MESSAGES = 10


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    """A Java pattern of the model as a Python one, or None when Python cannot read it
    (Unicode categories such as \\p{L}: those patterns are not checked)."""
    text = pattern.replace(r"\z", r"\Z")
    for java, python in _JAVA_CLASSES.items():
        text = text.replace(f"[{java}]", f"[{python}]").replace(java, f"[{python}]")
    if r"\p{" in text:
        return None
    try:
        return re.compile(text)
    except re.error:
        return None


def _member_path(parent: str, name: str) -> str:
    member = name[:1].lower() + name[1:]
    return f"{parent}.{member}" if parent else member


def _value(value: Any, shape: Shape) -> str:
    """How a message shows the value: not at all for a sensitive member."""
    if shape.metadata.get("sensitive"):
        return "Value"
    return "Value null" if value is None else f"Value '{value}'"


def _scalar_problems(value: Any, shape: Shape, skip_enums: frozenset[str]) -> Iterator[str]:
    """What a string, number or blob breaks in its shape's constraints."""
    meta = shape.metadata
    if shape.type_name in ("string", "blob", "list", "map"):
        size = len(value)
        if "max" in meta and size > meta["max"]:
            yield f"Member must have length less than or equal to {meta['max']}"
        if "min" in meta and size < meta["min"]:
            yield f"Member must have length greater than or equal to {meta['min']}"
    elif shape.type_name in ("integer", "long", "float", "double") and not isinstance(value, bool):
        if "max" in meta and value > meta["max"]:
            yield f"Member must have value less than or equal to {meta['max']}"
        if "min" in meta and value < meta["min"]:
            yield f"Member must have value greater than or equal to {meta['min']}"
    if shape.type_name != "string" or not isinstance(value, str):
        return
    if "pattern" in meta:
        compiled = _compiled(meta["pattern"])
        if compiled is not None and compiled.fullmatch(value) is None:
            yield f"Member must satisfy regular expression pattern: {meta['pattern']}"
    enum = shape.enum
    if enum and shape.name not in skip_enums and value not in enum:
        yield f"Member must satisfy enum value set: [{', '.join(enum)}]"


def _walk(value: Any, shape: Shape, path: str, skip_enums: frozenset[str]) -> Iterator[str]:
    if shape.type_name == "structure":
        if not isinstance(value, dict):
            return
        for name in shape.required_members:
            if value.get(name) is None:
                yield (
                    f"Value null at '{_member_path(path, name)}' failed to satisfy constraint: "
                    "Member must not be null"
                )
        for name, member in shape.members.items():
            if value.get(name) is not None:
                yield from _walk(value[name], member, _member_path(path, name), skip_enums)
        return
    if shape.type_name in ("string", "blob", "list", "map") and not hasattr(value, "__len__"):
        return  # a type botocore would have refused: not this check's business
    for problem in _scalar_problems(value, shape, skip_enums):
        yield f"{_value(value, shape)} at '{path}' failed to satisfy constraint: {problem}"
    if shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value, start=1):
            if item is not None:
                yield from _walk(item, shape.member, f"{path}.{index}.member", skip_enums)
    elif shape.type_name == "map" and isinstance(value, dict):
        yield from _map_problems(value, shape, path, skip_enums)


def _map_problems(
    value: dict[str, Any], shape: Shape, path: str, skip_enums: frozenset[str]
) -> Iterator[str]:
    # AWS reports a map entry against the map itself.
    for key, item in value.items():
        key_problems = list(_scalar_problems(key, shape.key, skip_enums))
        if key_problems:
            yield (
                f"{_value(key, shape.key)} at '{path}' failed to satisfy constraint: "
                f"Map keys must satisfy constraint: [{', '.join(key_problems)}]"
            )
        if shape.value.type_name in ("structure", "list", "map"):
            yield from _walk(item, shape.value, f"{path}.{key}", skip_enums)
            continue
        value_problems = list(_scalar_problems(item, shape.value, skip_enums))
        if value_problems:
            yield (
                f"{_value(item, shape.value)} at '{path}' failed to satisfy constraint: "
                f"Map value must satisfy constraint: [{', '.join(value_problems)}]"
            )


def errors(
    operation: OperationModel, params: dict[str, Any], skip_enums: frozenset[str] = frozenset()
) -> list[str]:
    """The constraint messages a request's parameters earn (by AWS member name), in order.

    `skip_enums`: shape names whose enum another check owns (e.g. the instance types the
    emulator knows beyond this botocore's list). No side effects.
    """
    if operation.input_shape is None:
        return []
    return list(_walk(params, operation.input_shape, "", skip_enums))


def message(problems: list[str]) -> str:
    """AWS's one-message form: 'N validation error(s) detected: a; b'. No side effects."""
    shown = problems[:MAX_MESSAGES]
    count = len(problems)
    return f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(shown)
