"""Which files of `models/<name>/` land where in the model directory SageMaker extracts.

`models/<name>/artifact/` (what train.py writes) goes to the root of the model directory;
every other file of the folder (inference.py, requirements.txt, helpers, payloads) goes under
`code/`, the way SageMaker's framework containers and the Python SDK's repack lay it out.
"""

from __future__ import annotations

from pathlib import Path

ARTIFACT_DIR = "artifact"
CODE_DIR = "code"
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


def model_files(model_folder: Path) -> list[tuple[str, Path]]:
    """(name inside the model directory, source file) pairs, sorted by name. No side effects."""
    entries: list[tuple[str, Path]] = []
    for path in visible_files(model_folder):
        relative = path.relative_to(model_folder)
        if relative.parts[0] == ARTIFACT_DIR:
            entries.append((relative.relative_to(ARTIFACT_DIR).as_posix(), path))
        else:
            entries.append((f"{CODE_DIR}/{relative.as_posix()}", path))
    return sorted(entries)
