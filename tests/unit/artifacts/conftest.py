from __future__ import annotations

from pathlib import Path

import pytest


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def make_model(repo: Path, name: str = "demo", *, reverse: bool = False) -> Path:
    """A trained model folder; `reverse` creates the files in the opposite order."""
    files = {
        "inference.py": "def model_fn(model_dir):\n    return 1\n",
        "requirements.txt": "scikit-learn==1.9.1\n",
        "train.py": "print('train')\n",
        "payloads/sample.csv": "1.0,2.0\n",
        "artifact/model.bin": b"\x00\x01weights" * 100,
        "artifact/meta/labels.json": '{"labels": ["a", "b"]}\n',
    }
    items = list(files.items())
    for relative, content in reversed(items) if reverse else items:
        write(repo / "models" / name / relative, content)
    return repo / "models" / name


def make_image_sources(repo: Path) -> None:
    write(repo / "container" / "Dockerfile", "FROM python:3.11-slim\nARG MODEL\n")
    write(repo / "container" / "serve", "#!/bin/sh\nexec smgitops serve\n")
    write(repo / "src" / "smgitops" / "__init__.py", "__version__ = '0.1.0'\n")
    write(repo / "src" / "smgitops" / "serving" / "app.py", "APP = 1\n")
    write(repo / "pyproject.toml", "[project]\nname = 'smgitops'\n")
    for lock in ("serve", "models", "uv"):
        write(repo / "requirements" / f"{lock}.txt", "boto3==1.44.8\n")


@pytest.fixture(name="write")
def write_fixture():
    return write


@pytest.fixture(name="make_model")
def make_model_fixture():
    return make_model


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    make_model(root, "demo")
    make_model(root, "other")
    make_image_sources(root)
    return root
