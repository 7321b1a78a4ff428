"""A model's serving environment: exactly the Python packages its serving image installs, as a
local virtualenv, so `smgitops model test` and the emulator run a model the way SageMaker will.

The image (container/Dockerfile) installs the model's requirements.txt with the hashes of
requirements/models.txt as constraints, then requirements/serve.txt, then smgitops, on the base
image's Python. An environment repeats that with uv on the same Python minor version found on
this machine (never downloaded), and finds smgitops through a `.pth` line to this installation's
source instead of a copy. It is built once per hash of those inputs (`EnvSpec.key`) under the
cache folder and reused; a build interrupted halfway is started again, never used.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import smgitops
from smgitops.artifacts.locks import MODELS_LOCK, SERVE_LOCK, model_slice, requirement_names

DOCKERFILE = "container/Dockerfile"
# Set (to 1) in the processes `model test` runs inside an environment: they do the work.
INSIDE_VARIABLE = "SMGITOPS_MODEL_ENV"
CACHE_VARIABLE = "SMGITOPS_CACHE_DIR"
# Bumped when the way an environment is built changes, so older ones are not reused.
_LAYOUT = "2"
_COMPLETE = ".complete"
UNUSED_DAYS = 30  # an environment unused this long is removed when another is built
_IMAGE_PYTHON = re.compile(r"^ARG\s+BASE_IMAGE=python:(\d+\.\d+)\b", re.MULTILINE)
# uv's words for a requirement whose pin the constraints (the lock) do not hold.
_NO_HASH = re.compile(r"none were provided for: (\S+)")
# The directory that holds the `smgitops` package this process runs.
SOURCE_ROOT = Path(smgitops.__file__).resolve().parent.parent


class EnvironmentFailed(Exception):
    """The serving environment cannot be built; the message is one line saying why and what
    to do."""


@dataclass(frozen=True)
class EnvSpec:
    """What a serving environment is built from.

    `python`: the image's Python minor version ("3.11"); `requirements`: the text of the
    model's requirements.txt ("" when it has none); `shown`: how messages name that file;
    `constraints`, `serve`: the lock files; `source`: the folder holding the smgitops package.
    """

    python: str
    requirements: str
    shown: str
    constraints: Path
    serve: Path
    source: Path = SOURCE_ROOT

    @property
    def key(self) -> str:
        """sha256 hex of everything the environment's packages depend on."""
        digest = hashlib.sha256()
        for part in (
            _LAYOUT,
            self.python,
            self.requirements,
            # Only the pins this model installs: adding another model keeps this environment.
            model_slice(
                self.constraints.read_text(), self.shown, requirement_names(self.requirements)
            ),
            self.serve.read_text(),
            str(self.source),
        ):
            digest.update(part.encode() + b"\0")
        return digest.hexdigest()


def image_python(dockerfile: Path) -> str:
    """The Python minor version of the image's default base (`ARG BASE_IMAGE=python:3.11-...`).

    EnvironmentFailed when the Dockerfile is missing or names no `python:X.Y` base.
    """
    try:
        match = _IMAGE_PYTHON.search(dockerfile.read_text())
    except OSError as error:
        raise EnvironmentFailed(f"cannot read {DOCKERFILE}: {error.strerror}") from None
    if match is None:
        raise EnvironmentFailed(
            f"{DOCKERFILE} has no `ARG BASE_IMAGE=python:X.Y-...` line: cannot tell the "
            "serving image's Python version"
        )
    return match.group(1)


def spec_for(project: Path, requirements: Path | None, shown: str) -> EnvSpec:
    """The environment for a model's requirements.txt (None: it has none) under the locks and
    Dockerfile of `project` (a checkout: container/, requirements/). EnvironmentFailed when a
    lock is missing."""
    for lock in (MODELS_LOCK, SERVE_LOCK):
        if not (project / lock).is_file():
            raise EnvironmentFailed(f"{lock} is missing: run `make lock` to write the locks")
    text = requirements.read_text() if requirements is not None and requirements.is_file() else ""
    return EnvSpec(
        python=image_python(project / DOCKERFILE),
        requirements=text,
        shown=shown,
        constraints=project / MODELS_LOCK,
        serve=project / SERVE_LOCK,
    )


def cache_root(environ: dict[str, str] | os._Environ[str] = os.environ) -> Path:
    """Where environments live: $SMGITOPS_CACHE_DIR, else $XDG_CACHE_HOME/smgitops, else
    ~/.cache/smgitops."""
    if environ.get(CACHE_VARIABLE):
        return Path(environ[CACHE_VARIABLE])
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "smgitops"


def python_of(folder: Path) -> Path:
    return folder / "bin" / "python"


def ensure(
    spec: EnvSpec, cache: Path | None = None, progress: Callable[[str], None] = lambda _: None
) -> Path:
    """The interpreter of the environment for `spec`, built first if needed (minutes when
    uv's cache is cold, about a second when warm; instant once built). Safe to call from
    several processes at once: one builds, the others wait for it. EnvironmentFailed (one
    line) when the Python version is not installed here or a requirement cannot be installed.
    """
    key = spec.key
    folder = (cache or cache_root()) / "envs" / key[:20]
    if _usable(folder):
        (folder / _COMPLETE).touch()  # in use: kept by `_prune`
        return python_of(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with _locked(folder.with_suffix(".lock")):
        if _usable(folder):
            return python_of(folder)
        shutil.rmtree(folder, ignore_errors=True)  # an interrupted build, never used
        progress(
            f"building the serving environment of {spec.shown} (Python {spec.python}, "
            f"as the image installs it; once per change of it or of the locks)"
        )
        started = time.monotonic()
        try:
            _build(spec, folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        (folder / _COMPLETE).write_text(key + "\n")
        progress(f"built it in {time.monotonic() - started:.1f} s")
    _prune(folder.parent, keep=folder)
    return python_of(folder)


def _prune(envs: Path, keep: Path) -> None:
    """Remove environments not used for UNUSED_DAYS (each is a few hundred MB; one is made
    per change of a model's requirements or the locks). One another process is building or
    using now is left alone: its lock is taken first, without waiting."""
    cutoff = time.time() - UNUSED_DAYS * 86400
    for marker in envs.glob(f"*/{_COMPLETE}"):
        folder = marker.parent
        if folder == keep or marker.stat().st_mtime > cutoff:
            continue
        with folder.with_suffix(".lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            shutil.rmtree(folder, ignore_errors=True)


def _usable(folder: Path) -> bool:
    # Built to the end, and its base interpreter not removed since (a Python upgrade).
    return (folder / _COMPLETE).exists() and python_of(folder).resolve().is_file()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _uv() -> str:
    try:
        from uv import find_uv_bin  # the uv wheel, installed with smgitops's dev extra

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise EnvironmentFailed(
                "building a model's serving environment needs uv: `pip install uv`"
            ) from None
        return found


def _run_uv(arguments: list[str], what: str) -> None:
    # UV_SYSTEM_CERTS: the platform's CA store, as pip and the image build use it (uv's own
    # roots would refuse a proxy that re-signs TLS).
    environ = {
        **os.environ,
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
        "UV_SYSTEM_CERTS": "1",
    }
    environ.pop("VIRTUAL_ENV", None)
    result = subprocess.run(
        [_uv(), *arguments], capture_output=True, text=True, env=environ, check=False
    )
    if result.returncode != 0:
        raise EnvironmentFailed(f"{what}: {_uv_reason(result.stderr)}")


def _uv_reason(stderr: str) -> str:
    """uv's own reason: its `error:` line and the cause lines after it, on one line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if line.startswith("error:")), 0)
    picked = [line.removeprefix("error:").strip() for line in lines[start:]]
    return " ".join(line.removeprefix("Caused by:").strip() for line in picked)[:600] or "failed"


def _install(python: str) -> list[str]:
    # Bytecode compiled once here, not on every start: each `model test` and model server
    # imports the model's stack anew (and PYTHONDONTWRITEBYTECODE would never cache it).
    return [
        "pip",
        "install",
        "--quiet",
        "--compile-bytecode",
        "--require-hashes",
        "--python",
        python,
    ]


def _build(spec: EnvSpec, folder: Path) -> None:
    arguments = ["venv", "--quiet", "--python", spec.python, "--no-managed-python", str(folder)]
    try:
        _run_uv(arguments, "creating the environment")
    except EnvironmentFailed as failure:
        if "no interpreter found" not in str(failure).lower():
            raise
        raise EnvironmentFailed(
            f"Python {spec.python} (the serving image's, from {DOCKERFILE}) is not installed "
            f"here: install it (e.g. `uv python install {spec.python}`) and run again"
        ) from None
    python = str(python_of(folder))
    if spec.requirements.strip():
        requirements = folder / "model-requirements.txt"
        requirements.write_text(spec.requirements)
        try:
            _run_uv(
                [*_install(python), "-r", str(requirements), "-c", str(spec.constraints)],
                f"installing {spec.shown}",
            )
        except EnvironmentFailed as failure:
            unlocked = _NO_HASH.search(str(failure))
            if unlocked is None:
                raise
            raise EnvironmentFailed(
                f"{spec.shown}: {unlocked.group(1)} is not in {MODELS_LOCK}, so the serving "
                f"image cannot install it: run `make lock` and commit {MODELS_LOCK}"
            ) from None
    _run_uv([*_install(python), "-r", str(spec.serve)], f"installing {SERVE_LOCK}")
    # smgitops itself, as an editable install would find it: a folder holding only a link to
    # this installation's package (its parent may be a site-packages full of other packages).
    source = folder / "smgitops-source"
    source.mkdir()
    (source / "smgitops").symlink_to(spec.source / "smgitops", target_is_directory=True)
    probe = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0 or not probe.stdout.strip():
        raise EnvironmentFailed(f"the new environment's Python does not run: {probe.stderr[-300:]}")
    (Path(probe.stdout.strip()) / "smgitops-source.pth").write_text(f"{source}\n")


def inside() -> bool:
    """Whether this process runs inside a model's serving environment."""
    return bool(os.environ.get(INSIDE_VARIABLE))
