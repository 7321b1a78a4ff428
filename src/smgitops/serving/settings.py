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


@dataclass(frozen=True)
class ServingSettings:
    model_dir: Path
    port: int
    workers: int
    program: str
    default_accept: str
    max_payload_bytes: int
    timeout_seconds: float


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
    )


def usable_cpus() -> int:
    """CPUs this process may run on (a cpuset or `docker --cpuset-cpus` narrows it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def current_settings(**explicit: object) -> ServingSettings:
    """Settings for this process (reads os.environ and the usable CPU count)."""
    return settings_from_env(os.environ, cpu_count=usable_cpus(), **explicit)  # type: ignore[arg-type]
