"""Default encodings of request and response bodies: JSON, CSV and NPY.

These are what `input_fn` and `output_fn` do when the user's inference.py omits them; the
shapes and text they produce follow AWS's sagemaker-inference toolkit (see docs/serving.md,
"Handler contract"), except where a malformed body is a 400 instead of a 500.
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
# The toolkit decodes the body to text for exactly these Content-Type strings, nothing else
# (not `application/json; charset=utf-8`, not `text/plain`).
UTF8_TYPES = (JSON, CSV)
NPY_HEADERS = {(1, 0): npy_format.read_array_header_1_0, (2, 0): npy_format.read_array_header_2_0}
# What numpy's NPY header parser raises for a malformed header (it tokenizes and evaluates it).
NPY_HEADER_ERRORS = (ValueError, TypeError, SyntaxError, EOFError, TokenError)


def _text(body: str | bytes | bytearray, charset: str) -> str:
    if isinstance(body, str):
        return body
    try:
        return bytes(body).decode(charset)
    except (LookupError, ValueError) as error:  # ValueError: any UnicodeError (e.g. idna's)
        raise BadRequest(f"request body is not valid {charset} text: {error}") from None


def body_for_handlers(body: bytes, content_type: str | None) -> str | bytearray:
    """What a user's input_fn/transform_fn receives: `str` (UTF-8) when Content-Type is
    exactly `application/json` or `text/csv`, else a `bytearray` (what Multi Model Server
    hands the toolkit's handlers). BadRequest for text that is not UTF-8. No side effects."""
    if content_type in UTF8_TYPES:
        return _text(body, "utf-8")
    return bytearray(body)


def body_for_defaults(body: bytes, content_type: str | None) -> str | bytes:
    """What the default input_fn receives: text for JSON/CSV by the toolkit's rule, the
    bytes otherwise (no copy; `decode` reads any charset parameter). No side effects."""
    if content_type in UTF8_TYPES:
        return _text(body, "utf-8")
    return body


def decode(body: str | bytes | bytearray, content_type: str | None) -> Any:
    """Default input_fn: a numpy array from JSON, CSV or NPY; no Content-Type means JSON.

    CSV follows `np.genfromtxt(delimiter=",")` as the toolkit uses it: one row or one column
    gives a 1-D array, one cell a 0-d one; int64 when every cell is an integer, float64
    otherwise. BadRequest for a malformed body, UnsupportedContentType for another type.
    No side effects.
    """
    media = parse_media_type(content_type or JSON)
    if media.essence == JSON:
        try:
            return np.array(json.loads(_text(body, media.charset)))
        except ValueError as error:
            raise BadRequest(f"invalid JSON body: {error}") from None
        except RecursionError:  # e.g. 100,000 nested "[": the parser recurses per level
            raise BadRequest("invalid JSON body: nested too deeply") from None
    if media.essence == CSV:
        return _csv_rows(_text(body, media.charset))
    if media.essence == NPY:
        return _npy(body.encode() if isinstance(body, str) else bytes(body))
    raise UnsupportedContentType(
        f"unsupported content type {content_type!r} (supported: {', '.join(SUPPORTED)})"
    )


def _is_int(cell: str) -> bool:
    digits = cell.strip()
    return digits.lstrip("+-").isdigit()


def _csv_rows(text: str) -> np.ndarray:
    rows = [line.split(",") for line in text.splitlines() if line.strip()]
    if not rows:
        raise BadRequest("invalid CSV body: no rows")
    width = len(rows[0])
    for number, row in enumerate(rows, start=1):
        if len(row) != width:
            raise BadRequest(
                f"invalid CSV body: row {number} has {len(row)} cells, row 1 has {width}"
            )
    try:
        if all(_is_int(cell) for row in rows for cell in row):
            array = np.array([[int(cell) for cell in row] for row in rows], dtype=np.int64)
        else:
            # genfromtxt would give a structured array for mixed int/float columns; one
            # float matrix is what every model expects.
            array = np.array([[float(cell) for cell in row] for row in rows], dtype=np.float64)
    except (ValueError, OverflowError) as error:
        raise BadRequest(f"invalid CSV body: {error}") from None
    return array.squeeze() if 1 in array.shape else array


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
    if hasattr(value, "tolist"):  # numpy arrays and scalars, and whatever else offers it
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _csv(prediction: Any) -> bytes:
    """As `np.savetxt(fmt="%s", delimiter=",")`: a 1-D array is one value per line, and
    each cell is written by its numpy type's str (float32 0.45000002, not the float64
    0.45000001788139343). A scalar is one line and more dimensions are flattened into rows,
    where the toolkit fails. No side effects."""
    array = np.asarray(prediction)
    if array.ndim == 0:
        array = array.reshape(1)
    rows = array.reshape(-1, 1) if array.ndim == 1 else array.reshape(array.shape[0], -1)
    return "".join(",".join(str(cell) for cell in row) + "\n" for row in rows).encode()


def encode_as(prediction: Any, essence: str) -> bytes:
    """`prediction` written as JSON, CSV or NPY (an object array is pickled, as np.save
    does by default). UnsupportedAccept for another type. No side effects."""
    if essence == JSON:
        return json.dumps(prediction, default=_jsonable).encode()
    if essence == CSV:
        return _csv(prediction)
    if essence == NPY:
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(prediction))
        return buffer.getvalue()
    raise UnsupportedAccept(f"unsupported accept {essence!r} (supported: {', '.join(SUPPORTED)})")


def encode(prediction: Any, accept: str) -> tuple[bytes, str]:
    """Default output_fn: (body, content type) for the best type Accept allows. No side effects."""
    essence = negotiate(accept, SUPPORTED)
    if essence is None:
        raise UnsupportedAccept(
            f"unsupported accept {accept!r} (supported: {', '.join(SUPPORTED)})"
        )
    return encode_as(prediction, essence), essence
