"""Reads text/plain itself with .decode(), which only bytes have."""

import json


def model_fn(model_dir):
    return "scored: "


def input_fn(request_body, request_content_type):
    if request_content_type == "text/plain":
        return request_body.decode("utf-8").strip()
    if request_content_type == "application/json":
        return json.dumps(json.loads(request_body))
    raise ValueError(f"unsupported: {request_content_type}")


def predict_fn(text, model):
    return model + text


def output_fn(prediction, accept):
    return json.dumps({"result": prediction}), "application/json"
