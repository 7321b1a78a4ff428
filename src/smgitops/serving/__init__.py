"""The serving stack `smgitops serve` runs: SageMaker's custom-container contract.

`settings` reads the SAGEMAKER_* environment, `handlers` loads the user's inference.py,
`mediatypes` and `codecs` hold the default encodings, `chain` runs one request through the
handlers with the `context` they may take, `toolkit` (offered by `toolkit_alias`) stands in
for AWS's `sagemaker_inference` modules, `gpus` gives each worker its GPU, `host` keeps one
worker's model on its inference thread, `app` is the HTTP face,
`worker` and `server` are the process model, `process` runs the whole stack as a local
process and `localcheck` backs `smgitops model test`.
"""
