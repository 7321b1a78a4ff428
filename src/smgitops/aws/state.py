"""Reading back the JSON objects smgitops keeps in S3 (the inventory, the apply lock, the apply
history): bounded, parsed strictly, and checked before use.

Only smgitops writes them, but anyone who may write to the bucket can change them, and a
hand-edited or truncated object must never crash a command. What is wrong with one is a short
phrase (`endpoints[2]: expected text, got a number`); each reader decides what it blocks and
names the remedy (`corrupt_message`): the inventory blocks plan and apply (prune works from
it), the lock blocks apply only, the history blocks nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from smgitops.aws.clients import S3_NOT_FOUND, error_code
from smgitops.errors import UserError


class StateProblem(ValueError):
    """What is wrong with a state object, as a short phrase (`endpoints[2]: expected text`)."""


class StateCorrupt(UserError):
    """A state object a command needs is corrupt: one line naming it, the fault, the remedy."""


@dataclass(frozen=True)
class StateObject:
    """One object as read: its ETag (as S3 gives it, quoted) and its parsed JSON, or, when it
    cannot be used, `problem` (what is wrong) and no document."""

    etag: str
    document: object = None
    problem: str = ""


def corrupt_message(what: str, uri: str, problem: str, remedy: str) -> str:
    """`the inventory s3://b/k is corrupt (endpoints: ...); <remedy>`. No side effects."""
    return f"{what} {uri} is corrupt ({problem}); {remedy}"


_KINDS = {
    dict: "an object",
    list: "a list",
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true/false",
    type(None): "null",
}


def kind_of(value: object) -> str:
    """A JSON value's kind in words, for messages. No side effects."""
    return _KINDS.get(type(value), type(value).__name__)


def _refuse_constant(name: str) -> None:
    raise StateProblem(f"not JSON: {name} is no JSON number")


def parse_json(data: bytes) -> object:
    """Strict JSON from bytes: UTF-8, no NaN or Infinity; StateProblem otherwise. No side
    effects."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StateProblem(f"not UTF-8 (byte {error.start})") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise StateProblem(
            f"not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except StateProblem:
        raise
    except RecursionError:
        raise StateProblem("not JSON this reader accepts: nested too deeply") from None
    except ValueError as error:  # e.g. a number of more than 4300 digits
        raise StateProblem(f"not JSON this reader accepts: {error}") from None


def expect(value: object, kind: type, where: str) -> Any:
    """`value` when it is a `kind` (true/false is not a number here); else StateProblem.
    No side effects."""
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise StateProblem(f"{where}: expected {_KINDS[kind]}, got {kind_of(value)}")
    return value


def fetch(s3: Any, bucket: str, key: str, limit: int) -> StateObject | None:
    """The object at `key`, parsed as JSON (see StateObject); None when there is none.
    AWS errors other than not-found propagate."""
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error_code(error) in S3_NOT_FOUND:
            return None
        raise
    etag = str(response.get("ETag", ""))
    body = response["Body"]
    try:
        size = int(response.get("ContentLength") or 0)
        if size > limit:
            return StateObject(etag, problem=f"{size:,} bytes (allowed: at most {limit:,})")
        data = body.read(limit + 1)
    finally:
        body.close()
    if len(data) > limit:
        return StateObject(etag, problem=f"more than {limit:,} bytes (allowed: at most {limit:,})")
    try:
        return StateObject(etag, parse_json(data))
    except StateProblem as problem:
        return StateObject(etag, problem=str(problem))
