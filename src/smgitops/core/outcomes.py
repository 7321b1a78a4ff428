"""How an endpoint ended in an apply: apply reports it, the history records it, and the next
plan and `smgitops status` read it back."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """Why an endpoint is (not) ready after apply; stable names for reports."""

    APPLIED = "applied"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    ENDPOINT_FAILED = "endpoint_failed"
    UPDATE_ROLLED_BACK = "update_rolled_back"
    SMOKE_TEST_FAILED = "smoke_test_failed"
    WAIT_TIMEOUT = "wait_timeout"
    QUOTA_EXCEEDED = "quota_exceeded"
    DELETE_DEFERRED = "delete_deferred"  # kept serving: another change of the apply failed
    AWS_ERROR = "aws_error"
    INTERRUPTED = "interrupted"

    @property
    def succeeded(self) -> bool:
        """The endpoint is as git says (or was left alone on purpose)."""
        return self in (Outcome.APPLIED, Outcome.UNCHANGED, Outcome.DELETED)

    @property
    def retryable(self) -> bool:
        """True when re-running apply on the same commit may succeed (a slow transition, a
        throttled or failed call, Ctrl-C); False when git or the account must change first."""
        return self in (Outcome.WAIT_TIMEOUT, Outcome.AWS_ERROR, Outcome.INTERRUPTED)
