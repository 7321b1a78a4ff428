"""The env apply lock: at most one apply per env at a time, so no endpoint is raced.

The lock is an S3 object next to the env's inventory, written with a conditional PUT
(`If-None-Match: *`), which S3 grants to exactly one writer. It names its holder (who, where,
which commit, since when). It is released with a conditional DELETE of our own copy
(`If-Match: <etag>`), so a run whose lock was broken never removes its successor's lock.

A lock left by a killed apply is taken over automatically when it was held by a process on this
machine (same boot, same pid namespace) that no longer runs; any other stale lock needs
`smgitops apply --break-lock`.
Plan and drift take no lock.
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from smgitops.aws.clients import error_code
from smgitops.aws.state import (
    StateObject,
    StateProblem,
    corrupt_message,
    expect,
    fetch,
)
from smgitops.aws.wire import object_encryption
from smgitops.core.desired import EnvSettings
from smgitops.core.naming import lock_key
from smgitops.errors import UserError

# S3's answers when the lock object exists (412) or a concurrent conditional write won (409).
_HELD = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}
_GONE = {"NoSuchKey", "404"}
_ATTEMPTS = 3  # a lock released or broken between our PUT and GET: try again, briefly
MAX_LOCK_BYTES = 64 * 1024  # a holder record is a few hundred bytes
_TEXT_FIELDS = ("env", "user", "host", "commit", "since")


class LockHeld(UserError):
    """Another apply holds the env's lock."""


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or wants) an env's apply lock; stored as the lock object's JSON body."""

    env: str
    user: str
    host: str
    pid: int
    commit: str
    since: str  # ISO 8601, UTC
    token: str  # random per run: recognises our own lock after a retried PUT
    machine: str = ""  # boot id + pid namespace: where `pid` means something ("" unknown)

    def describe(self) -> str:
        """`user@host (pid N, commit C)`. No side effects."""
        return f"{self.user}@{self.host} (pid {self.pid}, commit {self.commit})"


def holder_document(holder: LockHolder) -> bytes:
    """The lock object's body. No side effects."""
    return json.dumps({"version": 1, **asdict(holder)}, indent=2).encode()


@dataclass(frozen=True)
class Unreadable:
    """A lock object whose holder cannot be read: where it is and what is wrong with it."""

    uri: str
    problem: str


def holder_from(document: object) -> LockHolder:
    """The holder a lock document records; StateProblem naming the first field that is not
    as `holder_document` writes it. No side effects."""
    data = expect(document, dict, "top level")
    text = {name: expect(data.get(name), str, name) for name in _TEXT_FIELDS}
    pid = expect(data.get("pid"), int, "pid")
    if not 0 < pid < 2**31:
        raise StateProblem(f"pid: {pid} is not a process id")
    try:
        since = datetime.fromisoformat(text["since"])
    except ValueError:
        raise StateProblem(f"since: '{text['since'][:40]}' is not an ISO 8601 time") from None
    if since.tzinfo is None:
        raise StateProblem(f"since: '{text['since'][:40]}' has no time zone")
    optional = {name: expect(data.get(name, ""), str, name) for name in ("token", "machine")}
    return LockHolder(pid=pid, **text, **optional)


def _holder_of(found: StateObject, uri: str) -> LockHolder | Unreadable:
    try:
        if found.problem:
            raise StateProblem(found.problem)
        return holder_from(found.document)
    except StateProblem as problem:
        return Unreadable(uri, str(problem))


def is_abandoned(holder: LockHolder, machine: str, pid_alive: Callable[[int], bool]) -> bool:
    """True when the holder ran on this `machine` and its process is gone. No side effects.

    Host names alone are not enough: containers may share one while their pids are apart.
    """
    return bool(machine) and holder.machine == machine and not pid_alive(holder.pid)


def _age(since: str, now: datetime) -> str:
    try:
        seconds = int((now - datetime.fromisoformat(since)).total_seconds())
    except (ValueError, TypeError):  # not a time, or one without a time zone
        return "unknown time"
    if seconds < 120:
        return f"{max(seconds, 0)}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


def refusal(env: str, holder: LockHolder | Unreadable, now: datetime) -> str:
    """The one-line refusal naming the holder and the way out. No side effects."""
    how = f"wait for it to finish, or if it died run `smgitops apply --env {env} --break-lock`"
    if isinstance(holder, Unreadable):
        return corrupt_message(
            f"the apply lock of env {env}",
            holder.uri,
            holder.problem,
            "whether an apply runs is unknown: wait for any to finish, or if none runs, "
            f"run `smgitops apply --env {env} --break-lock`",
        )
    return (
        f"apply already running for env {env} since {holder.since} "
        f"({_age(holder.since, now)} ago), by {holder.describe()}; {how}"
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def this_machine() -> str:
    """This boot of this machine and our pid namespace; "" where Linux's /proc is missing."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return ""
    return f"{boot}/{namespace}"


def this_process(env: str, commit: str) -> LockHolder:
    """The holder record for this process (reads the environment and the clock)."""
    try:
        user = os.environ.get("GITHUB_ACTOR") or getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return LockHolder(
        env=env,
        user=user,
        host=socket.gethostname(),
        pid=os.getpid(),
        commit=commit,
        since=datetime.now(UTC).replace(microsecond=0).isoformat(),
        token=secrets.token_hex(8),
        machine=this_machine(),
    )


@dataclass
class EnvLock:
    """A held apply lock; `release()` (or leaving the `with` block) gives it back once."""

    s3: Any
    settings: EnvSettings
    holder: LockHolder
    etag: str
    say: Callable[[str], None]
    released: bool = False

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        try:
            self.s3.delete_object(
                Bucket=self.settings.artifact_bucket, Key=lock_key(self.settings), IfMatch=self.etag
            )
        except ClientError as error:
            if error_code(error) not in _HELD | _GONE:
                raise
            self.say(f"the apply lock of env {self.settings.name} was broken while this apply ran")

    def __enter__(self) -> EnvLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def _read(s3: Any, settings: EnvSettings) -> tuple[LockHolder | Unreadable, str] | None:
    """(holder, etag) of the current lock object, or None when there is none."""
    found = fetch(s3, settings.artifact_bucket, lock_key(settings), MAX_LOCK_BYTES)
    if found is None:
        return None
    return _holder_of(found, f"s3://{settings.artifact_bucket}/{lock_key(settings)}"), found.etag


def _remove(s3: Any, settings: EnvSettings, etag: str) -> None:
    """Delete exactly the lock copy we looked at (someone else's newer lock survives)."""
    try:
        s3.delete_object(Bucket=settings.artifact_bucket, Key=lock_key(settings), IfMatch=etag)
    except ClientError as error:
        if error_code(error) not in _HELD | _GONE:
            raise


def acquire(
    s3: Any,
    settings: EnvSettings,
    holder: LockHolder,
    *,
    break_lock: bool = False,
    say: Callable[[str], None] = lambda _message: None,
    pid_alive: Callable[[int], bool] = _pid_alive,
) -> EnvLock:
    """Take the env's apply lock or raise LockHeld naming its holder."""
    key = lock_key(settings)
    for _ in range(_ATTEMPTS):
        try:
            response = s3.put_object(
                Bucket=settings.artifact_bucket,
                Key=key,
                Body=holder_document(holder),
                ContentType="application/json",
                IfNoneMatch="*",
                **object_encryption(settings.kms_key_id),
            )
            return EnvLock(s3, settings, holder, response["ETag"], say)
        except ClientError as error:
            if error_code(error) not in _HELD:
                raise
        current = _read(s3, settings)
        if current is None:
            continue  # released in between: try again
        other, etag = current
        readable = isinstance(other, LockHolder)
        if readable and other.token == holder.token:
            return EnvLock(s3, settings, holder, etag, say)  # our PUT landed, its answer did not
        if break_lock:
            who = other.describe() if readable else "an unreadable holder"
            say(f"breaking the apply lock of env {settings.name} held by {who}")
        elif readable and is_abandoned(other, holder.machine, pid_alive):
            say(
                f"taking over the apply lock of env {settings.name}: its holder "
                f"{other.describe()} is no longer running"
            )
        else:
            raise LockHeld(refusal(settings.name, other, datetime.now(UTC)))
        _remove(s3, settings, etag)
    current = _read(s3, settings)
    if current is None:
        raise LockHeld(
            f"the apply lock of env {settings.name} was taken and released by others "
            f"{_ATTEMPTS} times while this apply tried to take it; run apply again"
        )
    raise LockHeld(refusal(settings.name, current[0], datetime.now(UTC)))
