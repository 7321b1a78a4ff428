"""Real AWS clients against the emulator: the SageMaker Python SDK and the AWS CLI, each in a
virtualenv of its own made from a hash-locked requirements file in tests/clients/ (their pins
never touch the project's), and the flows in tests/clients/ they run.

A client virtualenv is made once per content of its lock, with uv, under
`.smgitops/client-venvs/<name>-<lock hash>/` (SMGITOPS_CLIENT_VENVS moves it), and reused
until the lock changes. Each flow writes a report, one JSON line per step after a first line
naming every step, so a run says how many of its steps passed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "tests" / "clients"
DEMO_MODEL = "demo-regressor"
ROLE_ARN = "arn:aws:iam::123456789012:role/sagemaker-execution"
BUCKET = "real-client-models"
IMAGE_REPOSITORY = "smgitops-serve"
# What each flow's count is called in a report line ("SDK flow steps passed 11/11").
LABELS = {"sdk": "SDK flow steps", "cli": "CLI checks"}
# Long enough that a CLI call made right after CreateEndpoint, UpdateEndpoint or DeleteEndpoint
# sees Creating, Updating or Deleting, and the waiters poll more than once.
TRANSITION_SECONDS = 2
# The SDK reads this file instead of the user's: telemetry off (it would call AWS itself).
SDK_CONFIG = (
    "SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n      TelemetryOptOut: true\n"
)


def venvs_root() -> Path:
    return Path(os.environ.get("SMGITOPS_CLIENT_VENVS") or ROOT / ".smgitops" / "client-venvs")


@dataclass(frozen=True)
class ClientVenv:
    path: Path
    seconds: float  # spent making it in this call; 0 when it was already made
    cached: bool

    def bin(self, name: str) -> Path:
        return self.path / "bin" / name


def _uv() -> str:
    beside = Path(sys.executable).parent / "uv"
    found = str(beside) if beside.exists() else shutil.which("uv")
    if found is None:
        raise RuntimeError("uv is not installed (`make install` puts it in .venv/bin)")
    return found


def client_venv(name: str) -> ClientVenv:
    """The virtualenv of tests/clients/<name>.txt, made now unless one for the same lock
    exists. Safe to call from several processes at once (a file lock serialises them)."""
    lock = CLIENTS / f"{name}.txt"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()[:16]
    root = venvs_root()
    root.mkdir(parents=True, exist_ok=True)
    target = root / f"{name}-{digest}"
    ready = target / ".ready"
    with open(root / f".{name}.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if ready.exists():
            return ClientVenv(target, 0.0, cached=True)
        started = time.monotonic()
        shutil.rmtree(target, ignore_errors=True)
        uv = _uv()
        python = str(target / "bin" / "python")
        subprocess.run(
            [uv, "venv", "--quiet", "--python", sys.executable, str(target)],
            check=True,
            capture_output=True,
        )
        # The platform's CA store, as pip uses it: a proxy that re-signs TLS is trusted too.
        install = ["pip", "install", "--quiet", "--system-certs", "--require-hashes"]
        subprocess.run(
            [uv, *install, "--python", python, "-r", str(lock)], check=True, capture_output=True
        )
        ready.write_text(f"{lock.name} sha256 {digest}\n")
        for old in root.glob(f"{name}-*"):  # venvs of earlier locks
            if old != target:
                shutil.rmtree(old, ignore_errors=True)
        return ClientVenv(target, time.monotonic() - started, cached=False)


@dataclass(frozen=True)
class DemoModel:
    """The demo regressor trained and packaged, and what it predicts for its payload rows."""

    tarball: Path  # model.tar.gz as smgitops packages it: weights at the root, code/
    weights: Path  # model.tar.gz with the weights only (code shipped apart, the SDK way)
    source_dir: Path  # inference.py and requirements.txt
    rows: list[list[float]]
    predictions: list[float]


def demo_model(workdir: Path) -> DemoModel:
    """Train models/demo-regressor with its train.py in a copy (the repository's own
    artifact/ is left alone) and package it with smgitops' packaging."""
    import joblib

    from smgitops.artifacts.package import package_model

    repo = workdir / "repo"
    folder = repo / "models" / DEMO_MODEL
    shutil.copytree(
        ROOT / "models" / DEMO_MODEL,
        folder,
        ignore=shutil.ignore_patterns("artifact", "artifact.pin.json", "__pycache__"),
    )
    subprocess.run([sys.executable, str(folder / "train.py")], check=True, capture_output=True)
    package = package_model(repo, DEMO_MODEL, workdir / "build")
    weights = workdir / "weights" / "model.tar.gz"
    weights.parent.mkdir(parents=True)
    with tarfile.open(weights, "w:gz") as archive:
        archive.add(folder / "artifact" / "model.joblib", arcname="model.joblib")
    source_dir = workdir / "source"
    source_dir.mkdir()
    for name in ("inference.py", "requirements.txt"):
        shutil.copy(folder / name, source_dir / name)
    lines = (folder / "payloads" / "two-rows.csv").read_text().splitlines()
    rows = [[float(cell) for cell in line.split(",")] for line in lines if line.strip()]
    model = joblib.load(folder / "artifact" / "model.joblib")
    predictions = [float(value) for value in model.predict(rows)]
    return DemoModel(package.path, weights, source_dir, rows, predictions)


def register_image(region: str = "us-east-1") -> str:
    """The serving image in the emulated ECR, registered the way `smgitops image push` does
    on the emulator (a manifest, no Docker)."""
    ecr = boto3.client("ecr", region_name=region)
    ecr.create_repository(repositoryName=IMAGE_REPOSITORY)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "digest": "sha256:" + "c" * 64,
            "size": 10,
        },
        "layers": [],
    }
    ecr.put_image(
        repositoryName=IMAGE_REPOSITORY, imageManifest=json.dumps(manifest), imageTag="v1"
    )
    account = boto3.client("sts", region_name=region).get_caller_identity()["Account"]
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{IMAGE_REPOSITORY}:v1"


def flow_inputs(model: DemoModel, workdir: Path) -> Path:
    """Upload the demo model and register the image in the emulator (boto3 reaches it through
    AWS_ENDPOINT_URL); write what the flows need to inputs.json."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.upload_file(str(model.tarball), BUCKET, "demo/model.tar.gz")
    s3.upload_file(str(model.weights), BUCKET, "demo-weights/model.tar.gz")
    inputs = {
        "image": register_image(),
        "model_data": f"s3://{BUCKET}/demo/model.tar.gz",
        "weights_data": f"s3://{BUCKET}/demo-weights/model.tar.gz",
        "model_tarball": str(model.tarball),
        "source_dir": str(model.source_dir),
        "bucket": BUCKET,
        "role": ROLE_ARN,
        "rows": model.rows,
        "predictions": model.predictions,
    }
    path = workdir / "inputs.json"
    path.write_text(json.dumps(inputs, indent=2))
    return path


def client_env(endpoint_url: str, workdir: Path) -> dict[str, str]:
    """The environment a client process gets: the emulator's endpoint, a region, dummy keys,
    no profile or config of the developer's, and the SDK's config without telemetry."""
    config = workdir / "sagemaker-config.yaml"
    config.write_text(SDK_CONFIG)
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        AWS_ENDPOINT_URL=endpoint_url,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE=str(workdir / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(workdir / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        SAGEMAKER_USER_CONFIG_OVERRIDE=str(config),
        SAGEMAKER_ADMIN_CONFIG_OVERRIDE=str(config),
        SAGEMAKER_SUPPRESS_V2_WARNING="1",
        PYTHONNOUSERSITE="1",
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class FlowResult:
    steps: list[str]
    passed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    output: str = ""
    exit_code: int = 0

    @property
    def figure(self) -> str:
        return f"{len(self.passed)}/{len(self.steps)}"


def read_report(path: Path) -> FlowResult:
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if not lines:
        return FlowResult(steps=[])
    result = FlowResult(steps=lines[0]["steps"])
    for record in lines[1:]:
        if record["ok"]:
            result.passed.append(record["step"])
        else:
            result.failed[record["step"]] = record["detail"]
    return result


def run_flow(
    command: list[str], env: dict[str, str], report: Path, timeout: float = 600
) -> FlowResult:
    """Run one flow as a subprocess; its steps as its report tells them."""
    started = time.monotonic()
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=timeout, cwd=report.parent
    )
    result = read_report(report) if report.exists() else FlowResult(steps=[])
    result.seconds = time.monotonic() - started
    result.output = done.stdout + done.stderr
    result.exit_code = done.returncode
    return result


def run_client(client: str, endpoint_url: str, inputs: Path, workdir: Path) -> FlowResult:
    """tests/clients/<client>_flow.py in the client's virtualenv against `endpoint_url`."""
    venv = client_venv(client)
    report = workdir / f"{client}.jsonl"
    command = [str(venv.bin("python")), str(CLIENTS / f"{client}_flow.py"), str(inputs)]
    return run_flow([*command, str(report)], client_env(endpoint_url, workdir), report)
