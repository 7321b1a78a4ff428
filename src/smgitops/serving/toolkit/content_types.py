"""The toolkit's media-type constants (`sagemaker_inference.content_types`)."""

from __future__ import annotations

JSON = "application/json"
CSV = "text/csv"
OCTET_STREAM = "application/octet-stream"
ANY = "*/*"
NPY = "application/x-npy"
NPZ = "application/x-npz"
# The Content-Type strings (exact) whose body handlers receive as text.
UTF8_TYPES = [JSON, CSV]
