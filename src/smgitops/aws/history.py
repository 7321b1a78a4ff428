"""Apply history: what each apply did to each endpoint and how it ended.

Kept in the env's own namespace (`<artifactPrefix>/history/<env>.json`, the last
MAX_APPLIES applies, newest last), written under the env's apply lock with a conditional
write, and read by `smgitops status`. A missing object is an empty history; an unreadable one
reads as empty too (status says so), so a corrupt object never stops an apply.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from smgitops.aws.clients import S3_CONFLICT, S3_NOT_FOUND, error_code
from smgitops.aws.wire import object_encryption
from smgitops.core.desired import EnvSettings
from smgitops.core.naming import history_key

MAX_APPLIES = 50


@dataclass(frozen=True)
class Outcome:
    """How one endpoint ended in one apply (`outcome` is apply's Outcome value)."""

    endpoint: str
    outcome: str
    message: str
    commit: str
    at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class History:
    outcomes: tuple[Outcome, ...]  # oldest first
    etag: str | None  # of the object read; None when there was none
    readable: bool = True

    def last(self, endpoint: str) -> Outcome | None:
        """The newest recorded outcome of `endpoint`, or None."""
        return next((o for o in reversed(self.outcomes) if o.endpoint == endpoint), None)


def read_history(s3: Any, settings: EnvSettings) -> History:
    """The env's history; empty when there is none or it cannot be parsed."""
    try:
        response = s3.get_object(Bucket=settings.artifact_bucket, Key=history_key(settings))
    except ClientError as error:
        if error_code(error) in S3_NOT_FOUND:
            return History((), None)
        raise
    etag = str(response.get("ETag", "")).strip('"')
    try:
        applies = json.loads(response["Body"].read())["applies"]
        outcomes = tuple(Outcome(**o) for apply in applies for o in apply["outcomes"])
    except (ValueError, KeyError, TypeError):
        return History((), etag, readable=False)
    return History(outcomes, etag)


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
