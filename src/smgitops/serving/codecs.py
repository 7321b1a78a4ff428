"""Default encodings of request and response bodies: JSON, CSV and NPY.

These are what `input_fn` and `output_fn` do when the user's inference.py omits them.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np

from smgitops.serving.errors import BadRequest, UnsupportedAccept, UnsupportedContentType
from smgitops.serving.mediatypes import CSV, JSON, NPY, negotiate, parse_media_type

SUPPORTED = (JSON, CSV, NPY)
TEXT_TYPES = (JSON, CSV)


def body_for_handlers(body: bytes, content_type: str) -> str | bytes:
    """Text for JSON and CSV (decoded with the charset parameter), bytes otherwise.

    The toolkits hand input_fn a str for these two types; user code relies on it.
    No side effects.
    """
    media = parse_media_type(content_type)
    if media.essence not in TEXT_TYPES and not media.essence.startswith("text/"):
        return body
    try:
        return body.decode(media.charset)
    except (LookupError, UnicodeDecodeError) as error:
        raise BadRequest(f"request body is not valid {media.charset} text: {error}") from None


def decode(body: str | bytes, content_type: str) -> Any:
    """Default input_fn: a numpy array from JSON, CSV or NPY. No side effects."""
    essence = parse_media_type(content_type).essence
    if essence == JSON:
        try:
            return np.array(json.loads(body))
        except ValueError as error:
            raise BadRequest(f"invalid JSON body: {error}") from None
    if essence == CSV:
        text = body.decode() if isinstance(body, bytes) else body
        rows = [line for line in text.splitlines() if line.strip()]
        try:
            return np.array([[float(cell) for cell in row.split(",")] for row in rows])
        except ValueError as error:
            raise BadRequest(f"invalid CSV body: {error}") from None
    if essence == NPY:
        raw = body.encode() if isinstance(body, str) else body
        try:
            return np.load(io.BytesIO(raw), allow_pickle=False)
        except ValueError as error:
            raise BadRequest(f"invalid NPY body: {error}") from None
    raise UnsupportedContentType(
        f"unsupported content type {content_type!r} (supported: {', '.join(SUPPORTED)})"
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _csv(prediction: Any) -> bytes:
    array = np.asarray(prediction)
    if array.ndim == 0:
        array = array.reshape(1)
    rows = array.reshape(-1, 1) if array.ndim == 1 else array.reshape(array.shape[0], -1)
    return "".join(",".join(str(cell) for cell in row) + "\n" for row in rows.tolist()).encode()


def encode(prediction: Any, accept: str) -> tuple[bytes, str]:
    """Default output_fn: (body, content type) for the best type Accept allows. No side effects."""
    essence = negotiate(accept, SUPPORTED)
    if essence == JSON:
        return json.dumps(prediction, default=_jsonable).encode(), JSON
    if essence == CSV:
        return _csv(prediction), CSV
    if essence == NPY:
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(prediction), allow_pickle=False)
        return buffer.getvalue(), NPY
    raise UnsupportedAccept(f"unsupported accept {accept!r} (supported: {', '.join(SUPPORTED)})")
