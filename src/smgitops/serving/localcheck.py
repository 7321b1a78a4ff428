"""`smgitops model test`: one payload through the in-process handler chain and the HTTP stack.

Both paths start from the same model directory (laid out as SageMaker extracts it), so a
difference means the serving stack, not the model, changed the answer.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from smgitops.artifacts.layout import ARTIFACT_DIR, model_files
from smgitops.errors import ConfigError, UserError
from smgitops.serving.chain import InvocationFailed, run_chain
from smgitops.serving.context import InferenceContext
from smgitops.serving.errors import ModelLoadError
from smgitops.serving.gpus import gpu_for_worker, visible_gpu_count
from smgitops.serving.handlers import load_handlers, load_model
from smgitops.serving.mediatypes import CSV, JSON, NPY, parse_media_type
from smgitops.serving.process import ServerStartFailed, ServingProcess

PAYLOADS_DIR = "payloads"
PROGRAM = "inference.py"  # a model folder's handlers (models/NAME/inference.py)
CONTENT_TYPES_BY_SUFFIX = {".csv": CSV, ".json": JSON, ".npy": NPY}


@dataclass(frozen=True)
class Answer:
    """One response: where it came from, HTTP status, content type and body."""

    path: str  # "in-process" or "http"
    status: int
    content_type: str
    body: bytes


def check_model_folder(model_folder: Path) -> None:
    """Clear errors for the usual mistakes before anything runs."""
    name = model_folder.name
    if not model_folder.is_dir():
        raise ConfigError(f"no model folder {model_folder} (expected models/{name}/)")
    if not (model_folder / PROGRAM).is_file():
        raise ConfigError(f"{model_folder}/{PROGRAM} is missing (it defines the handlers)")
    artifact = model_folder / ARTIFACT_DIR
    if not artifact.is_dir() or not any(artifact.iterdir()):
        raise ConfigError(f"{artifact}/ is missing or empty: run models/{name}/train.py first")


def serving_environment(
    repo_root: Path, model_folder: Path, progress: Callable[[str], None]
) -> str:
    """The interpreter of the model's serving environment (model_env), built if needed;
    UserError (one line) when it cannot be."""
    from smgitops.artifacts import model_env

    requirements = model_folder / "requirements.txt"
    try:
        spec = model_env.spec_for(repo_root, requirements, requirements.as_posix())
        return str(model_env.ensure(spec, progress=progress))
    except model_env.EnvironmentFailed as failure:
        raise UserError(str(failure)) from None


def run_inside(python: str, arguments: list[str]) -> int:
    """`smgitops ARGUMENTS` run by `python` (a serving environment's), marked as inside it;
    its exit status. Output goes straight to this terminal."""
    from smgitops.artifacts import model_env

    environ = {**os.environ, model_env.INSIDE_VARIABLE: "1"}
    environ.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [python, "-m", "smgitops", *arguments], env=environ, check=False
    ).returncode


@contextlib.contextmanager
def shown_as(model_dir: Path, model_folder: Path) -> Iterator[None]:
    """UserErrors raised inside name the model folder's files (models/NAME/inference.py), not
    the scratch model directory's (…/model/code/inference.py)."""
    try:
        yield
    except UserError as error:
        text = str(error).replace(f"{model_dir}/code/", f"{model_folder.as_posix()}/")
        raise type(error)(
            text.replace(f"{model_dir}/", f"{model_folder.as_posix()}/artifact/")
        ) from None


def default_payload(model_folder: Path) -> Path:
    """The first file (by name) in models/NAME/payloads/."""
    folder = model_folder / PAYLOADS_DIR
    files = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    if not files:
        raise ConfigError(f"no sample payload in {folder}/; pass --payload FILE")
    return files[0]


def content_type_for(payload: Path) -> str:
    """Content type from the payload's suffix (.csv, .json, .npy). No side effects."""
    content_type = CONTENT_TYPES_BY_SUFFIX.get(payload.suffix.lower())
    if content_type is None:
        raise UserError(f"cannot tell the content type of {payload.name}; pass --content-type")
    return content_type


def build_model_dir(model_folder: Path, target: Path) -> Path:
    """Lay out models/NAME/ the way SageMaker extracts model.tar.gz: artifact at the root,
    code under code/."""
    for name, source in model_files(model_folder):
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
    return target


def answer_in_process(model_dir: Path, body: bytes, content_type: str, accept: str) -> Answer:
    """The handler chain called directly, as the endpoint's worker calls it."""
    try:
        handlers = load_handlers(model_dir, PROGRAM)
        # The GPU the endpoint's first worker would get, so `gpu_id` reads the same.
        gpu_id = gpu_for_worker(0, visible_gpu_count(os.environ))
        model = load_model(handlers, model_dir, gpu_id=gpu_id)
    except ModelLoadError as error:
        raise UserError(str(error)) from None
    try:
        response = run_chain(
            handlers,
            model,
            body,
            content_type,
            accept,
            InferenceContext(model_dir=str(model_dir), gpu_id=gpu_id),
        )
    except InvocationFailed as failure:
        raise UserError(f"handler error (HTTP {failure.status}): {failure.message}") from None
    return Answer("in-process", 200, response.content_type, response.body)


def answer_over_http(model_dir: Path, body: bytes, content_type: str, accept: str) -> Answer:
    """The same request through the real serving stack (`smgitops serve`) on a local port."""
    headers = {"Content-Type": content_type, "Accept": accept}
    # The same module as the in-process chain, whatever this shell's SAGEMAKER_PROGRAM says.
    server = ServingProcess(model_dir, workers=1, env={"SAGEMAKER_PROGRAM": PROGRAM})
    try:
        server.start()
    except ServerStartFailed as error:
        raise UserError(str(error)) from None
    try:
        request = urllib.request.Request(
            server.url + "/invocations", data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return Answer(
                    "http", response.status, response.headers["Content-Type"], response.read()
                )
        except urllib.error.HTTPError as error:
            return Answer("http", error.code, error.headers["Content-Type"] or "", error.read())
    finally:
        server.stop()


def difference(first: Answer, second: Answer) -> str | None:
    """What differs between two answers, or None (content types compared without
    parameters such as charset). No side effects."""
    if first.status != second.status:
        return f"status {first.status} vs {second.status}"
    first_type = parse_media_type(first.content_type).essence
    second_type = parse_media_type(second.content_type).essence
    if first_type != second_type:
        return f"content type {first_type} vs {second_type}"
    if first.body != second.body:
        return f"body {show(first.body)} vs {show(second.body)}"
    return None


def show(body: bytes, limit: int = 200) -> str:
    """A body as readable text for a terminal (binary summarised). No side effects."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return f"<{len(body)} bytes>"
    text = text.rstrip("\n")
    return text if len(text) <= limit else text[:limit] + "..."
