"""Tiny model directories written into tmp dirs, and HTTP helpers for the real server."""

from __future__ import annotations

import textwrap
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


def http(
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
    timeout: float = 30,
) -> Reply:
    """One HTTP request with urllib; 4xx/5xx come back as a Reply, not an exception."""
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def invoke(
    url: str,
    body: bytes | str,
    content_type: str | None = "application/json",
    accept: str | None = None,
    **extra_headers: str,
) -> Reply:
    headers = dict(extra_headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    if accept is not None:
        headers["Accept"] = accept
    data = body.encode() if isinstance(body, str) else body
    return http(url + "/invocations", body=data, headers=headers, method="POST")


def write_model(
    root: Path, source: str, *, in_code_dir: bool = True, files: dict[str, str] | None = None
) -> Path:
    """A model directory with the given inference.py (under code/ unless told otherwise)."""
    code_dir = root / "code" if in_code_dir else root
    code_dir.mkdir(parents=True, exist_ok=True)
    (code_dir / "inference.py").write_text(textwrap.dedent(source))
    for name, text in (files or {}).items():
        (root / name).write_text(text)
    return root


@pytest.fixture
def model_dir(tmp_path: Path) -> Callable[..., Path]:
    """Factory: model_dir(source, ...) -> a fresh model directory in tmp_path."""
    counter = iter(range(1000))

    def make(source: str, **kwargs: object) -> Path:
        return write_model(tmp_path / f"model{next(counter)}", source, **kwargs)  # type: ignore[arg-type]

    return make


DOUBLER = """
    import numpy as np

    def model_fn(model_dir):
        return 2.0

    def predict_fn(data, model):
        return np.asarray(data) * model
"""
