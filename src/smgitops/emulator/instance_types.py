"""Which `ml.*` instance types SageMaker real-time hosting accepts (current families included).

moto 5.2.5 only knows older types (ml.m5, ml.c5, ml.g4dn, ...); this list adds the families
in use today (g5, g6, m6i, m7i, c6i, c7i, r6i, t3, inf2, p4d, p5, trn1, Graviton ...).
"""

from __future__ import annotations

_SIZES = (
    "medium",
    "large",
    "xlarge",
    "2xlarge",
    "4xlarge",
    "8xlarge",
    "9xlarge",
    "12xlarge",
    "16xlarge",
    "18xlarge",
    "24xlarge",
    "32xlarge",
    "48xlarge",
)

_FAMILIES = (
    "t2", "t3",
    "m4", "m5", "m5d", "m6i", "m6id", "m7i", "m6g", "m6gd", "m7g",
    "c4", "c5", "c5d", "c5n", "c6i", "c6id", "c6in", "c7i", "c6g", "c6gd", "c6gn", "c7g",
    "r5", "r5d", "r6i", "r6id", "r7i", "r6g", "r6gd", "r7g", "r8g",
    "g4dn", "g5", "g6", "g6e", "g5g",
    "p2", "p3", "p4d", "p4de", "p5", "p5e", "p5en",
    "inf1", "inf2", "trn1", "trn1n", "trn2",
)  # fmt: skip


def is_known(instance_type: str) -> bool:
    """True for `ml.<family>.<size>` of a hosting family. No side effects."""
    parts = instance_type.split(".")
    return len(parts) == 3 and parts[0] == "ml" and parts[1] in _FAMILIES and parts[2] in _SIZES


def all_types() -> list[str]:
    """Every accepted type, sorted, for the enum listed in the error message. No side effects."""
    return sorted(f"ml.{family}.{size}" for family in _FAMILIES for size in _SIZES)
