"""Find, read and check manifests; turn a valid environment into `DesiredEnv`.

This module is the edge that touches the filesystem; parsing, schema and rule checks it calls
are pure. Layout: deployments/<env>/_env.yaml (settings) and one *.yaml / *.yml per endpoint.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smgitops.artifacts.package import MODELS_DIR
from smgitops.baseimages.catalog import load_catalog, manifest_problems
from smgitops.core.desired import DesiredEnv
from smgitops.errors import ConfigError
from smgitops.manifest import build
from smgitops.manifest.endpoint_rules import (
    NamedManifest,
    duplicate_name_problems,
    encrypted_volume_problems,
    endpoint_problems,
    foreign_env_problems,
    manifest_path_problem,
    shared_account_problems,
)
from smgitops.manifest.env_rules import (
    env_problems,
    promotion_problems,
    shared_namespace_problems,
)
from smgitops.manifest.files import display_path, read_text
from smgitops.manifest.model_folder import REQUIREMENTS, source_problem
from smgitops.manifest.model_imports import missing_imports
from smgitops.manifest.problems import ManifestInvalid, Problem, clip, format_field, sorted_problems
from smgitops.manifest.schema_check import ENDPOINT_SCHEMA, ENV_SCHEMA, schema_problems
from smgitops.manifest.yaml_reader import YamlDocument, YamlError, parse_yaml
from smgitops.paths import Refusal, read_bounded, resolve

DEPLOYMENTS_DIR = "deployments"
ENV_FILE = "_env.yaml"
MANIFEST_SUFFIXES = (".yaml", ".yml")
# SageMaker's InvokeEndpoint request limit.
MAX_SMOKE_BODY_BYTES = 6 * 1024 * 1024


@dataclass(frozen=True)
class CheckedFile:
    """One file after checking: its document when it passed the schema, and its problems."""

    path: Path
    file: str  # repository-relative posix
    env: str
    is_env_settings: bool
    document: YamlDocument | None
    problems: tuple[Problem, ...]
    smoke_body: bytes | None = None


@dataclass(frozen=True)
class ValidationReport:
    files: tuple[str, ...]
    problems: tuple[Problem, ...] = field(default=())
    # What is allowed but would likely fail on SageMaker (an import the image lacks).
    warnings: tuple[Problem, ...] = field(default=())


def find_repo_root(start: Path) -> Path:
    """Nearest folder from `start` upwards holding deployments/ or .git; `start` if none."""
    start = Path(os.path.abspath(start))
    for folder in (start, *start.parents):
        if (folder / DEPLOYMENTS_DIR).is_dir() or (folder / ".git").exists():
            return folder
    return start


def list_envs(repo_root: Path) -> list[str]:
    """Names of the environment folders under deployments/, sorted."""
    root = repo_root / DEPLOYMENTS_DIR
    if not root.is_dir():
        return []
    return sorted(
        entry.name
        for entry in root.iterdir()
        if entry.is_dir() and not entry.name.startswith((".", "_"))
    )


def _file_problem(file: str, message: str, line: int = 1, column: int = 1) -> Problem:
    return Problem(file, line, column, "", message)


def read_smoke_body(manifest: Path, body_file: str, repo_root: Path) -> bytes | str:
    """Bytes of smokeTest.bodyFile (relative to the manifest's folder), or why it is unusable."""
    shown = f"'{clip(body_file)}'"
    resolved = resolve(manifest.parent / body_file, repo_root, subject=shown)
    if isinstance(resolved, Refusal):
        if resolved.missing:
            return f"no such file {shown} (relative to {manifest.parent.name}/)"
        return resolved.message
    body = read_bounded(resolved, MAX_SMOKE_BODY_BYTES, subject=shown, why="InvokeEndpoint's limit")
    return body.message if isinstance(body, Refusal) else body


def _endpoint_semantics(
    path: Path, file: str, document: YamlDocument, env: str, repo_root: Path
) -> tuple[list[Problem], bytes | None]:
    problems = endpoint_problems(document, file, env)
    spec: dict[str, Any] = document.value["spec"]  # type: ignore[index]
    model_issue = source_problem(repo_root, spec["model"])
    if model_issue:
        field_path, message = model_issue
        line, column = document.position(field_path)
        problems.append(Problem(file, line, column, ".".join(field_path), message))
    for image_path, message in manifest_problems(spec, load_catalog()):
        line, column = document.position(image_path)
        problems.append(Problem(file, line, column, format_field(image_path), message))
    smoke_body = None
    body_file = spec.get("smokeTest", {}).get("bodyFile")
    if body_file is not None:
        body = read_smoke_body(path, body_file, repo_root)
        if isinstance(body, str):
            line, column = document.position(("spec", "smokeTest", "bodyFile"))
            problems.append(Problem(file, line, column, "spec.smokeTest.bodyFile", body))
        else:
            smoke_body = body
    return problems, smoke_body


def check_file(path: Path, repo_root: Path) -> CheckedFile:
    """Read, parse, schema-check and rule-check one manifest or `_env.yaml`."""
    path = Path(os.path.abspath(path))  # a bare file name still has an env folder
    file = display_path(path, repo_root)
    env = path.parent.name
    is_env_settings = path.name == ENV_FILE
    name_problem = None if is_env_settings else manifest_path_problem(file)
    named = (_file_problem(file, name_problem),) if name_problem else ()

    def failed(*problems: Problem) -> CheckedFile:
        return CheckedFile(path, file, env, is_env_settings, None, (*named, *problems))

    text = read_text(path, repo_root)
    if not isinstance(text, str):
        return failed(_file_problem(file, text.message, text.line, text.column))
    parsed = parse_yaml(text)
    if isinstance(parsed, YamlError):
        return failed(_file_problem(file, parsed.message, parsed.line, parsed.column))
    if isinstance(parsed, list):
        return failed(*(_file_problem(file, e.message, e.line, e.column) for e in parsed))
    schema = ENV_SCHEMA if is_env_settings else ENDPOINT_SCHEMA
    problems = schema_problems(parsed, schema, file)
    if problems:
        return failed(*problems)
    smoke_body = None
    if is_env_settings:
        problems = env_problems(parsed, file, env)
    else:
        problems, smoke_body = _endpoint_semantics(path, file, parsed, env, repo_root)
    return CheckedFile(path, file, env, is_env_settings, parsed, (*named, *problems), smoke_body)


def _env_folder_files(env_dir: Path, repo_root: Path) -> tuple[list[Path], list[Problem]]:
    """The files of one env folder to check, and problems with the folder's layout."""
    problems = []
    settings = env_dir / ENV_FILE
    files = [settings]
    if not os.path.lexists(settings):
        shown = display_path(settings, repo_root)
        problems.append(_file_problem(shown, "missing: every environment folder needs one"))
        files = []
    for entry in sorted(env_dir.iterdir()):
        if entry.name.startswith(".") or not entry.name.endswith(MANIFEST_SUFFIXES):
            continue
        if entry.name == ENV_FILE:
            continue
        if entry.name.startswith("_"):
            shown = display_path(entry, repo_root)
            problems.append(
                _file_problem(shown, f"unknown settings file; only {ENV_FILE} starts with '_'")
            )
            continue
        files.append(entry)
    return files, problems


def _expand(paths: list[Path], repo_root: Path) -> tuple[list[Path], list[Problem]]:
    deployments = os.path.realpath(repo_root / DEPLOYMENTS_DIR)
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir() and os.path.realpath(path) == deployments:
            for entry in sorted(path.iterdir()):
                if entry.is_file() and entry.name.endswith(MANIFEST_SUFFIXES):
                    shown = display_path(entry, repo_root)
                    problems.append(
                        _file_problem(shown, "not read: manifests go in deployments/<env>/")
                    )
            for env in list_envs(repo_root):
                found, layout = _env_folder_files(path / env, repo_root)
                files += found
                problems += layout
        elif path.is_dir():
            found, layout = _env_folder_files(path, repo_root)
            files += found
            problems += layout
        else:
            files.append(path)
    unique: dict[str, Path] = {}
    for path in files:
        unique.setdefault(os.path.abspath(path), path)
    return list(unique.values()), problems


def _check_all(files: list[Path], repo_root: Path) -> list[CheckedFile]:
    return [check_file(path, repo_root) for path in files]


def _named(checked: list[CheckedFile]) -> list[NamedManifest]:
    return [
        NamedManifest(item.file, item.document, item.env)
        for item in checked
        if item.document is not None and not item.is_env_settings
    ]


def _sibling_manifests(checked: list[CheckedFile], repo_root: Path) -> list[CheckedFile]:
    """Schema-valid manifests next to the checked ones that were not asked for."""
    asked = {item.path for item in checked}
    folders = {item.path.parent for item in checked if not item.is_env_settings}
    siblings = []
    for folder in sorted(folders):
        found, _ = _env_folder_files(folder, repo_root)
        for path in found:
            absolute = Path(os.path.abspath(path))
            if absolute not in asked and absolute.name != ENV_FILE:
                siblings.append(check_file(absolute, repo_root))
    return siblings


def _other_env_files(checked: list[CheckedFile], repo_root: Path) -> list[CheckedFile]:
    """The `_env.yaml` of every env of the repository that was not asked for, checked."""
    asked = {os.path.abspath(item.path) for item in checked}
    others = []
    for env in list_envs(repo_root):
        path = repo_root / DEPLOYMENTS_DIR / env / ENV_FILE
        if path.is_file() and os.path.abspath(path) not in asked:
            others.append(check_file(path, repo_root))
    return others


def _check(repo_root: Path, paths: list[Path]) -> tuple[list[CheckedFile], list[Problem]]:
    """Every file under `paths` checked, and every problem of those files: the one rule set
    that `validate` reports and that plan, apply and drift refuse (via `load_env`)."""
    files, problems = _expand(paths, repo_root)
    checked = _check_all(files, repo_root)
    for item in checked:
        problems += item.problems
    asked = {item.file for item in checked}
    everyone = _named(checked) + _named(_sibling_manifests(checked, repo_root))
    problems += [p for p in duplicate_name_problems(everyone) if p.file in asked]
    env_files = [item for item in checked if item.is_env_settings and item.document is not None]
    placement = {
        item.env: (item.document.value["accountId"], item.document.value["region"])  # type: ignore[union-attr,index]
        for item in env_files
    }
    problems += shared_account_problems(_named(checked), placement)
    problems += foreign_env_problems(_named(checked), list_envs(repo_root))
    # Env files are compared with every env of the repository, asked for or not.
    every_env = env_files + [
        item
        for item in _other_env_files(checked, repo_root)
        if item.document is not None and not item.problems
    ]
    placed_envs = [(item.file, item.env, item.document) for item in every_env]
    kms_keys = {item.env: item.document.value.get("kmsKeyId") for item in every_env}  # type: ignore[union-attr]
    problems += encrypted_volume_problems(_named(checked), kms_keys)
    problems += [
        p
        for p in shared_namespace_problems(placed_envs) + promotion_problems(placed_envs)  # type: ignore[arg-type]
        if p.file in asked
    ]
    return checked, problems


def check_paths(repo_root: Path, paths: list[Path]) -> ValidationReport:
    """Check files and folders (an env folder, or deployments/ for every env).

    Names are also compared with the other manifests of the same env folders, but only
    problems of the files asked for are reported.
    """
    checked, problems = _check(repo_root, paths)
    return ValidationReport(
        files=tuple(item.file for item in checked),
        problems=tuple(sorted_problems(problems)),
        warnings=tuple(_import_warnings(repo_root, checked, problems)),
    )


def _code_folder(document: YamlDocument | None) -> str | None:
    """The models/ folder whose inference.py a manifest's `spec.model` serves on the project's
    serving image, if any (not on a `spec.image` base: a DLC brings packages of its own)."""
    value = document.value if document is not None else None
    spec = value.get("spec") if isinstance(value, dict) else None
    if not isinstance(spec, dict) or spec.get("image") is not None:
        return None  # on an AWS container's image, its own packages serve the model
    model = spec.get("model")
    if isinstance(model, dict):
        model = model.get("code")
    return model if isinstance(model, str) else None


def _import_warnings(repo_root: Path, checked: list, problems: list[Problem]) -> list[Problem]:
    """One warning per import of a model's code its serving image lacks (model_imports), for
    the models of the checked manifests that have no problem (so the folder is a valid one)."""
    refused = {p.file for p in problems}
    folders = sorted(
        {
            folder
            for item in checked
            if not item.is_env_settings and item.file not in refused
            for folder in [_code_folder(item.document)]
            if folder
        }
    )
    warnings = []
    for folder in folders:
        requirements = f"{MODELS_DIR}/{folder}/{REQUIREMENTS}"
        for missing in missing_imports(repo_root, repo_root / MODELS_DIR / folder):
            warnings.append(
                Problem(
                    missing.file, missing.line, missing.column, "", missing.message(requirements)
                )
            )
    return warnings


def validate_paths(repo_root: Path, paths: list[Path]) -> list[Problem]:
    """Every problem of the given manifests, env settings files and folders, in file order."""
    return list(check_paths(repo_root, paths).problems)


def load_env(repo_root: Path, env: str) -> DesiredEnv:
    """The desired state of one environment; ConfigError listing every problem if invalid.

    Checks every env, as `validate` does (rules across envs: shared names and namespaces,
    another env's endpoint prefix), and refuses on the problems of this env's files.
    """
    known = list_envs(repo_root)
    if env not in known:
        names = ", ".join(known) or "none"
        raise ConfigError(f"no environment '{env}' under {DEPLOYMENTS_DIR}/ (known: {names})")
    everything, all_problems = _check(repo_root, [repo_root / DEPLOYMENTS_DIR])
    checked = [item for item in everything if item.env == env]
    folder = f"{DEPLOYMENTS_DIR}/{env}/"
    problems = [p for p in all_problems if p.file.startswith(folder)]
    if problems:
        raise ManifestInvalid(env, sorted_problems(problems))
    settings_file = next(item for item in checked if item.is_env_settings)
    settings = build.env_settings(settings_file.document.value, env)  # type: ignore[union-attr,arg-type]
    endpoints = tuple(
        build.endpoint_spec(
            item.document.value,  # type: ignore[union-attr,arg-type]
            env=env,
            manifest_path=item.file,
            settings=settings,
            smoke_body=item.smoke_body,
        )
        for item in sorted(checked, key=lambda item: item.file)
        if not item.is_env_settings
    )
    return DesiredEnv(settings=settings, endpoints=endpoints)
