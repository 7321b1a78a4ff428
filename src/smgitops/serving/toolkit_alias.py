"""`import sagemaker_inference...` for user scripts when AWS's package is not installed.

`install()` adds an import finder that answers for `sagemaker_inference` and its
submodules with the modules of `smgitops.serving.toolkit` (the same module objects, so an
error class a script raises is the class the server knows). It answers only when no other
finder knows `sagemaker_inference`: when AWS's package is installed, scripts get that.
It comes first on `sys.meta_path` so that the stand-in's submodules are never loaded a
second time under the alias's name by Python's path finder.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
from types import ModuleType

ALIAS = "sagemaker_inference"
TARGET = "smgitops.serving.toolkit"


# Plain classes, not importlib.abc's: that module imports importlib.resources (~25 ms).
class _AliasLoader:
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the target module was executed when it was imported."""


class ToolkitAliasFinder:
    """Finds `sagemaker_inference[.x]` as `smgitops.serving.toolkit[.x]`."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == ALIAS:
            if self._installed_for_real(fullname, path, target):
                return None
        elif fullname.startswith(ALIAS + "."):
            parent = sys.modules.get(ALIAS)
            if getattr(parent, "__name__", None) != TARGET:
                return None  # the real package is loaded: its submodules are its own
        else:
            return None
        name = TARGET + fullname[len(ALIAS) :]
        if importlib.util.find_spec(name) is None:
            return None
        is_package = fullname == ALIAS
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(name), is_package=is_package)

    def _installed_for_real(self, fullname: str, path: object, target: object) -> bool:
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            if finder.find_spec(fullname, path, target) is not None:
                return True
        return False


def install() -> None:
    """Make the stand-in importable as `sagemaker_inference` (idempotent)."""
    if not any(isinstance(finder, ToolkitAliasFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, ToolkitAliasFinder())
