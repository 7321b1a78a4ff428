"""Does `models/<name>/` hold a model SageMaker can serve? Read with `ast`, never imported.

Importing user code during validation would run it (and need its dependencies) in CI.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from smgitops.artifacts.package import MODELS_DIR
from smgitops.artifacts.pin import PIN_FILE
from smgitops.manifest.files import is_inside

ENTRY_POINT = "inference.py"
REQUIREMENTS = "requirements.txt"
# The hash-pinned lock of every model's requirements (`make lock`): the serving image installs
# a model's requirements with it as constraints, so a pin it does not hold fails the build.
MODELS_LOCK = "requirements/models.txt"
LOADER_HANDLERS = ("model_fn", "transform_fn")
MAX_SOURCE_BYTES = 1024 * 1024
_LOCK_PIN = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)")


def model_folder(repo_root: Path, name: str) -> Path:
    return repo_root / MODELS_DIR / name


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def handler_problem(source: str) -> str | None:
    """Why this inference.py source cannot load a model, or None. No side effects."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return f"has a syntax error at line {error.lineno}: {error.msg}"
    if not set(LOADER_HANDLERS) & _top_level_names(tree):
        return "defines neither model_fn nor transform_fn"
    return None


def requirement_problem(line: str) -> str | None:
    """Why one line of a model's requirements.txt is refused, or None: the image installs
    exactly what git pins, from the index the build trusts. No side effects.

    Allowed: blank lines, comments, and `name[extras]==version[; marker]`. Refused: pip
    options (`-i`, `--extra-index-url`, `-f`, `-e`, `-r`, ...), direct references
    (`name @ url`, bare URLs or paths) and anything but `==` (ranges, `===`, wildcards).
    """
    text = line.split(" #", 1)[0].strip()
    if not text or text.startswith("#"):
        return None
    if text.startswith("-"):
        return f"'{text}' is a pip option (allowed: only name==version lines)"
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return f"'{text}' is not a requirement (allowed: name==version)"
    if requirement.url:
        return f"'{text}' installs from a direct URL (allowed: name==version from the index)"
    pins = list(requirement.specifier)
    if len(pins) != 1 or pins[0].operator != "==" or "*" in pins[0].version:
        return (
            f"'{text}' is not an exact pin (allowed: name==version, e.g. {requirement.name}==1.2.3)"
        )
    return None


def locked_versions(repo_root: Path) -> dict[str, str]:
    """{canonical name: version} of the `name==version` lines in MODELS_LOCK; {} if absent."""
    try:
        lines = (repo_root / MODELS_LOCK).read_text(encoding="utf-8").splitlines()
    except (UnicodeDecodeError, OSError):
        return {}
    versions: dict[str, str] = {}
    for line in lines:
        pin = _LOCK_PIN.match(line)
        if pin:
            versions[canonicalize_name(pin["name"])] = pin["version"]
    return versions


def requirements_problem(repo_root: Path, folder: Path, shown: str) -> str | None:
    """The first refused line of `<folder>/requirements.txt` as `file:line: why`, or None:
    a line `requirement_problem` refuses, then a pin the models lock does not hold."""
    path = folder / REQUIREMENTS
    if not path.is_file():
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (UnicodeDecodeError, OSError) as error:
        return f"{shown}/{REQUIREMENTS} cannot be read: {error.__class__.__name__}"
    for number, line in enumerate(lines, start=1):
        problem = requirement_problem(line)
        if problem:
            return f"{shown}/{REQUIREMENTS}:{number}: {problem}"
    locked = locked_versions(repo_root)
    for number, line in enumerate(lines, start=1):
        text = line.split(" #", 1)[0].strip()
        if not text or text.startswith("#"):
            continue
        requirement = Requirement(text)
        (pin,) = requirement.specifier
        have = locked.get(canonicalize_name(requirement.name))
        if have != pin.version:
            where = f"holds {requirement.name}=={have}" if have else "does not hold it"
            return (
                f"{shown}/{REQUIREMENTS}:{number}: '{text}' is not in the lock: {MODELS_LOCK} "
                f"{where} (run `make lock` and commit {MODELS_LOCK})"
            )
    return None


def model_problem(repo_root: Path, name: str) -> str | None:
    """Why `models/<name>` is not a servable model folder, or None."""
    folder = model_folder(repo_root, name)
    shown = f"{MODELS_DIR}/{name}"
    if (
        not is_inside(folder, repo_root / MODELS_DIR)
        or folder.resolve() == (repo_root / MODELS_DIR).resolve()
    ):
        return f"'{name}' leaves the {MODELS_DIR}/ folder"
    if not folder.is_dir():
        return f"no model folder {shown}/ (create it with an {ENTRY_POINT})"
    entry = folder / ENTRY_POINT
    if not entry.is_file():
        return f"{shown}/ has no {ENTRY_POINT}"
    if entry.stat().st_size > MAX_SOURCE_BYTES:
        return f"{shown}/{ENTRY_POINT} is larger than 1 MB"
    try:
        source = entry.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as error:
        return f"{shown}/{ENTRY_POINT} cannot be read: {error.__class__.__name__}"
    problem = handler_problem(source)
    if problem:
        return f"{shown}/{ENTRY_POINT} {problem}"
    return requirements_problem(repo_root, folder, shown)


def source_problem(repo_root: Path, value: str | dict) -> tuple[tuple[str, ...], str] | None:
    """(field path, why) when a schema-valid `spec.model` cannot be deployed, or None.

    A folder model and an S3 artifact's `code:` folder must hold a servable inference.py; an
    S3 artifact without `code:` needs an explicit `image:` (nothing in the repo builds one).
    """
    if isinstance(value, str):
        problem = model_problem(repo_root, value)
        return (("spec", "model"), problem) if problem else None
    if "tarball" in value:
        folder = value["folder"]
        pin = model_folder(repo_root, folder) / PIN_FILE
        if not is_inside(pin, repo_root / MODELS_DIR) or not pin.is_file():
            return (
                ("spec", "model", "folder"),
                f"{MODELS_DIR}/{folder}/{PIN_FILE} does not exist: it names the content "
                "store that keeps the pinned tarball (allowed: a folder with a pinned artifact)",
            )
        return None
    if "s3" in value and "code" in value:
        problem = model_problem(repo_root, value["code"])
        return (("spec", "model", "code"), problem) if problem else None
    if "s3" in value and "image" not in value:
        return (
            ("spec", "model", "s3"),
            "needs code: <model folder> (its inference code and image) or image: <uri>",
        )
    return None
