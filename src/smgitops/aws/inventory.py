"""The inventory: which endpoints smgitops manages in an env, remembered between applies.

Prune works from memory, not by searching the account (Flux keeps an inventory for the same
reason): the set last applied is stored next to the artifacts, diffed against git, and only the
remainder is deleted. Deletes that fail stay in the inventory so the next run retries them.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from smgitops.aws.clients import S3_NOT_FOUND, error_code
from smgitops.aws.wire import object_encryption
from smgitops.core.desired import EnvSettings
from smgitops.core.naming import inventory_key


def read_inventory(s3: Any, settings: EnvSettings) -> tuple[str, ...]:
    """Endpoint names recorded by the last apply (empty before the first one)."""
    try:
        body = s3.get_object(Bucket=settings.artifact_bucket, Key=inventory_key(settings))["Body"]
    except ClientError as error:
        if error_code(error) in S3_NOT_FOUND:
            return ()
        raise
    return tuple(sorted(json.loads(body.read()).get("endpoints", [])))


def write_inventory(s3: Any, settings: EnvSettings, endpoints: set[str]) -> None:
    document = {"version": 1, "env": settings.name, "endpoints": sorted(endpoints)}
    s3.put_object(
        Bucket=settings.artifact_bucket,
        Key=inventory_key(settings),
        Body=json.dumps(document, indent=2).encode(),
        ContentType="application/json",
        **object_encryption(settings.kms_key_id),
    )
