"""model_fn and predict_fn only: the toolkit's default input_fn and output_fn do the rest."""

import os

import numpy as np


def model_fn(model_dir):
    return np.load(os.path.join(model_dir, "weights.npy"))


def predict_fn(data, model):
    return np.asarray(data, dtype=float) @ model
