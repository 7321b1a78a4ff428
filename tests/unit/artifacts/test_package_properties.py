"""Determinism over arbitrary model folders: file names, contents and creation order."""

from __future__ import annotations

import tarfile
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from smgitops.artifacts.package import package_model

_segment = st.text(
    alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd"), whitelist_characters="_-é"),
    min_size=1,
    max_size=12,
).filter(lambda name: name not in {"__pycache__", "code"})
_relative_path = st.lists(_segment, min_size=1, max_size=3).map("/".join)
_files = st.dictionaries(_relative_path, st.binary(max_size=2048), min_size=1, max_size=8)


def _make_folder(root: Path, artifact: dict[str, bytes], order: list[str]) -> Path:
    folder = root / "models" / "prop"
    folder.mkdir(parents=True)
    (folder / "inference.py").write_text("def model_fn(model_dir):\n    return 1\n")
    for relative in order:
        target = folder / "artifact" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(artifact[relative])
    return folder


def _without_file_dir_clashes(files: dict[str, bytes]) -> dict[str, bytes]:
    """Drop paths that would need a name to be both a file and a folder."""
    folders = {"/".join(p.split("/")[:i]) for p in files for i in range(1, p.count("/") + 1)}
    return {p: data for p, data in files.items() if p not in folders}


@given(files=_files, data=st.data())
def test_any_folder_packages_to_the_same_bytes_whatever_the_creation_order(files, data):
    files = _without_file_dir_clashes(files)
    shuffled = data.draw(st.permutations(sorted(files)))
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        _make_folder(base / "a", files, sorted(files))
        _make_folder(base / "b", files, list(shuffled))

        first = package_model(base / "a", "prop", base / "out-a")
        second = package_model(base / "b", "prop", base / "out-b")

        assert first.path.read_bytes() == second.path.read_bytes()
        with tarfile.open(first.path) as archive:
            names = archive.getnames()
            stored = {m.name: archive.extractfile(m).read() for m in archive if m.isfile()}
        assert names == sorted(names)
        assert stored == {**files, "code/inference.py": stored["code/inference.py"]}
