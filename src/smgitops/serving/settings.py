"""Serving settings read from the environment variables SageMaker and the toolkits define."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL_DIR = "/opt/ml/model"
DEFAULT_PORT = 8080
DEFAULT_ACCEPT = "application/json"
DEFAULT_MAX_PAYLOAD_MB = 6.0
DEFAULT_TIMEOUT_SECONDS = 60.0
DEFAULT_PROGRAM = "inference.py"
# Bounds on a request's head (request line and header fields), enforced by the HTTP protocol
# (see protocol.py). A SageMaker front end sends a few hundred bytes of headers at once.
DEFAULT_MAX_REQUEST_LINE_BYTES = 8 * 1024
DEFAULT_MAX_HEADERS = 100
DEFAULT_MAX_HEADER_BYTES = 64 * 1024
DEFAULT_HEADER_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class ServingSettings:
    model_dir: Path
    port: int
    workers: int
    program: str
    default_accept: str
    max_payload_bytes: int
    timeout_seconds: float
    # Each worker on a CPU of its own (see worker_cpus); False leaves placement to the kernel.
    pin_workers: bool = False
    # The request head: bytes of the request line, count and bytes of the header fields (name,
    # value and 4 bytes of ": " and CRLF each), and seconds from its first byte (or from the
    # connection's opening) to its end.
    max_request_line_bytes: int = DEFAULT_MAX_REQUEST_LINE_BYTES
    max_headers: int = DEFAULT_MAX_HEADERS
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    header_timeout_seconds: float = DEFAULT_HEADER_TIMEOUT_SECONDS


AFFINITY_VARIABLE = "SMGITOPS_WORKER_AFFINITY"
MAX_REQUEST_LINE_VARIABLE = "SMGITOPS_MAX_REQUEST_LINE_BYTES"
MAX_HEADERS_VARIABLE = "SMGITOPS_MAX_REQUEST_HEADERS"
MAX_HEADER_BYTES_VARIABLE = "SMGITOPS_MAX_REQUEST_HEADER_BYTES"
HEADER_TIMEOUT_VARIABLE = "SMGITOPS_REQUEST_HEADER_TIMEOUT"


class SettingsError(ValueError):
    """An environment variable holds a value the server cannot use."""


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise SettingsError(f"{name}={raw!r} must be at least {minimum:g}")
    return value


def _model_dir(env: Mapping[str, str]) -> Path:
    if env.get("SM_MODEL_DIR"):
        return Path(env["SM_MODEL_DIR"])
    if env.get("SAGEMAKER_BASE_DIR"):  # the toolkits' override of /opt/ml
        return Path(env["SAGEMAKER_BASE_DIR"]) / "model"
    return Path(DEFAULT_MODEL_DIR)


def settings_from_env(
    env: Mapping[str, str],
    *,
    cpu_count: int,
    model_dir: Path | None = None,
    port: int | None = None,
    workers: int | None = None,
) -> ServingSettings:
    """Settings from env vars, with explicit values (CLI flags) winning. No side effects."""
    resolved_port = (
        port
        if port is not None
        else int(_number(env, "SAGEMAKER_BIND_TO_PORT", DEFAULT_PORT, minimum=0))
    )
    resolved_workers = (
        workers
        if workers is not None
        else int(_number(env, "SAGEMAKER_MODEL_SERVER_WORKERS", max(cpu_count, 1), minimum=1))
    )
    if resolved_workers < 1:
        raise SettingsError(f"workers must be at least 1, got {resolved_workers}")
    affinity = env.get(AFFINITY_VARIABLE, "").strip().lower() or "auto"
    if affinity not in ("auto", "off"):
        raise SettingsError(f"{AFFINITY_VARIABLE}={affinity!r} must be auto or off")
    max_mb = _number(env, "SAGEMAKER_MAX_PAYLOAD_IN_MB", DEFAULT_MAX_PAYLOAD_MB, minimum=0)
    accept = env.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "").strip() or DEFAULT_ACCEPT
    return ServingSettings(
        model_dir=model_dir or _model_dir(env),
        port=resolved_port,
        workers=resolved_workers,
        program=env.get("SAGEMAKER_PROGRAM", "").strip() or DEFAULT_PROGRAM,
        default_accept=accept,
        max_payload_bytes=int(max_mb * 1024 * 1024),
        timeout_seconds=_number(
            env, "SAGEMAKER_MODEL_SERVER_TIMEOUT", DEFAULT_TIMEOUT_SECONDS, minimum=0.001
        ),
        pin_workers=affinity == "auto" and resolved_workers == cpu_count > 1,
        max_request_line_bytes=int(
            _number(env, MAX_REQUEST_LINE_VARIABLE, DEFAULT_MAX_REQUEST_LINE_BYTES, minimum=64)
        ),
        max_headers=int(_number(env, MAX_HEADERS_VARIABLE, DEFAULT_MAX_HEADERS, minimum=1)),
        max_header_bytes=int(
            _number(env, MAX_HEADER_BYTES_VARIABLE, DEFAULT_MAX_HEADER_BYTES, minimum=64)
        ),
        header_timeout_seconds=_number(
            env, HEADER_TIMEOUT_VARIABLE, DEFAULT_HEADER_TIMEOUT_SECONDS, minimum=0.001
        ),
    )


def usable_cpus() -> int:
    """CPUs this process may run on (a cpuset or `docker --cpuset-cpus` narrows it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def worker_cpus(settings: ServingSettings, cpus: list[int]) -> list[int | None]:
    """The CPU each worker is pinned to (None: not pinned). No side effects.

    With one worker per usable CPU (SageMaker's default count) each worker gets a CPU of its
    own: its event-loop thread and its inference thread then hand requests to each other on
    one CPU instead of waking a thread on another, which on the development VM cost 15-20%
    more CPU per request for a 2.5 ms model.
    """
    if not settings.pin_workers or len(cpus) != settings.workers:
        return [None] * settings.workers
    return [*sorted(cpus)]


def usable_cpu_ids() -> list[int]:
    """The ids of the CPUs this process may run on (empty where the OS cannot tell)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return []


def current_settings(**explicit: object) -> ServingSettings:
    """Settings for this process (reads os.environ and the usable CPU count)."""
    return settings_from_env(os.environ, cpu_count=usable_cpus(), **explicit)  # type: ignore[arg-type]
