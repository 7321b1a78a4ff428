"""How bench/toolkit_differential.py judges a pair of answers to one request (pure).

identical: same status, Content-Type and body (the same bytes, JSON value or NPY array);
better: a difference one of the BETTER rules explains, each standing for a row of
docs/serving.md's "answers better than the toolkit" table; divergent: anything else.
"""

from __future__ import annotations

import ast
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Kinds of request body (named by the harness's matrix) that are malformed for their type.
MALFORMED = {"empty", "bad", "latin1", "objects"}


@dataclass(frozen=True)
class Request:
    content_type: str | None
    accept: str | None
    body_kind: str
    body: bytes

    def describe(self) -> str:
        return f"Content-Type={self.content_type} Accept={self.accept} body={self.body_kind}"


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer at all
    content_type: str | None
    body: bytes

    def show(self, limit: int = 140) -> str:
        text = self.body.decode("utf-8", "backslashreplace")
        text = text if len(text) <= limit else text[:limit] + "..."
        return f"{self.status} [{self.content_type}] {text!r}"


def same_body(first: bytes, second: bytes, content_type: str | None) -> bool:
    """The same bytes; for a JSON answer the same JSON value, for an NPY answer the same
    array (anything else, CSV included, is text whose every character a client reads)."""
    if first == second:
        return True
    kind = media(content_type)
    if kind == "application/json":
        try:
            return json.loads(first) == json.loads(second)
        except ValueError:
            return False
    if kind == "application/x-npy":
        try:
            one = np.load(io.BytesIO(first), allow_pickle=False)
            other = np.load(io.BytesIO(second), allow_pickle=False)
        except (ValueError, OSError, EOFError):
            return False
        return one.dtype == other.dtype and np.array_equal(one, other)
    return False


def media(content_type: str | None) -> str | None:
    return content_type.split(";")[0].strip() if content_type is not None else None


# ---------------------------------------------------------------- classifying differences


@dataclass(frozen=True)
class Script:
    """What a variant's inference.py defines, which decides whose defaults run."""

    name: str
    defines: frozenset[str]
    raises_status: bool  # defines an exception class with a status_code attribute
    toolkit_modules: frozenset[str]  # what it imports from sagemaker_inference

    @property
    def default_decoding(self) -> bool:
        """The body goes through the default decoder: its own input_fn or the toolkit's."""
        return self.default_input or "decoder" in self.toolkit_modules

    @property
    def default_input(self) -> bool:
        return not self.defines & {"input_fn", "transform_fn"}

    @property
    def default_output(self) -> bool:
        return not self.defines & {"output_fn", "transform_fn"}

    @property
    def default_predict(self) -> bool:
        return not self.defines & {"predict_fn", "transform_fn"}


def read_script(folder: Path) -> Script:
    tree = ast.parse((folder / "inference.py").read_text())
    names = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    statuses = [
        target.id
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        for statement in node.body
        if isinstance(statement, ast.Assign)
        for target in statement.targets
        if isinstance(target, ast.Name) and target.id == "status_code"
    ]
    toolkit = {
        alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "sagemaker_inference"
        for alias in node.names
    }
    return Script(folder.name, frozenset(names), bool(statuses), frozenset(toolkit))


Rule = Callable[[Script, Request, Answer, Answer], bool]


def _both_failed_alike(script: Script, request: Request, aws: Answer, ours: Answer) -> bool:
    return aws.status == ours.status >= 400


def _415(script: Script, request: Request, aws: Answer, ours: Answer) -> bool:
    return script.default_input and (aws.status, ours.status) == (500, 415)


def _406(script: Script, request: Request, aws: Answer, ours: Answer) -> bool:
    return script.default_output and (aws.status, ours.status) == (500, 406)


def _400_for_malformed(script: Script, request: Request, aws: Answer, ours: Answer) -> bool:
    malformed = request.body_kind in MALFORMED - {"objects"}
    return malformed and aws.status in (200, 500) and ours.status == 400


def _pickles_refused(script: Script, request: Request, aws: Answer, ours: Answer) -> bool:
    return request.body_kind == "objects" and ours.status == 400


def _mixed_csv_is_floats(script: Script, request: Request, aws: Answer, ours: Answer) -> bool:
    mixed = request.body_kind == "mixed" and script.default_decoding
    return mixed and aws.status == 500 and ours.status == 200


def _status_code_attribute(script: Script, request: Request, aws: Answer, ours: Answer) -> bool:
    return script.raises_status and aws.status == 500 and 400 <= ours.status <= 599


def _parameters_understood(script: Script, request: Request, aws: Answer, ours: Answer) -> bool:
    has_parameters = request.content_type is not None and ";" in request.content_type
    return script.default_input and has_parameters and aws.status == 500 and ours.status == 200


def _missing_type_is_json(script: Script, request: Request, aws: Answer, ours: Answer) -> bool:
    return (
        script.default_input
        and request.content_type is None
        and aws.status == 500
        and ours.status == 200
    )


def _accept_negotiated(script: Script, request: Request, aws: Answer, ours: Answer) -> bool:
    listed = request.accept is not None and ("q=" in request.accept or "*" in request.accept)
    return script.default_output and listed and aws.status == 500 and ours.status == 200


def _default_predict(script: Script, request: Request, aws: Answer, ours: Answer) -> bool:
    return script.default_predict and aws.status == 500 and b"predict_fn" in aws.body


def _csv_of_any_shape(script: Script, request: Request, aws: Answer, ours: Answer) -> bool:
    csv_wanted = media(ours.content_type) == "text/csv"
    return script.default_output and csv_wanted and aws.status == 500 and ours.status == 200


def _unserialisable_result(script: Script, request: Request, aws: Answer, ours: Answer) -> bool:
    return (aws.status, ours.status) == (503, 500)


# Each rule names the row of docs/serving.md's "better" table it stands for.
BETTER: list[tuple[str, Rule]] = [
    ("Any error body: one-line JSON instead of message and traceback", _both_failed_alike),
    ("No predict_fn: model.predict(data)", _default_predict),
    ("Unsupported Content-Type (default handlers): 415", _415),
    ("Unsupported Accept (default handlers): 406", _406),
    ("Malformed JSON, CSV or NPY, or not in its charset: 400", _400_for_malformed),
    ("NPY body holding Python objects: 400", _pickles_refused),
    ("CSV with integer and decimal columns: a float64 matrix", _mixed_csv_is_floats),
    ("An exception's integer status_code, whatever its class", _status_code_attribute),
    ("Content-Type with parameters, default input_fn: understood", _parameters_understood),
    ("No Content-Type, default input_fn: read as JSON", _missing_type_is_json),
    ("Accept with q-values or wildcards, default output_fn: negotiated", _accept_negotiated),
    ("A scalar or a 3-D array for CSV: written", _csv_of_any_shape),
    ("A result JSON cannot write: 500", _unserialisable_result),
]


def classify(script: Script, request: Request, aws: Answer, ours: Answer) -> tuple[str, str]:
    """(verdict, the "better" rule that explains the difference, if any)."""
    if aws.status == 0 or ours.status == 0:
        return "divergent", "a stack gave no answer"
    if (aws.status, aws.content_type) == (ours.status, ours.content_type) and same_body(
        aws.body, ours.body, aws.content_type
    ):
        return "identical", ""
    for name, rule in BETTER:
        if rule(script, request, aws, ours):
            return "better", name
    return "divergent", ""
