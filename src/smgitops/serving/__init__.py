"""The serving stack `smgitops serve` runs: SageMaker's custom-container contract.

`handlers` loads the user's inference.py, `codecs` and `mediatypes` hold the default
encodings, `chain` runs one request through the handlers, `app` is the HTTP face,
`server` the process model and `process` runs the whole stack as a local process.
"""
