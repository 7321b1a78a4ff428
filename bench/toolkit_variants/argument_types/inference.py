"""Echoes what the server handed input_fn and output_fn: body type, content type, Accept."""

import json


def model_fn(model_dir):
    return None


def input_fn(request_body, request_content_type):
    return {"body": type(request_body).__name__, "content_type": request_content_type}


def predict_fn(seen, model):
    return seen


def output_fn(seen, accept):
    seen["accept"] = accept
    return json.dumps(seen), "application/json"
