"""A user script that reports what the serving stack handed each handler: the body's type,
the content type, Accept and the context. The contract tests deploy it behind `smgitops
serve` and behind the emulator's InvokeEndpoint; docs/serving.md lists the rules."""

# Reports what the server handed each handler.
ARGUMENTS = """
    import json


    def model_fn(model_dir, context):
        return {"model_dir_seen_at_load": context.system_properties["model_dir"]}


    def input_fn(body, content_type):
        text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else body
        return {"body_type": type(body).__name__, "content_type": content_type, "text": text}


    def predict_fn(seen, model, context):
        seen["gpu_id"] = context.system_properties["gpu_id"]
        seen["trace"] = context.get_request_header(0, "X-Trace")
        seen["loaded"] = bool(model["model_dir_seen_at_load"])
        if seen["text"] == "accepted":
            context.set_response_status(202)
            context.set_response_header(0, "X-Model-Version", "7")
        return seen


    def output_fn(seen, accept):
        seen["accept"] = accept
        return json.dumps(seen)
"""
