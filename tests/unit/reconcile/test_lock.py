"""The apply lock's record and refusal text (pure parts; the S3 side is in the fault tests)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from smgitops.aws.lock import (
    LockHolder,
    Unreadable,
    holder_document,
    holder_from,
    is_abandoned,
    refusal,
)

HOLDER = LockHolder(
    env="staging",
    user="alice",
    host="ci-7",
    pid=42,
    commit="abc123",
    since="2026-11-25T09:00:00+00:00",
    token="t1",
    machine="boot-1/4026531836",
)


def test_holder_round_trips_through_the_lock_document():
    assert holder_from(json.loads(holder_document(HOLDER))) == HOLDER


def test_refusal_names_env_start_age_holder_and_the_way_out():
    now = datetime(2026, 11, 25, 9, 3, 30, tzinfo=UTC)
    assert refusal("staging", HOLDER, now) == (
        "apply already running for env staging since 2026-11-25T09:00:00+00:00 (3m ago), "
        "by alice@ci-7 (pid 42, commit abc123); wait for it to finish, or if it died run "
        "`smgitops apply --env staging --break-lock`"
    )


def test_refusal_of_a_corrupt_lock_names_the_object_the_fault_and_how_to_break_it():
    corrupt = Unreadable(
        "s3://b/smgitops/locks/prod.json", "pid: expected a whole number, got text"
    )

    assert refusal("prod", corrupt, datetime.now(UTC)) == (
        "the apply lock of env prod s3://b/smgitops/locks/prod.json is corrupt (pid: expected a "
        "whole number, got text); whether an apply runs is unknown: wait for any to finish, or "
        "if none runs, run `smgitops apply --env prod --break-lock`"
    )


def test_refusal_gives_the_age_in_the_unit_a_reader_wants():
    since = datetime(2026, 11, 25, 9, 0, 0, tzinfo=UTC)
    ages = [
        refusal("staging", HOLDER, since.replace(second=45)),
        refusal("staging", HOLDER, since.replace(hour=10, minute=30)),
        refusal("staging", HOLDER, since.replace(day=26)),
    ]
    assert ["(45s ago)" in ages[0], "(90m ago)" in ages[1], "(24h ago)" in ages[2]] == [True] * 3


def test_only_a_dead_process_on_the_same_machine_is_abandoned():
    assert is_abandoned(HOLDER, "boot-1/4026531836", pid_alive=lambda pid: False)
    assert not is_abandoned(HOLDER, "boot-1/4026531836", pid_alive=lambda pid: True)
    # another machine, or another container's pid namespace: its pids mean nothing here
    assert not is_abandoned(HOLDER, "boot-2/4026531836", pid_alive=lambda pid: False)
    assert not is_abandoned(HOLDER, "boot-1/4026532001", pid_alive=lambda pid: False)
    assert not is_abandoned(HOLDER, "", pid_alive=lambda pid: False)
