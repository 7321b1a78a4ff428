"""Which model folders an environment's manifests deploy (and so need a tarball and an image)."""

from __future__ import annotations

from smgitops.spec import DesiredEnv


def models_used(desired: DesiredEnv) -> tuple[str, ...]:
    """Names of the `models/<name>` folders the env's endpoints use, sorted, each once.

    No side effects.
    """
    return tuple(sorted({e.model.name for e in desired.endpoints if e.model.kind == "folder"}))
