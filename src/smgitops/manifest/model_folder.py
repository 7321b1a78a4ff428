"""Does `models/<name>/` hold a model SageMaker can serve? Read with `ast`, never imported.

Importing user code during validation would run it (and need its dependencies) in CI.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from smgitops.artifacts.layout import code_files

# The serving image installs a model's requirements with MODELS_LOCK as constraints, so a pin
# it does not hold fails the build.
from smgitops.artifacts.locks import MODELS_LOCK
from smgitops.artifacts.package import MODELS_DIR
from smgitops.artifacts.pin import PIN_FILE
from smgitops.manifest.problems import clip
from smgitops.paths import Refusal, read_bounded, resolve
from smgitops.serving.handler_rules import SIGNATURES, arity_problem, set_problem
from smgitops.serving.import_names import package_of

ENTRY_POINT = "inference.py"
REQUIREMENTS = "requirements.txt"
MAX_SOURCE_BYTES = 1024 * 1024
# The lock of every model's pins: a few hundred kilobytes with hashes.
MAX_LOCK_BYTES = 16 * 1024 * 1024
_LOCK_PIN = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)")


def model_folder(repo_root: Path, name: str) -> Path:
    return repo_root / MODELS_DIR / name


def _top_level_handlers(tree: ast.Module) -> dict[str, tuple[int, int | None] | None]:
    """Handler names bound at module level -> (line, positional arity; None for *args) when a
    `def` binds it, None when an import or assignment does (its arity shows only at run time)."""
    found: dict[str, tuple[int, int | None] | None] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.decorator_list:
            arguments = node.args
            arity = None if arguments.vararg else len(arguments.posonlyargs) + len(arguments.args)
            found[node.name] = (node.lineno, arity)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found[node.name] = None  # a decorator or a class: its call shape shows at run time
        elif isinstance(node, ast.Assign):
            found.update((t.id, None) for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
            found[node.target.id] = None
        elif isinstance(node, ast.Import | ast.ImportFrom):
            found.update(((a.asname or a.name).split(".")[0], None) for a in node.names)
    return {name: where for name, where in found.items() if name in SIGNATURES}


def handler_problem(source: str) -> str | None:
    """Why this inference.py source cannot load a model, or None: the serving stack's own
    rules (handler_rules), read from the source without running it. No side effects."""
    if "\0" in source:  # refused by every Python before parsing, with varying errors
        return "has a syntax error: it contains a NUL byte"
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return f"has a syntax error at line {error.lineno}: {error.msg}"
    except (RecursionError, MemoryError):
        return "is nested too deeply to parse"
    handlers = _top_level_handlers(tree)
    problem = set_problem(handlers)
    if problem:
        return f"is refused by the serving stack: {problem}"
    for name, where in handlers.items():
        problem = arity_problem(name, where[1]) if where else None
        if problem and where:
            return f"is refused by the serving stack at line {where[0]}: {problem}"
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
    shown = f"'{clip(text)}'"
    if text.startswith("-"):
        return f"{shown} is a pip option (allowed: only name==version lines)"
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return f"{shown} is not a requirement (allowed: name==version)"
    if requirement.url:
        return f"{shown} installs from a direct URL (allowed: name==version from the index)"
    package = package_of(requirement.name)
    if canonicalize_name(package) != canonicalize_name(requirement.name):
        return (
            f"{shown} names the module {requirement.name}, not the package that provides it "
            f"(allowed: {package}{requirement.specifier})"
        )
    pins = list(requirement.specifier)
    if len(pins) != 1 or pins[0].operator != "==" or "*" in pins[0].version:
        return (
            f"{shown} is not an exact pin "
            f"(allowed: name==version, e.g. {clip(requirement.name)}==1.2.3)"
        )
    return None


def locked_versions(repo_root: Path) -> dict[str, str]:
    """{canonical name: version} of the `name==version` lines in MODELS_LOCK; {} if absent
    or unusable (then every pin reads as not locked)."""
    text = _read_text(repo_root / MODELS_LOCK, repo_root, MODELS_LOCK, MAX_LOCK_BYTES)
    if text is None or text.problem:
        return {}
    versions: dict[str, str] = {}
    for line in text.text.splitlines():
        pin = _LOCK_PIN.match(line)
        if pin:
            versions[canonicalize_name(pin["name"])] = pin["version"]
    return versions


@dataclass(frozen=True)
class _Text:
    text: str = ""
    problem: str = ""  # why the file cannot be used, when it cannot


def _read_text(
    path: Path, repo_root: Path, subject: str, limit: int = MAX_SOURCE_BYTES
) -> _Text | None:
    """A UTF-8 file of the repository (None when there is none), or why it cannot be used."""
    resolved = resolve(path, repo_root, subject=subject)
    if isinstance(resolved, Refusal):
        return None if resolved.missing else _Text(problem=resolved.message)
    data = read_bounded(resolved, limit, subject=subject)
    if isinstance(data, Refusal):
        return _Text(problem=data.message)
    try:
        return _Text(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        byte = data[error.start]
        return _Text(problem=f"{subject} is not UTF-8 (byte 0x{byte:02x}); save it as UTF-8")


def requirements_problem(repo_root: Path, folder: Path, shown: str) -> str | None:
    """The first refused line of `<folder>/requirements.txt` as `file:line: why`, or None:
    a line `requirement_problem` refuses, then a pin the models lock does not hold."""
    read = _read_text(folder / REQUIREMENTS, repo_root, f"{shown}/{REQUIREMENTS}")
    if read is None or read.problem:
        return read.problem if read else None
    lines = read.text.splitlines()
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
            where = f"holds {clip(requirement.name)}=={have}" if have else "does not hold it"
            return (
                f"{shown}/{REQUIREMENTS}:{number}: '{clip(text)}' is not in the lock: "
                f"{MODELS_LOCK} {where} (run `make lock` and commit {MODELS_LOCK})"
            )
    return None


def model_problem(repo_root: Path, name: str) -> str | None:
    """Why `models/<name>` is not a servable model folder, or None."""
    shown = f"{MODELS_DIR}/{name}"
    folder = resolve(
        model_folder(repo_root, name),
        repo_root / MODELS_DIR,
        kind="folder",
        subject=f"{shown}/",
        place=f"{MODELS_DIR}/",
        strictly=True,
    )
    if isinstance(folder, Refusal):
        if folder.missing:
            return f"no model folder {shown}/ (create it with an {ENTRY_POINT})"
        return folder.message
    source = _read_text(folder / ENTRY_POINT, repo_root, f"{shown}/{ENTRY_POINT}")
    if source is None:
        return f"{shown}/ has no {ENTRY_POINT}"
    if source.problem:
        return source.problem
    problem = handler_problem(source.text)
    if problem:
        return f"{shown}/{ENTRY_POINT} {problem}"
    return code_files_problem(repo_root, folder, shown) or requirements_problem(
        repo_root, folder, shown
    )


def code_files_problem(repo_root: Path, folder: Path, shown: str) -> str | None:
    """The first file packaged under code/ that a symlink leads out of the repository, or
    None: the tarball would carry bytes git does not hold (a key, a credentials file)."""
    for _, path in code_files(folder):
        relative = path.relative_to(folder).as_posix()
        resolved = resolve(path, repo_root, subject=f"{shown}/{relative}")
        if isinstance(resolved, Refusal):
            return f"{resolved.message}: it would be packaged into model.tar.gz"
    return None


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
        shown = f"{MODELS_DIR}/{folder}/{PIN_FILE}"
        pin = resolve(
            model_folder(repo_root, folder) / PIN_FILE,
            repo_root / MODELS_DIR,
            subject=shown,
            place=f"{MODELS_DIR}/",
        )
        if isinstance(pin, Refusal):
            why = (
                f"{shown} does not exist: it names the content store that keeps the pinned "
                "tarball (allowed: a folder with a pinned artifact)"
            )
            return ("spec", "model", "folder"), why if pin.missing else pin.message
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
