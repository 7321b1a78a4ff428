"""The toolkit's request decoders (`sagemaker_inference.decoder`).

`decode(obj, content_type)` looks the content type up as an exact string, as the toolkit
does: JSON, CSV and NPY give numpy arrays (the serving defaults, codecs.decode), NPZ a
scipy sparse matrix when scipy is installed; anything else raises UnsupportedFormatError.
"""

from __future__ import annotations

import io
from typing import Any

from smgitops.serving import codecs
from smgitops.serving.toolkit import content_types
from smgitops.serving.toolkit.errors import UnsupportedFormatError


def _npz_to_sparse(npz_bytes: bytes | bytearray) -> Any:
    import scipy.sparse  # only this codec needs scipy, and only the toolkit offers it

    # load_npz reads with allow_pickle=False.
    return scipy.sparse.load_npz(io.BytesIO(bytes(npz_bytes)))


def decode(obj: str | bytes | bytearray, content_type: str) -> Any:
    """A numpy array (NPZ: a sparse matrix) from a body of one of the default types."""
    if content_type in (content_types.JSON, content_types.CSV, content_types.NPY):
        return codecs.decode(obj, content_type)
    if content_type == content_types.NPZ:
        return _npz_to_sparse(obj if not isinstance(obj, str) else obj.encode())
    raise UnsupportedFormatError(content_type)
