"""Only model_fn, returning an object with predict() (as a scikit-learn estimator has)."""

import os

import numpy as np


class Linear:
    def __init__(self, weights):
        self.weights = weights

    def predict(self, rows):
        return np.asarray(rows, dtype=float) @ self.weights


def model_fn(model_dir):
    return Linear(np.load(os.path.join(model_dir, "weights.npy")))
