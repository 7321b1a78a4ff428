"""Tiny model directories written into tmp dirs, and HTTP helpers for the real server."""

from __future__ import annotations

import json
import textwrap
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPConnection
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
    """One HTTP request on a new connection, sending exactly the given headers."""
    parts = urllib.parse.urlsplit(url)
    connection = HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(
            method or ("POST" if body is not None else "GET"),
            parts.path,
            body=body,
            headers=headers or {},
        )
        response = connection.getresponse()
        return Reply(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    finally:
        connection.close()


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


@pytest.fixture(scope="module")
def module_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Like model_dir, for servers shared by a whole test module."""

    def make(source: str, **kwargs: object) -> Path:
        return write_model(tmp_path_factory.mktemp("model"), source, **kwargs)  # type: ignore[arg-type]

    return make


def worker_pids(supervisor: int) -> set[int]:
    """The worker processes of a running `smgitops serve` (its supervisor's children)."""
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    return {int(pid) for pid in children}


def assert_one_line_json_error(reply: Reply, status: int) -> str:
    """The error contract: the status, a one-line JSON body, never a traceback."""
    assert reply.status == status, reply
    assert reply.headers["content-type"] == "application/json"
    assert "Traceback" not in reply.text
    assert "\n" not in reply.text.strip()
    return json.loads(reply.body)["error"]


DOUBLER = """
    import numpy as np

    def model_fn(model_dir):
        return 2.0

    def predict_fn(data, model):
        return np.asarray(data) * model
"""
