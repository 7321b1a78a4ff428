"""Uses the toolkit's own modules, as AWS's example notebooks do."""

import os

import numpy as np
from sagemaker_inference import content_types, decoder, encoder, errors


def model_fn(model_dir):
    return np.load(os.path.join(model_dir, "weights.npy"))


def input_fn(input_data, content_type):
    if content_type not in (content_types.JSON, content_types.CSV, content_types.NPY):
        raise errors.GenericInferenceToolkitError(415, "cannot read " + str(content_type))
    return decoder.decode(input_data, content_type)


def predict_fn(data, model):
    return np.atleast_2d(data) @ model


def output_fn(prediction, accept):
    if accept in encoder.SUPPORTED_CONTENT_TYPES:
        return encoder.encode(prediction, accept), accept
    return encoder.encode(prediction, content_types.JSON), content_types.JSON
