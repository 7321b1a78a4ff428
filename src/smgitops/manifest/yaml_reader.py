"""Strict YAML parsing that remembers where every value was written.

Manifests are small configuration files, so anything YAML allows but a reviewer could misread is
refused: duplicate keys (PyYAML silently keeps the last), anchors and aliases (alias bombs, and
values that change far from where they are read), several documents, tabs in indentation,
custom tags. Values are plain JSON-like data (dict, list, str, int, float, bool, None).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml

from smgitops.manifest.problems import FieldPath, clip

# Deeper nesting than any manifest needs; also keeps the recursive composer far from the
# interpreter's recursion limit.
MAX_DEPTH = 40

_SCALAR_TAG = "tag:yaml.org,2002:"
# Whole numbers as AWS APIs and JSON tools take them: 64-bit.
_MAX_INT = 2**63 - 1
_MIN_INT = -(2**63)


@dataclass(frozen=True)
class YamlError:
    """Why text could not be read as a manifest document, and where (1-based)."""

    line: int
    column: int
    message: str


@dataclass(frozen=True)
class YamlDocument:
    """A parsed document: its value, plus the position of every value and mapping key."""

    value: object
    positions: Mapping[FieldPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: Mapping[FieldPath, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: FieldPath, *, key: bool = False) -> tuple[int, int]:
        """Where `path` was written; the nearest written parent when it is absent."""
        if key and path in self.key_positions:
            return self.key_positions[path]
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))


class _Refused(Exception):
    def __init__(self, mark: yaml.Mark, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader whose composer refuses anchors, aliases and deep nesting before building them."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(event.start_mark, "aliases (*name) are not allowed; write the value out")
        if getattr(event, "anchor", None):
            raise _Refused(event.start_mark, "anchors (&name) are not allowed; write values out")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(event.start_mark, f"nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _mark_position(mark: yaml.Mark | None) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _position_of_offset(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    line = before.count("\n") + 1
    return line, offset - (before.rfind("\n") + 1) + 1


def _first_tab_in_indentation(text: str) -> YamlError | None:
    for number, line in enumerate(text.split("\n"), start=1):
        indentation = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indentation:
            return YamlError(
                number, indentation.index("\t") + 1, "tab character in indentation; use spaces"
            )
    return None


class _Converter:
    """Turns a composed node tree into plain values, recording positions and problems."""

    def __init__(self, loader: _StrictLoader) -> None:
        self.loader = loader
        self.positions: dict[FieldPath, tuple[int, int]] = {}
        self.key_positions: dict[FieldPath, tuple[int, int]] = {}
        self.errors: list[YamlError] = []

    def error(self, node: yaml.Node, message: str) -> None:
        self.errors.append(YamlError(*_mark_position(node.start_mark), message))

    def convert(self, node: yaml.Node, path: FieldPath) -> object:
        self.positions[path] = _mark_position(node.start_mark)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, index)) for index, item in enumerate(node.value)]
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, path: FieldPath) -> dict[str, object]:
        result: dict[str, object] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, "keys must be plain text, not lists or mappings")
                continue
            key = self._scalar(key_node)
            if not isinstance(key, str):
                kind = (
                    "true/false"
                    if isinstance(key, bool)
                    else "a number"
                    if key is not None
                    else "null"
                )
                self.error(
                    key_node, f"key '{clip(key_node.value)}' reads as {kind} in YAML; quote it"
                )
                continue
            line = key_node.start_mark.line + 1
            if key in first_seen:
                self.error(
                    key_node, f"duplicate key '{clip(key)}' (first at line {first_seen[key]})"
                )
                continue
            first_seen[key] = line
            self.key_positions[(*path, key)] = _mark_position(key_node.start_mark)
            result[key] = self.convert(value_node, (*path, key))
        return result

    @staticmethod
    def _too_large(node: yaml.Node) -> str:
        return (
            f"'{clip(node.value)}' is too large "
            f"(allowed: whole numbers from {_MIN_INT} to {_MAX_INT})"
        )

    def _scalar(self, node: yaml.Node) -> object:
        tag = node.tag or ""
        kind = tag[len(_SCALAR_TAG) :] if tag.startswith(_SCALAR_TAG) else None
        if kind in ("str", "timestamp", "merge", "value"):
            # Dates stay text: no manifest field is a date, and text round-trips exactly.
            return node.value
        if kind == "null":
            return None
        constructors = {
            "bool": self.loader.construct_yaml_bool,
            "int": self.loader.construct_yaml_int,
            "float": self.loader.construct_yaml_float,
        }
        if kind in constructors:
            try:
                value = constructors[kind](node)
            except (ValueError, TypeError):
                # Python refuses to convert more than 4300 digits at all.
                too_long = kind == "int" and len(node.value) > 4000
                self.error(
                    node,
                    self._too_large(node)
                    if too_long
                    else f"'{clip(node.value)}' is not a valid {kind}",
                )
                return node.value
            # JSON, AWS and the arithmetic of the rules know neither infinities nor bignums.
            if isinstance(value, float) and not math.isfinite(value):
                self.error(
                    node,
                    f"'{clip(node.value)}' is not a finite number (allowed: a number such as 1.5)",
                )
            elif isinstance(value, int) and not _MIN_INT <= value <= _MAX_INT:
                self.error(node, self._too_large(node))
            return value
        shown = f"!!{kind}" if kind else tag
        self.error(node, f"YAML tag '{shown}' is not allowed")
        return node.value


def parse_yaml(text: str) -> YamlDocument | YamlError | list[YamlError]:
    """Parse one manifest document strictly. No side effects.

    Returns the document, a single error when the text cannot be parsed at all, or the list of
    problems (duplicate keys, tags) found in a document that did parse.
    """
    text = text.removeprefix("\ufeff")
    tab = _first_tab_in_indentation(text)
    if tab is not None:
        return tab
    loader = None
    try:
        loader = _StrictLoader(text)
        node = loader.get_single_node()
    except _Refused as refused:
        return YamlError(*_mark_position(refused.mark), refused.message)
    except yaml.MarkedYAMLError as error:
        return _describe_marked(error)
    except yaml.reader.ReaderError as error:
        line, column = _position_of_offset(text, error.position)
        character = f"U+{error.character:04X}" if isinstance(error.character, int) else "byte"
        return YamlError(line, column, f"control character {character} is not allowed in YAML")
    except yaml.YAMLError as error:  # any other parser complaint, still one line
        return YamlError(1, 1, " ".join(str(error).split()))
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        return YamlError(1, 1, "file is empty; expected a YAML mapping")
    if not isinstance(node, yaml.MappingNode):
        found = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
        return YamlError(*_mark_position(node.start_mark), f"expected a mapping, found {found}")
    converter = _Converter(loader)
    value = converter.convert(node, ())
    if converter.errors:
        return converter.errors
    return YamlDocument(value, converter.positions, converter.key_positions)


def _describe_marked(error: yaml.MarkedYAMLError) -> YamlError:
    mark = error.problem_mark or error.context_mark
    line, column = _mark_position(mark)
    problem = error.problem or "invalid YAML"
    if "expected a single document" in (error.context or "") or "single document" in problem:
        return YamlError(line, column, "only one YAML document per file (found a second '---')")
    message = f"{error.context}: {problem}" if error.context else problem
    return YamlError(line, column, "invalid YAML: " + " ".join(message.split()))
