from __future__ import annotations

from pathlib import Path

import pytest

from smgitops.spec import EnvSettings


def env_settings(region: str = "eu-west-1", **overrides: object) -> EnvSettings:
    values: dict[str, object] = {
        "name": "staging",
        "account_id": "123456789012",
        "region": region,
        "execution_role_arn": "arn:aws:iam::123456789012:role/smgitops-execution",
        "artifact_bucket": "acme-ml-artifacts",
        "ecr_repository": "smgitops-serving",
    }
    values.update(overrides)
    return EnvSettings(**values)  # type: ignore[arg-type]


@pytest.fixture(name="env_settings")
def env_settings_fixture():
    return env_settings


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
        _write(folder / "requirements.txt", "numpy\n")
        _write(folder / "artifact" / "model.bin", f"weights of {name}".encode())
    _write(root / "container" / "Dockerfile", "FROM python:3.11-slim\nARG MODEL\n")
    _write(root / "src" / "smgitops" / "__init__.py", "")
    _write(root / "pyproject.toml", "[project]\nname = 'smgitops'\n")
    _write(root / "constraints.txt", "boto3==1.44.8\n")
    return root
