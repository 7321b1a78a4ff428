"""Which files of a model's tarball an update changes, from git alone (no download).

The live config's tarball was built from the commit that deployed it (the endpoint's
`smgitops:commit` tag): its model folder at that commit, with the pin of that commit naming the
weights, gives the same entries the packaging wrote, which the tree digest in the live model
data URL confirms. Nothing is fetched: weights are known by their pin.
"""

from __future__ import annotations

import functools
import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

from smgitops.artifacts.package import MODELS_DIR, ModelTree, model_tree
from smgitops.core.plan import FileChange
from smgitops.errors import ConfigError


# A commit's content never changes: endpoints updated from the same commit share one read.
@functools.lru_cache(maxsize=64)
def tree_at_commit(repo_root: Path, commit: str, name: str) -> ModelTree | str:
    """The tarball's content of `models/<name>` as of `commit`, or why it is not known (one
    line: the commit is not in this checkout, the folder or its pin was not there, ...)."""
    try:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", commit, "--", f"{MODELS_DIR}/{name}"],
            cwd=repo_root,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return f"commit {commit} is not in this checkout (fetch its history to see file changes)"
    with tempfile.TemporaryDirectory(prefix="smgitops-tree-") as scratch:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(scratch, filter="data")
        try:
            return model_tree(Path(scratch), name)
        except ConfigError as error:
            return f"the model at commit {commit} cannot be read: {error}"


def file_changes(before: ModelTree, after: ModelTree) -> tuple[FileChange, ...]:
    """Entries added, removed or changed between two trees, by name. No side effects."""
    old = {e.name: (e.sha256, e.size) for e in before.entries}
    new = {e.name: (e.sha256, e.size) for e in after.entries}
    return tuple(
        FileChange(name, old.get(name), new.get(name))
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    )
