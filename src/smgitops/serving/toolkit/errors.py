"""The toolkit's exceptions (`sagemaker_inference.errors`).

An exception with an integer `status_code` chooses the HTTP status (chain.status_of), so
raising `BaseInferenceToolkitError(415, "Unsupported Media Type", "...")` answers 415 here as
on AWS's containers; `message` is what the caller reads.
"""

from __future__ import annotations


class UnsupportedFormatError(Exception):
    """The default decoder or encoder has no codec for `content_type` (a 500, as in the
    toolkit: it carries no status)."""

    def __init__(self, content_type: object, **kwargs: object) -> None:
        self._message = (
            f"Content type {content_type} is not supported by this framework. "
            "Implement input_fn to deserialize the request data or output_fn to "
            "serialize the response."
        )
        super().__init__(self._message, **kwargs)


class BaseInferenceToolkitError(Exception):
    """Raise (or subclass) to answer with `status_code`; `message` is the error text and
    `phrase` the HTTP reason phrase."""

    def __init__(self, status_code: int, message: str, phrase: str) -> None:
        self.status_code = status_code
        self.message = message
        self.phrase = phrase
        super().__init__(status_code, message, phrase)


class GenericInferenceToolkitError(BaseInferenceToolkitError):
    """`BaseInferenceToolkitError` whose message defaults to "Invalid Request" and whose
    phrase defaults to the message."""

    def __init__(
        self, status_code: int, message: str | None = None, phrase: str | None = None
    ) -> None:
        message = message or "Invalid Request"
        super().__init__(status_code, message, phrase or message)
