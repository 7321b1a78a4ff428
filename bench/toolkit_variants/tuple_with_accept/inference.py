"""output_fn returns (body, accept): the Accept a client sent becomes the Content-Type."""

import json
import os

import numpy as np


def model_fn(model_dir):
    return np.load(os.path.join(model_dir, "weights.npy"))


def predict_fn(data, model):
    return np.atleast_2d(data) @ model


def output_fn(prediction, accept):
    if accept == "text/csv":
        return "".join(f"{v}\n" for v in prediction.tolist()), accept
    return json.dumps({"scores": prediction.tolist()}), accept
