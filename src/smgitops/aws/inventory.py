"""The inventory: which endpoints smgitops manages in an env, remembered between applies.

Prune works from memory, not by searching the account (Flux keeps an inventory for the same
reason): the set last applied is stored next to the artifacts, diffed against git, and only the
remainder is deleted. Deletes that fail stay in the inventory so the next run retries them.
A corrupt inventory stops plan and apply (a plan without it would forget what prune owns);
`status` notes it and goes on.
"""

from __future__ import annotations

import json
from typing import Any

from smgitops.aws.state import StateCorrupt, StateProblem, corrupt_message, expect, fetch
from smgitops.aws.wire import object_encryption
from smgitops.core.desired import EnvSettings
from smgitops.core.naming import inventory_key, is_endpoint_name

# A few hundred endpoint names; far more than any env's inventory holds.
MAX_INVENTORY_BYTES = 4 * 1024 * 1024


def parse_inventory(document: object, env: str) -> tuple[str, ...]:
    """The sorted endpoint names of an inventory document; StateProblem when it is not one
    (as `write_inventory` writes it) of env `env`. No side effects."""
    document = expect(document, dict, "top level")
    owner = document.get("env", env)
    if owner != env:
        raise StateProblem(f"env: {json.dumps(owner)[:60]} is not this env ({env})")
    names = expect(document.get("endpoints"), list, "endpoints")
    for index, name in enumerate(names):
        expect(name, str, f"endpoints[{index}]")
        if not is_endpoint_name(name):
            raise StateProblem(
                f"endpoints[{index}]: {json.dumps(name)[:60]} is not an endpoint name"
            )
    return tuple(sorted(set(names)))


def inventory_uri(settings: EnvSettings) -> str:
    return f"s3://{settings.artifact_bucket}/{inventory_key(settings)}"


def read_inventory(s3: Any, settings: EnvSettings) -> tuple[str, ...]:
    """Endpoint names recorded by the last apply (empty before the first one).

    StateCorrupt (one line: the object, what is wrong, the remedy) when it cannot be used.
    """
    found = fetch(s3, settings.artifact_bucket, inventory_key(settings), MAX_INVENTORY_BYTES)
    if found is None:
        return ()
    try:
        if found.problem:
            raise StateProblem(found.problem)
        return parse_inventory(found.document, settings.name)
    except StateProblem as problem:
        raise StateCorrupt(
            corrupt_message(
                f"the inventory of env {settings.name}",
                inventory_uri(settings),
                str(problem),
                "restore an earlier version of it, or delete it and the next apply writes "
                "a new one from the manifests (endpoints only it named are then no longer "
                "pruned: delete those by hand)",
            )
        ) from None


def write_inventory(s3: Any, settings: EnvSettings, endpoints: set[str]) -> None:
    document = {"version": 1, "env": settings.name, "endpoints": sorted(endpoints)}
    s3.put_object(
        Bucket=settings.artifact_bucket,
        Key=inventory_key(settings),
        Body=json.dumps(document, indent=2).encode(),
        ContentType="application/json",
        **object_encryption(settings.kms_key_id),
    )
