"""SageMaker handlers for the demo regressor: six numeric features in, one number out.

Requests: CSV rows (`1.0,2.0,3.2,2.2,1.23,11.5`, one row per line) or JSON
(`[[...six numbers...], ...]`, a single row `[...]`, or `{"instances": [[...]]}`).
Responses: JSON `{"predictions": [...]}` or CSV, one prediction per line.
"""

import json
import os

import joblib
import numpy as np

FEATURES = 6


class PayloadError(ValueError):
    """A request the caller must fix; the serving stack answers with this status code."""

    status_code = 400


class UnsupportedMediaType(ValueError):
    status_code = 415


class NotAcceptable(ValueError):
    status_code = 406


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def _rows(values):
    array = np.asarray(values, dtype=float)
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2 or array.shape[1] != FEATURES:
        raise PayloadError(f"expected rows of {FEATURES} numbers, got shape {array.shape}")
    return array


def input_fn(request_body, content_type):
    # As AWS's toolkit hands it over: text for JSON and CSV, bytes (a bytearray) otherwise,
    # and no content type at all when the request has none (read as JSON here).
    if isinstance(request_body, (bytes, bytearray)):
        request_body = bytes(request_body).decode("utf-8")
    media_type = (content_type or "application/json").split(";")[0].strip().lower()
    try:
        if media_type == "text/csv":
            lines = [line for line in request_body.splitlines() if line.strip()]
            return _rows([[float(cell) for cell in line.split(",")] for line in lines])
        if media_type == "application/json":
            payload = json.loads(request_body)
            if isinstance(payload, dict):
                payload = payload.get("instances", [])
            return _rows(payload)
    except (TypeError, ValueError) as error:
        if isinstance(error, PayloadError):
            raise
        raise PayloadError(f"cannot read {media_type} payload: {error}") from None
    raise UnsupportedMediaType(f"content type {content_type!r} is not text/csv or application/json")


def predict_fn(data, model):
    return model.predict(data)


def output_fn(prediction, accept):
    for media_type in (part.split(";")[0].strip().lower() for part in accept.split(",")):
        if media_type in ("application/json", "*/*", "application/*"):
            return json.dumps({"predictions": prediction.tolist()}), "application/json"
        if media_type in ("text/csv", "text/*"):
            return "".join(f"{value}\n" for value in prediction.tolist()), "text/csv"
    raise NotAcceptable(f"accept {accept!r}: this model answers application/json or text/csv")
