"""Which model folders an environment's manifests deploy (and so need a tarball and an image)."""

from __future__ import annotations

from smgitops.spec import DesiredEnv


def models_used(desired: DesiredEnv) -> tuple[str, ...]:
    """Names of the `models/<name>` folders the env's endpoints use, sorted, each once.

    No side effects.
    """
    return tuple(sorted({e.model.name for e in desired.endpoints if e.model.kind == "folder"}))


def serving_models(desired: DesiredEnv) -> tuple[str, ...]:
    """Folders whose serving image the env needs: folder models and S3 artifacts' `code:`.

    No side effects.
    """
    names = {e.model.name for e in desired.endpoints if e.model.kind == "folder"}
    names |= {e.model.code for e in desired.endpoints if e.model.code is not None}
    return tuple(sorted(names))
