"""Default encodings of request and response bodies: JSON, CSV and NPY.

These are what `input_fn` and `output_fn` do when the user's inference.py omits them.
"""

from __future__ import annotations

import io
import json
import math
from tokenize import TokenError
from typing import Any

import numpy as np
from numpy.lib import format as npy_format

from smgitops.serving.errors import BadRequest, UnsupportedAccept, UnsupportedContentType
from smgitops.serving.mediatypes import CSV, JSON, NPY, negotiate, parse_media_type

SUPPORTED = (JSON, CSV, NPY)
TEXT_TYPES = (JSON, CSV)
NPY_HEADERS = {(1, 0): npy_format.read_array_header_1_0, (2, 0): npy_format.read_array_header_2_0}
# What numpy's NPY header parser raises for a malformed header (it tokenizes and evaluates it).
NPY_HEADER_ERRORS = (ValueError, TypeError, SyntaxError, EOFError, TokenError)


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
    except (LookupError, ValueError) as error:  # ValueError: any UnicodeError (e.g. idna's)
        raise BadRequest(f"request body is not valid {media.charset} text: {error}") from None


def decode(body: str | bytes, content_type: str) -> Any:
    """Default input_fn: a numpy array from JSON, CSV or NPY. No side effects."""
    essence = parse_media_type(content_type).essence
    if essence == JSON:
        try:
            return np.array(json.loads(body))
        except ValueError as error:
            raise BadRequest(f"invalid JSON body: {error}") from None
        except RecursionError:  # e.g. 100,000 nested "[": the parser recurses per level
            raise BadRequest("invalid JSON body: nested too deeply") from None
    if essence == CSV:
        try:
            text = body.decode() if isinstance(body, bytes) else body
            rows = [line for line in text.splitlines() if line.strip()]
            return np.array([[float(cell) for cell in row.split(",")] for row in rows])
        except ValueError as error:
            raise BadRequest(f"invalid CSV body: {error}") from None
    if essence == NPY:
        return _npy(body.encode() if isinstance(body, str) else body)
    raise UnsupportedContentType(
        f"unsupported content type {content_type!r} (supported: {', '.join(SUPPORTED)})"
    )


def _npy(raw: bytes) -> np.ndarray:
    """The array of one NPY (format 1.0 or 2.0) body; BadRequest unless its header is valid,
    it holds no Python objects and its data is exactly the size the header declares (so a
    small body cannot make the server allocate a large array). No side effects."""
    stream = io.BytesIO(raw)
    try:
        version = npy_format.read_magic(stream)
        read_header = NPY_HEADERS.get(version)
        if read_header is None:
            raise ValueError(f"NPY format version {version[0]}.{version[1]} is not supported")
        shape, fortran_order, dtype = read_header(stream)
    except NPY_HEADER_ERRORS as error:
        raise BadRequest(f"invalid NPY body: {error}") from None
    if dtype.hasobject:
        raise BadRequest("invalid NPY body: holds Python objects (allow_pickle=False)")
    count = math.prod(shape)
    declared = count * dtype.itemsize
    data = len(raw) - stream.tell()
    if data != declared:
        raise BadRequest(
            f"invalid NPY body: {data} bytes of data where shape {shape} of {dtype} "
            f"needs {declared}"
        )
    flat = np.frombuffer(raw, dtype=dtype, count=count, offset=stream.tell())
    # A copy, as np.load gives: writable, and not holding on to the request body.
    return flat.reshape(shape, order="F" if fortran_order else "C").copy(order="K")


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
