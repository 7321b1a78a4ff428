"""The context a handler receives when it declares a trailing `context` argument.

It offers the interface handlers written for AWS's sagemaker-inference toolkit use (the
Multi Model Server `Context`: `system_properties`, `get_request_header(0, name)`,
`set_response_header`, `set_response_status`, ...) as well as this project's properties
(`headers`, `custom_attributes`, `inference_id`, `response_custom_attributes`). One request
is served at a time, so every `idx` argument is 0 (others raise IndexError).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

CUSTOM_ATTRIBUTES_HEADER = "x-amzn-sagemaker-custom-attributes"
INFERENCE_ID_HEADER = "x-amzn-sagemaker-inference-id"
TARGET_MODEL_HEADER = "x-amzn-sagemaker-target-model"
# The name Multi Model Server registers the toolkit's single model under.
MODEL_NAME = "model"


def _server_version() -> str:
    try:
        return version("smgitops")
    except PackageNotFoundError:
        return "unknown"


SERVER_VERSION = _server_version()


def _only_request(idx: int) -> None:
    if idx != 0:
        raise IndexError(f"request index {idx}: requests are served one at a time (index 0)")


@dataclass
class InferenceContext:
    """Request headers SageMaker forwards, and what a handler may set on the response.

    `headers`: lower-cased names. Mutable on purpose: a handler sets
    `response_custom_attributes` (or `set_response_header`) to return headers, or
    `set_response_status` to choose the status of a successful answer.
    """

    headers: Mapping[str, str] = field(default_factory=dict)
    model_dir: str = ""
    response_custom_attributes: str | None = None
    gpu_id: int | None = None
    _request_id: str | None = field(default=None, repr=False)
    response_headers: dict[str, str] = field(default_factory=dict)
    response_status: int | None = None
    response_phrase: str = ""

    # -- this project's interface

    @property
    def custom_attributes(self) -> str | None:
        return self.headers.get(CUSTOM_ATTRIBUTES_HEADER)

    @property
    def inference_id(self) -> str | None:
        return self.headers.get(INFERENCE_ID_HEADER)

    @property
    def target_model(self) -> str | None:
        return self.headers.get(TARGET_MODEL_HEADER)

    # -- the toolkit's (Multi Model Server's Context)

    @property
    def system_properties(self) -> dict[str, Any]:
        """model_dir, gpu_id (the worker's GPU, None without; gpus.py), batch_size (1),
        server_name, server_version."""
        return {
            "model_dir": self.model_dir,
            "gpu_id": self.gpu_id,
            "batch_size": 1,
            "server_name": "smgitops",
            "server_version": SERVER_VERSION,
        }

    @property
    def model_name(self) -> str:
        return MODEL_NAME

    @property
    def request_ids(self) -> dict[int, str]:
        return {0: self.get_request_id()}

    def get_request_id(self, idx: int = 0) -> str:
        """A unique id for this request (made on first use: most handlers never ask)."""
        _only_request(idx)
        if self._request_id is None:
            self._request_id = str(uuid.uuid4())
        return self._request_id

    def get_request_header(self, idx: int, key: str) -> str | None:
        """The header's value (any spelling of its name), or None."""
        _only_request(idx)
        return self.headers.get(key.lower())

    def get_all_request_header(self, idx: int) -> dict[str, str]:
        _only_request(idx)
        return dict(self.headers)

    def set_response_header(self, idx: int, key: str, value: str) -> None:
        _only_request(idx)
        self.response_headers[key.lower()] = value

    def get_response_headers(self, idx: int) -> dict[str, str]:
        _only_request(idx)
        return self.response_headers

    def set_response_content_type(self, idx: int, value: str) -> None:
        # As in the toolkit, the type output_fn returns (or Accept) replaces it.
        self.set_response_header(idx, "content-type", value)

    def get_response_content_type(self, idx: int) -> str | None:
        return self.get_response_headers(idx).get("content-type")

    def set_response_status(self, code: int = 200, phrase: str = "", idx: int = 0) -> None:
        _only_request(idx)
        self.response_status = code
        self.response_phrase = phrase

    def get_response_status(self, idx: int) -> tuple[int, str]:
        _only_request(idx)
        return self.response_status or 200, self.response_phrase
