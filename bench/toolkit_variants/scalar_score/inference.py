"""predict_fn returns one numpy scalar for the whole batch."""

import os

import numpy as np


def model_fn(model_dir):
    return np.load(os.path.join(model_dir, "weights.npy"))


def predict_fn(data, model):
    return np.sum(np.asarray(data, dtype=float) @ model)
