"""Which top-level imports of a model's code its serving image would not have. Read with `ast`.

The image installs the model's requirements.txt (with what those packages depend on) and
requirements/serve.txt (smgitops' serving stack): anything else a model imports at the top of
inference.py, or of a module of its folder that inference.py imports, fails `model_fn` on
SageMaker while the developer's virtualenv (which has more) imports it fine. Import names map
to packages through the metadata of the packages installed here; `sagemaker_inference` is
provided by the serving stack (toolkit_alias). Imports inside functions, `try:` blocks and `if`
blocks are optional by design and not checked.
"""

from __future__ import annotations

import ast
import importlib.metadata
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from smgitops.artifacts.locks import MODELS_LOCK, SERVE_LOCK, model_packages, requirement_names
from smgitops.manifest.model_folder import ENTRY_POINT, REQUIREMENTS, locked_versions
from smgitops.paths import Refusal, read_bounded, resolve
from smgitops.serving.import_names import package_of

# Provided by the serving stack itself, whatever the locks say.
_SERVING_MODULES = {"smgitops", "sagemaker_inference"}
_MAX_MODULES = 200  # a folder's own modules followed, at most
_MAX_BYTES = 16 * 1024 * 1024  # a source file or lock read, at most


@dataclass(frozen=True)
class MissingImport:
    """An import the image lacks: where (repository-relative file, 1-based line and column),
    the module name, and the package that provides it here with its version, when known."""

    file: str
    line: int
    column: int
    module: str
    package: str | None
    version: str | None

    def message(self, requirements: str) -> str:
        fix = (
            f"add {self.package}=={self.version} to {requirements}"
            if self.package and self.version
            else f"add the package that provides it to {requirements}"
        )
        return (
            f"imports {self.module}, which neither {requirements} nor the serving image "
            f"installs: model_fn would fail on SageMaker ({fix})"
        )


@cache
def _packages_of_module() -> dict[str, tuple[str, ...]]:
    return {
        module: tuple(canonicalize_name(name) for name in names)
        for module, names in importlib.metadata.packages_distributions().items()
    }


def _dependencies(name: str) -> set[str]:
    try:
        requires = importlib.metadata.requires(name) or []
    except importlib.metadata.PackageNotFoundError:
        return set()
    found = set()
    for text in requires:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            found.add(canonicalize_name(requirement.name))
    return found


def _serving_stack() -> set[str]:
    """smgitops and what its serve extra installs, from this installation's metadata."""
    try:
        requires = importlib.metadata.requires("smgitops") or []
    except importlib.metadata.PackageNotFoundError:
        return set()
    names = set()
    for text in requires:
        requirement = Requirement(text)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": e}) for e in ("", "serve")):
            names.add(canonicalize_name(requirement.name))
    return _with_dependencies(names)


def _with_dependencies(names: set[str]) -> set[str]:
    closure, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name not in closure:
            closure.add(name)
            todo.extend(_dependencies(name) - closure)
    return closure


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _read(path: Path, repo_root: Path) -> str:
    """A repository file's text; "" when it is missing or unusable (a FIFO, a folder, a link
    out of the repository, not UTF-8: model_folder and validate report those)."""
    resolved = resolve(path, repo_root)
    data = read_bounded(resolved, _MAX_BYTES) if not isinstance(resolved, Refusal) else resolved
    if isinstance(data, Refusal):
        return ""
    return data.decode("utf-8", errors="replace")


def _top_level_imports(source: str) -> list[tuple[str, int, int]]:
    """(top-level module name, line, column) of each absolute import at module level."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []  # model_folder reports a source that does not parse
    found = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            found += [
                (alias.name.split(".")[0], node.lineno, node.col_offset + 1) for alias in node.names
            ]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.split(".")[0], node.lineno, node.col_offset + 1))
    return found


def _own_module(folder: Path, name: str) -> Path | None:
    """The folder's own module or package of that name, if any."""
    for candidate in (folder / f"{name}.py", folder / name / "__init__.py"):
        if candidate.is_file():
            return candidate
    return folder / name if (folder / name).is_dir() else None


def missing_imports(repo_root: Path, folder: Path) -> list[MissingImport]:
    """The top-level imports of `folder`/inference.py (and of the folder's modules it imports)
    that neither its requirements.txt (with dependencies) nor requirements/serve.txt provides,
    in file and line order. No side effects; [] when the entry point is missing."""
    names = requirement_names(_read(folder / REQUIREMENTS, repo_root))
    lock = _read(repo_root / MODELS_LOCK, repo_root)
    # What the image installs for the model: the lock's closure of its requirements (the
    # lock is the truth for the image); without a lock, this installation's metadata's.
    shown = f"{folder.relative_to(repo_root).as_posix()}/{REQUIREMENTS}"
    provided = names | model_packages(lock, shown, names) if lock else _with_dependencies(names)
    provided |= requirement_names(_read(repo_root / SERVE_LOCK, repo_root)) | _serving_stack()
    pins = locked_versions(repo_root)  # the version to suggest: the lock's, else this venv's
    locked = set(pins) | provided
    packages = _packages_of_module()
    missing: list[MissingImport] = []
    seen: set[Path] = set()
    todo = [folder / ENTRY_POINT]
    while todo and len(seen) < _MAX_MODULES:
        path = todo.pop(0)
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        shown = path.relative_to(repo_root).as_posix()
        for module, line, column in _top_level_imports(_read(path, repo_root)):
            if module in sys.stdlib_module_names or module in _SERVING_MODULES:
                continue
            own = _own_module(folder, module)
            if own is not None:
                if own.is_file():
                    todo.append(own)
                continue
            candidates = packages.get(module, (canonicalize_name(package_of(module)),))
            if any(package in provided for package in candidates):
                continue
            package = next((p for p in candidates if p in locked), candidates[0])
            known = module in packages
            missing.append(
                MissingImport(
                    shown,
                    line,
                    column,
                    module,
                    package if known else None,
                    (pins.get(package) or _version(package)) if known else None,
                )
            )
    return sorted(missing, key=lambda m: (m.file, m.line, m.column))
