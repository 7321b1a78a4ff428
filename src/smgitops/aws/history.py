"""Apply history: what each apply did to each endpoint and how it ended.

Kept in the env's own namespace (`<artifactPrefix>/history/<env>.json`, the last
MAX_APPLIES applies, newest last), written under the env's apply lock with a conditional
write, and read by `smgitops status`. A missing object is an empty history; an unreadable one
reads as empty too (status says so in one line), so a corrupt object never stops an apply:
the next one replaces it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from smgitops.aws.clients import S3_CONFLICT, error_code
from smgitops.aws.state import StateProblem, corrupt_message, expect, fetch
from smgitops.aws.wire import object_encryption
from smgitops.core.desired import EnvSettings
from smgitops.core.naming import history_key

MAX_APPLIES = 50
# 50 applies of a few hundred endpoints each, with their messages.
MAX_HISTORY_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    """How one endpoint ended in one apply (`outcome` is apply's Outcome value)."""

    endpoint: str
    outcome: str
    message: str
    commit: str
    at: str  # ISO 8601, UTC


_FIELDS = tuple(field.name for field in fields(Outcome))


@dataclass(frozen=True)
class History:
    outcomes: tuple[Outcome, ...]  # oldest first
    etag: str | None  # of the object read; None when there was none
    problem: str = ""  # why the object could not be read (then `outcomes` is empty)

    def last(self, endpoint: str) -> Outcome | None:
        """The newest recorded outcome of `endpoint`, or None."""
        return next((o for o in reversed(self.outcomes) if o.endpoint == endpoint), None)


def parse_outcomes(document: object) -> tuple[Outcome, ...]:
    """Every outcome of a history document, oldest first; StateProblem naming the first field
    that is not as `record_apply` writes it. No side effects."""
    applies = expect(expect(document, dict, "top level").get("applies"), list, "applies")
    outcomes = []
    for index, apply in enumerate(applies):
        where = f"applies[{index}]"
        recorded = expect(expect(apply, dict, where).get("outcomes"), list, f"{where}.outcomes")
        for number, outcome in enumerate(recorded):
            at = f"{where}.outcomes[{number}]"
            fields = expect(outcome, dict, at)
            unknown = sorted(set(fields) - set(_FIELDS))
            if unknown:
                raise StateProblem(f"{at}.{unknown[0][:40]}: unknown field")
            outcomes.append(
                Outcome(**{name: expect(fields.get(name), str, f"{at}.{name}") for name in _FIELDS})
            )
    return tuple(outcomes)


def history_uri(settings: EnvSettings) -> str:
    return f"s3://{settings.artifact_bucket}/{history_key(settings)}"


def unreadable_note(settings: EnvSettings, history: History) -> str:
    """The one line `status` prints for an unreadable history. No side effects."""
    return "note: " + corrupt_message(
        f"the apply history of env {settings.name}",
        history_uri(settings),
        history.problem,
        "last outcomes unknown; the next apply starts a new history",
    )


def read_history(s3: Any, settings: EnvSettings) -> History:
    """The env's history; empty when there is none, and with `problem` when it cannot be
    used (the next `record_apply` replaces it)."""
    found = fetch(s3, settings.artifact_bucket, history_key(settings), MAX_HISTORY_BYTES)
    if found is None:
        return History((), None)
    etag = found.etag.strip('"')
    try:
        if found.problem:
            raise StateProblem(found.problem)
        return History(parse_outcomes(found.document), etag)
    except StateProblem as problem:
        return History((), etag, problem=str(problem))


def record_apply(
    s3: Any,
    settings: EnvSettings,
    commit: str,
    results: list[tuple[str, str, str]],
    now: datetime | None = None,
) -> None:
    """Append one apply's (endpoint, outcome, message) results; keep the last MAX_APPLIES.
    Written only if nobody wrote the object since it was read (else this record is dropped:
    history never blocks an apply)."""
    if not results:
        return
    at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    history = read_history(s3, settings)
    applies: dict[tuple[str, str], list[dict[str, str]]] = {}
    for outcome in history.outcomes:
        applies.setdefault((outcome.at, outcome.commit), []).append(asdict(outcome))
    applies[(at, commit)] = [
        asdict(Outcome(endpoint, outcome, message, commit, at))
        for endpoint, outcome, message in results
    ]
    kept = list(applies.items())[-MAX_APPLIES:]
    document = {
        "version": 1,
        "env": settings.name,
        "applies": [{"at": a, "commit": c, "outcomes": o} for (a, c), o in kept],
    }
    condition = {"IfMatch": f'"{history.etag}"'} if history.etag else {"IfNoneMatch": "*"}
    try:
        s3.put_object(
            Bucket=settings.artifact_bucket,
            Key=history_key(settings),
            Body=json.dumps(document, indent=2).encode(),
            ContentType="application/json",
            **condition,
            **object_encryption(settings.kms_key_id),
        )
    except ClientError as error:
        if error_code(error) not in S3_CONFLICT:
            raise
