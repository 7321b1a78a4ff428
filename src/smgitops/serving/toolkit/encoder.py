"""The toolkit's response encoders (`sagemaker_inference.encoder`).

`encode(array_like, content_type)` with an exact content type: JSON and CSV give `str`, NPY
`bytes`, written as the serving defaults write them (codecs.encode_as); anything else
raises UnsupportedFormatError.
"""

from __future__ import annotations

from typing import Any

from smgitops.serving import codecs
from smgitops.serving.toolkit import content_types
from smgitops.serving.toolkit.errors import UnsupportedFormatError

SUPPORTED_CONTENT_TYPES = {content_types.JSON, content_types.CSV, content_types.NPY}


def encode(array_like: Any, content_type: str) -> str | bytes:
    """`array_like` serialised as `content_type` (text for JSON and CSV)."""
    if content_type not in SUPPORTED_CONTENT_TYPES:
        raise UnsupportedFormatError(content_type)
    body = codecs.encode_as(array_like, content_type)
    return body if content_type == content_types.NPY else body.decode()
