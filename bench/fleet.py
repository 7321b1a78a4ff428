"""A scratch repository with N endpoints of one tiny model, on an in-process emulator.

Shared by the reconcile benchmarks. Everything stays on loopback and in a temp folder.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from smgitops.emulator.control import EmulatorControl

ENV_YAML = """\
accountId: "123456789012"
region: us-east-1
executionRoleArn: arn:aws:iam::123456789012:role/smgitops-execution
artifactBucket: smgitops-bench-artifacts
ecrRepository: smgitops-serving
prune: true
maxParallel: {parallel}
"""
INFERENCE_PY = """\
from pathlib import Path


def model_fn(model_dir):
    return float(Path(model_dir, "weight.txt").read_text())


def input_fn(body, content_type):
    text = body.decode() if isinstance(body, bytes) else body
    return [float(x) for x in text.split(",")]


def predict_fn(row, weight):
    return sum(row) * weight


def output_fn(prediction, accept):
    return str(prediction), "text/csv"
"""


def manifest(index: int, count: int = 1, smoke: bool = False) -> str:
    text = (
        "apiVersion: smgitops/v1\nkind: Endpoint\n"
        f"metadata:\n  name: bench-{index:03d}\n"
        "spec:\n  model: scorer\n  variants:\n"
        f"    - name: primary\n      instanceType: ml.m5.large\n      instanceCount: {count}\n"
    )
    if smoke:
        text += '  smokeTest:\n    contentType: text/csv\n    body: "1,2,3"\n'
    return text


def write_repo(root: Path, endpoints: int, parallel: int = 16, smoke: bool = False) -> None:
    files = {
        "deployments/bench/_env.yaml": ENV_YAML.format(parallel=parallel),
        "models/scorer/inference.py": INFERENCE_PY,
        "models/scorer/artifact/weight.txt": "1.0\n",
        "container/Dockerfile": "FROM scratch\n",
    }
    files.update(
        {
            f"deployments/bench/bench-{i:03d}.yaml": manifest(i, smoke=smoke)
            for i in range(endpoints)
        }
    )
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


STORE = "s3://smgitops-bench-store/store"


def pin_model(root: Path, weight: str | None = None) -> None:
    """(Re)train the scorer to `weight` and pin it to the store, as `smgitops model pin` does."""
    from smgitops.cli import main

    if weight is not None:
        (root / "models" / "scorer" / "artifact" / "weight.txt").write_text(weight)
    main(["model", "pin", "scorer", "--store", STORE], standalone_mode=False)


@contextlib.contextmanager
def emulator_process() -> Iterator[EmulatorControl]:
    """`smgitops emulator` in its own process (as AWS would be: not sharing our CPU/GIL)."""
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "smgitops", "emulator", "--port", "0"),
            *("--transition-seconds", "0", "--wait-scale", "0.01"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = process.stdout.readline().strip().partition("=")[2]
        if not url:
            raise RuntimeError("the emulator did not print its URL")
        yield EmulatorControl(url)
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextlib.contextmanager
def emulated_repo(endpoints: int, **repo_options) -> Iterator[tuple[EmulatorControl, Path]]:
    """An emulator process (instant transitions) and a scratch repo as the current directory."""
    previous_cwd = Path.cwd()
    saved_env = dict(os.environ)
    with emulator_process() as emulator, tempfile.TemporaryDirectory() as tmp:
        os.environ.update(
            AWS_ENDPOINT_URL=emulator.url,
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
        )
        root = Path(tmp)
        write_repo(root, endpoints, **repo_options)
        os.chdir(root)
        pin_model(root)
        try:
            yield emulator, root
        finally:
            os.chdir(previous_cwd)
            os.environ.clear()
            os.environ.update(saved_env)


def median_time(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def mutating(calls) -> list[str]:
    readonly = ("Describe", "List", "Get", "Head", "Invoke")
    return [c.operation for c in calls if not c.operation.startswith(readonly)]
