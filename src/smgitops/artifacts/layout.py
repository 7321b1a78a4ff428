"""Which files of `models/<name>/` land where in the model directory SageMaker extracts.

`models/<name>/artifact/` (the weights: train.py's output, pinned by artifact.pin.json) goes to
the root of the model directory; the files serving needs (inference.py, requirements.txt, the
modules and data files it uses) go under `code/`, the way SageMaker's framework containers and
the Python SDK's repack lay it out. Training scripts, READMEs, notebooks, sample payloads and
tests stay out, so editing them never changes the tarball: DEFAULT_IGNORED, extended (or
overridden with `!pattern`) by the folder's own `.smgitopsignore` in .gitignore syntax.
"""

from __future__ import annotations

from pathlib import Path

import pathspec

ARTIFACT_DIR = "artifact"
CODE_DIR = "code"
IGNORE_FILE = ".smgitopsignore"
# Patterns relative to models/<name>/ (gitignore syntax: a leading / anchors at the folder).
DEFAULT_IGNORED = (
    "/train.py",
    "/artifact.pin.json",
    "/payloads/",
    "/tests/",
    "/notebooks/",
    "README*",
    "*.md",
    "*.ipynb",
)
_SKIPPED_NAMES = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"}


def visible_files(folder: Path) -> list[Path]:
    """Files under `folder`, recursively and sorted, minus hidden and cache entries.

    No side effects.
    """
    files = []
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if any(part.startswith(".") or part in _SKIPPED_NAMES for part in parts):
            continue
        if path.is_file():
            files.append(path)
    return files


def ignore_spec(model_folder: Path) -> pathspec.PathSpec:
    """DEFAULT_IGNORED followed by the folder's `.smgitopsignore` lines. No side effects."""
    lines = list(DEFAULT_IGNORED)
    own = model_folder / IGNORE_FILE
    if own.is_file():
        lines += own.read_text(encoding="utf-8").splitlines()
    return pathspec.GitIgnoreSpec.from_lines(lines)


def code_files(model_folder: Path) -> list[tuple[str, Path]]:
    """(`code/<path>`, source file) of every file serving needs, sorted. No side effects."""
    ignored = ignore_spec(model_folder)
    entries = []
    for path in visible_files(model_folder):
        relative = path.relative_to(model_folder)
        if relative.parts[0] == ARTIFACT_DIR or ignored.match_file(relative.as_posix()):
            continue
        entries.append((f"{CODE_DIR}/{relative.as_posix()}", path))
    return entries


def artifact_files(model_folder: Path) -> list[tuple[str, Path]]:
    """(path inside artifact/, file) of the local weights, sorted. No side effects."""
    folder = model_folder / ARTIFACT_DIR
    if not folder.is_dir():
        return []
    return [(path.relative_to(folder).as_posix(), path) for path in visible_files(folder)]


def model_files(model_folder: Path) -> list[tuple[str, Path]]:
    """(name inside the model directory, source file) of the local weights and the code,
    sorted by name. No side effects."""
    return sorted(artifact_files(model_folder) + code_files(model_folder))
