"""transform_fn only; returns bare bytes, so the answer is labelled by the server."""

import io
import json
import os

import numpy as np


def model_fn(model_dir):
    return np.load(os.path.join(model_dir, "weights.npy"))


def transform_fn(model, request_body, content_type, accept):
    if content_type == "text/csv":
        rows = np.loadtxt(io.StringIO(request_body), delimiter=",", ndmin=2)
    elif content_type == "application/json":
        rows = np.array(json.loads(request_body), dtype=float)
    else:
        raise ValueError(f"cannot read {content_type}")
    scores = np.atleast_2d(rows) @ model
    if accept == "text/csv":
        return "\n".join(str(s) for s in scores.tolist()).encode()
    return json.dumps(scores.tolist()).encode()
