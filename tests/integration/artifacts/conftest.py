from __future__ import annotations

from pathlib import Path

import pytest

from smgitops.core.desired import EnvSettings
from testkit.values import env_settings


def _settings(region: str = "eu-west-1", **overrides: object) -> EnvSettings:
    return env_settings(region=region, artifact_bucket="acme-ml-artifacts", **overrides)


@pytest.fixture(name="env_settings")
def env_settings_fixture():
    return _settings


def _write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for name in ("demo", "other"):
        folder = root / "models" / name
        _write(folder / "inference.py", "def model_fn(model_dir):\n    return 1\n")
        _write(folder / "requirements.txt", "numpy==2.4.6\n")
        _write(folder / "artifact" / "model.bin", f"weights of {name}".encode())
    _write(root / "container" / "Dockerfile", "FROM python:3.11-slim\nARG MODEL\n")
    _write(root / "src" / "smgitops" / "__init__.py", "")
    _write(root / "pyproject.toml", "[project]\nname = 'smgitops'\n")
    for lock, pin in (("serve", "boto3==1.44.8"), ("models", "numpy==2.4.6"), ("uv", "uv==1")):
        _write(root / "requirements" / f"{lock}.txt", pin + "\n")
    return root
