"""The per-request context a handler receives when it declares a trailing `context` argument."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

CUSTOM_ATTRIBUTES_HEADER = "x-amzn-sagemaker-custom-attributes"
INFERENCE_ID_HEADER = "x-amzn-sagemaker-inference-id"
TARGET_MODEL_HEADER = "x-amzn-sagemaker-target-model"


@dataclass
class InferenceContext:
    """Request headers SageMaker forwards, and response custom attributes a handler may set.

    Mutable on purpose: a handler sets `response_custom_attributes` to return them to the
    caller (SageMaker passes the header back as `CustomAttributes`).
    """

    headers: Mapping[str, str] = field(default_factory=dict)
    model_dir: str = ""
    response_custom_attributes: str | None = None

    @property
    def custom_attributes(self) -> str | None:
        return self.headers.get(CUSTOM_ATTRIBUTES_HEADER)

    @property
    def inference_id(self) -> str | None:
        return self.headers.get(INFERENCE_ID_HEADER)

    @property
    def target_model(self) -> str | None:
        return self.headers.get(TARGET_MODEL_HEADER)
