"""Refuses bad input: a plain exception, and one with a status_code attribute."""

import json
import os

import numpy as np


class WrongShape(Exception):
    status_code = 422


def model_fn(model_dir):
    return np.load(os.path.join(model_dir, "weights.npy"))


def input_fn(request_body, request_content_type):
    if request_content_type != "application/json":
        raise TypeError(f"JSON only, not {request_content_type}")
    return np.array(json.loads(request_body), dtype=float)


def predict_fn(data, model):
    if data.ndim != 2 or data.shape[1] != len(model):
        raise WrongShape(f"rows of {len(model)} numbers expected")
    return data @ model


def output_fn(prediction, accept):
    return json.dumps(prediction.tolist()), "application/json"
