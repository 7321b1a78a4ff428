"""SageMaker real-time hosting instance types smgitops accepts.

A typo in an instance type only fails after CreateEndpointConfig, minutes into a deploy; this
list catches it at review time. Extend it when AWS adds a family.
"""

from __future__ import annotations

import difflib

_SIZES_BY_FAMILY = {
    "t2": "medium large xlarge 2xlarge",
    "t3": "medium large xlarge 2xlarge",
    "m4": "xlarge 2xlarge 4xlarge 10xlarge 16xlarge",
    "m5": "large xlarge 2xlarge 4xlarge 12xlarge 24xlarge",
    "m5d": "large xlarge 2xlarge 4xlarge 12xlarge 24xlarge",
    "m6i": "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge",
    "m7i": "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge",
    "c4": "large xlarge 2xlarge 4xlarge 8xlarge",
    "c5": "large xlarge 2xlarge 4xlarge 9xlarge 18xlarge",
    "c5d": "large xlarge 2xlarge 4xlarge 9xlarge 18xlarge",
    "c6i": "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge",
    "c7i": "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge",
    "r5": "large xlarge 2xlarge 4xlarge 12xlarge 24xlarge",
    "r5d": "large xlarge 2xlarge 4xlarge 12xlarge 24xlarge",
    "r6i": "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge",
    "g4dn": "xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge",
    "g5": "xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge",
    "g6": "xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 48xlarge",
    "p3": "2xlarge 8xlarge 16xlarge",
    "p4d": "24xlarge",
    "p5": "48xlarge",
    "inf1": "xlarge 2xlarge 6xlarge 24xlarge",
    "inf2": "xlarge 8xlarge 24xlarge 48xlarge",
}

HOSTING_INSTANCE_TYPES: frozenset[str] = frozenset(
    f"ml.{family}.{size}" for family, sizes in _SIZES_BY_FAMILY.items() for size in sizes.split()
)

# Families whose hosts carry local NVMe instance storage, which the hardware encrypts:
# SageMaker refuses an endpoint config's KmsKeyId for them (SageMaker Developer Guide, "Host
# instance storage volumes"; CreateEndpointConfig, KmsKeyId).
INSTANCE_STORAGE_FAMILIES = frozenset(
    {"m5d", "m6id", "m6gd", "c5d", "c6id", "c6gd", "r5d", "r6id", "r6gd", "g4dn", "g5", "g6"}
    | {"g6e", "p4d", "p4de", "p5", "p5e", "p5en", "trn1", "trn1n", "trn2"}
)

# SageMaker falls back to all-at-once for these (dropping canary/linear/rolling) and refuses
# shadow variants on them.
NO_GUARDRAIL_FAMILIES = frozenset({"inf1"})


def is_known(instance_type: str) -> bool:
    return instance_type in HOSTING_INSTANCE_TYPES


def family(instance_type: str) -> str:
    """`ml.m5.large` -> `m5`. No side effects."""
    parts = instance_type.split(".")
    return parts[1] if len(parts) == 3 else ""


def suggestions(instance_type: str) -> list[str]:
    """The known type closest to a misspelt one, if any. No side effects."""
    return difflib.get_close_matches(instance_type, sorted(HOSTING_INSTANCE_TYPES), n=1, cutoff=0.8)
