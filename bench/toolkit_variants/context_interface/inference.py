"""Handlers that take the trailing context and use the toolkit's Context interface."""

import json
import os

import numpy as np


def model_fn(model_dir, context):
    return np.load(os.path.join(context.system_properties["model_dir"], "weights.npy"))


def input_fn(request_body, content_type, context):
    accept = context.get_request_header(0, "Accept")
    return np.array(json.loads(request_body), dtype=float), accept


def predict_fn(data, model, context):
    rows, accept = data
    gpu = context.system_properties.get("gpu_id")
    return {
        "scores": (np.atleast_2d(rows) @ model).tolist(),
        "device": "cpu" if gpu is None else "gpu",
        "accept_header": accept,
    }


def output_fn(prediction, accept, context):
    return json.dumps(prediction), "application/json"
