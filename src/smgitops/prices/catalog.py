"""The packaged price snapshot, read once per process. The numbers are used by the pure
planner (`smgitops.core.preflight`); only this module reads the file."""

from __future__ import annotations

import functools
import json
from importlib import resources

from smgitops.core.preflight import PriceSnapshot, snapshot_from_document

SNAPSHOT_FILE = "hosting.json"


@functools.cache
def load_snapshot() -> PriceSnapshot:
    """The packaged snapshot of hosting prices (ValueError when it is malformed)."""
    text = resources.files("smgitops.prices").joinpath(SNAPSHOT_FILE).read_text()
    return snapshot_from_document(json.loads(text))
