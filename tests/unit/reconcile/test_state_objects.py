"""The objects smgitops reads back from S3 (inventory, apply lock, apply history) and the
saved plan, when they are not what smgitops wrote: one line naming the object, what is wrong
and the remedy; never a traceback, and nothing blocked that does not need them. S3 is a stub
here; the commands on the emulator are in tests/integration/reconcile/test_corrupt_state.py."""

from __future__ import annotations

import io
import json

import pytest
from botocore.exceptions import ClientError

from smgitops.aws.history import parse_outcomes, read_history, unreadable_note
from smgitops.aws.inventory import parse_inventory, read_inventory
from smgitops.aws.lock import LockHolder, holder_document, holder_from
from smgitops.aws.state import StateCorrupt, StateProblem, fetch, parse_json
from smgitops.core.pins import recorded_packages
from smgitops.core.report import saved_plan_problem
from testkit.values import env_settings

SETTINGS = env_settings(artifact_prefix="smgitops/staging")
HOLDER = LockHolder("staging", "alice", "ci-7", 42, "abc123", "2026-11-25T09:00:00+00:00", "t1")
INVENTORY_URI = "s3://smgitops-artifacts/smgitops/staging/inventory/staging.json"


class StubS3:
    """get_object of one key's bytes; NoSuchKey for every other key."""

    def __init__(self, key: str, body: bytes) -> None:
        self.key, self.body = key, body

    def get_object(self, Bucket: str, Key: str) -> dict:
        if Key != self.key:
            raise ClientError({"Error": {"Code": "NoSuchKey"}}, "GetObject")
        return {"Body": io.BytesIO(self.body), "ContentLength": len(self.body), "ETag": '"e1"'}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"[not json", "not JSON: Expecting value at line 1 column 2"),
        (b'{"a": NaN}', "not JSON: NaN is no JSON number"),
        (b"\xff", "not UTF-8 (byte 0)"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON this reader accepts: nested too deeply"),
    ],
)
def test_only_strict_json_is_read(body, problem):
    with pytest.raises(StateProblem) as raised:
        parse_json(body)

    assert str(raised.value) == problem


LOCK = json.loads(holder_document(HOLDER))
OUTCOME = {"endpoint": "staging-a", "outcome": "applied", "message": "", "commit": "c", "at": "t"}
# (reader, document, what is wrong): each names the first field not as smgitops writes it.
NOT_AS_WRITTEN = [
    (parse_inventory, [], "top level: expected an object, got a list"),
    (parse_inventory, {"version": 1}, "endpoints: expected a list, got null"),
    (parse_inventory, {"endpoints": "staging-a"}, "endpoints: expected a list, got text"),
    (parse_inventory, {"endpoints": ["a", 7]}, "endpoints[1]: expected text, got a whole number"),
    (parse_inventory, {"endpoints": ["a b"]}, 'endpoints[0]: "a b" is not an endpoint name'),
    (parse_inventory, {"env": "prod", "endpoints": []}, 'env: "prod" is not this env (staging)'),
    (parse_outcomes, {"applies": {}}, "applies: expected a list, got an object"),
    (
        parse_outcomes,
        {"applies": [{"outcomes": [1]}]},
        "applies[0].outcomes[0]: expected an object, got a whole number",
    ),
    (
        parse_outcomes,
        {"applies": [{"outcomes": [{**OUTCOME, "endpoint": None}]}]},
        "applies[0].outcomes[0].endpoint: expected text, got null",
    ),
    (
        parse_outcomes,
        {"applies": [{"outcomes": [{**OUTCOME, "extra": 1}]}]},
        "applies[0].outcomes[0].extra: unknown field",
    ),
    (holder_from, [], "top level: expected an object, got a list"),
    (holder_from, {"env": "staging"}, "user: expected text, got null"),
    (holder_from, {**LOCK, "pid": "42"}, "pid: expected a whole number, got text"),
    (holder_from, {**LOCK, "pid": True}, "pid: expected a whole number, got true/false"),
    (holder_from, {**LOCK, "pid": 10**30}, f"pid: {10**30} is not a process id"),
    (
        holder_from,
        {**LOCK, "since": "2026-11-25T09:00:00"},
        "since: '2026-11-25T09:00:00' has no time zone",
    ),
    (holder_from, {**LOCK, "since": "yesterday"}, "since: 'yesterday' is not an ISO 8601 time"),
    (holder_from, {**LOCK, "token": 7}, "token: expected text, got a whole number"),
]


@pytest.mark.parametrize(("read", "document", "problem"), NOT_AS_WRITTEN)
def test_a_state_document_not_as_written_names_its_first_wrong_field(read, document, problem):
    with pytest.raises(StateProblem) as raised:
        read(document, "staging") if read is parse_inventory else read(document)

    assert str(raised.value) == problem


def test_an_inventory_as_written_reads_as_its_sorted_names():
    document = {"version": 1, "env": "staging", "endpoints": ["staging-b", "staging-a"]}

    assert parse_inventory(document, "staging") == ("staging-a", "staging-b")


def test_a_corrupt_inventory_is_one_line_with_the_object_and_the_remedy():
    s3 = StubS3("smgitops/staging/inventory/staging.json", b"[]")

    with pytest.raises(StateCorrupt) as raised:
        read_inventory(s3, SETTINGS)

    assert raised.value.message == (
        f"the inventory of env staging {INVENTORY_URI} is corrupt (top level: expected an "
        "object, got a list); restore an earlier version of it, or delete it and the next "
        "apply writes a new one from the manifests (endpoints only it named are then no "
        "longer pruned: delete those by hand)"
    )


def test_a_missing_inventory_is_empty():
    assert read_inventory(StubS3("elsewhere", b""), SETTINGS) == ()


def test_an_object_over_its_limit_is_not_read():
    found = fetch(StubS3("k", b"x" * 101), "b", "k", limit=100)

    assert found is not None
    assert (found.document, found.problem) == (None, "101 bytes (allowed: at most 100)")


def test_a_corrupt_history_reads_as_empty_with_a_one_line_note():
    s3 = StubS3("smgitops/staging/history/staging.json", json.dumps({"applies": 3}).encode())

    history = read_history(s3, SETTINGS)

    assert (history.outcomes, history.etag) == ((), "e1")  # the next apply overwrites it
    assert unreadable_note(SETTINGS, history) == (
        "note: the apply history of env staging "
        "s3://smgitops-artifacts/smgitops/staging/history/staging.json is corrupt (applies: "
        "expected a list, got a whole number); last outcomes unknown; the next apply starts "
        "a new history"
    )


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ([], "top level: expected an object"),
        (
            {"format_version": 9, "env": "staging", "endpoints": []},
            "format_version: 9 (allowed: 2)",
        ),
        (
            {"format_version": 2, "env": "prod", "endpoints": []},
            'env: it is a plan of env "prod", not staging',
        ),
        ({"format_version": 2, "env": "staging", "endpoints": {}}, "endpoints: expected a list"),
    ],
)
def test_a_saved_plan_of_another_shape_or_env_is_refused(document, problem):
    assert saved_plan_problem(document, "staging") == problem


def test_a_recorded_resolution_without_its_arn_is_refused():
    document = {
        "endpoints": [
            {
                "manifest": "m.yaml",
                "desired": {"source": {"kind": "model_package", "requested": "g"}},
            }
        ]
    }

    with pytest.raises(ValueError, match=r"^endpoints\[0\]\.desired\.source\.arn: expected text$"):
        recorded_packages(document)
