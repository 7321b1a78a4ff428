"""A scratch GitOps repository with one tiny model, and the CLI run inside it."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import boto3
from click.testing import CliRunner, Result

from smgitops.cli import main

# The content store the scratch repo pins its weights to (on the emulator).
STORE = "s3://smgitops-test-store/store"
ENV_YAML = """\
accountId: "123456789012"
region: us-east-1
executionRoleArn: arn:aws:iam::123456789012:role/smgitops-execution
artifactBucket: smgitops-test-artifacts
artifactPrefix: smgitops
ecrRepository: smgitops-serving
prune: true
"""

# A second env of the same account, in a namespace of its own (validate refuses shared ones).
PROD_ENV_YAML = (
    ENV_YAML.replace("artifactPrefix: smgitops", "artifactPrefix: smgitops-prod")
    .replace("ecrRepository: smgitops-serving", "ecrRepository: smgitops-serving-prod")
    .replace("role/smgitops-execution", "role/smgitops-prod-execution")
)

# A model whose prediction is the row sum times a weight read from its artifact, so every
# model change is visible in the prediction.
INFERENCE_PY = """\
import json
from pathlib import Path


def model_fn(model_dir):
    return float(Path(model_dir, "weight.txt").read_text())


def input_fn(body, content_type):
    if isinstance(body, bytes):
        body = body.decode()
    return [float(x) for x in body.strip().split(",")]


def predict_fn(row, weight):
    return sum(row) * weight


def output_fn(prediction, accept):
    return json.dumps([prediction]), "application/json"
"""


def manifest(name: str = "scorer", count: int = 1, smoke: str = "", model: str = "scorer") -> str:
    """An endpoint manifest (of the scorer model unless `model`, any `spec.model` value, says
    otherwise); `smoke` adds lines under smokeTest."""
    return (
        "apiVersion: smgitops/v1\n"
        "kind: Endpoint\n"
        "metadata:\n"
        f"  name: {name}\n"
        "spec:\n"
        f"  model: {model}\n"
        "  variants:\n"
        "    - name: primary\n"
        "      instanceType: ml.m5.large\n"
        f"      instanceCount: {count}\n"
        "      weight: 1\n"
        "  smokeTest:\n"
        "    contentType: text/csv\n"
        '    body: "1,2,3"\n'
        "    expectStatus: 200\n" + "".join(f"    {line}\n" for line in smoke.splitlines())
    )


@dataclass
class Repo:
    root: Path

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def set_weight(self, weight: float, model: str = "scorer") -> None:
        """Train `model` to `weight` and pin it, as a data scientist would before a commit."""
        self.write(f"models/{model}/artifact/weight.txt", f"{weight}\n")
        pinned = self.run("model", "pin", model, "--store", STORE)
        assert pinned.exit_code == 0, pinned.output

    def run(self, *args: str) -> Result:
        """The CLI, in-process, run from the repository's root."""
        with contextlib.chdir(self.root):
            return CliRunner().invoke(main, list(args), catch_exceptions=False)

    def git(self, *args: str) -> str:
        """git in the repository, as a fixed author; its stdout."""
        return subprocess.run(
            ["git", "-c", "user.name=ds", "-c", "user.email=ds@example.com", *args],
            cwd=self.root,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def predict(self, name: str = "scorer", env: str = "staging") -> float:
        """`smgitops invoke` of endpoint `name` with the row 1,2,3: the model's one number."""
        result = self.run(
            "invoke", "--env", env, name, "--content-type", "text/csv", "--body", "1,2,3"
        )
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)[0]


def mutating(calls) -> list[str]:
    readonly = ("Describe", "List", "Get", "Head", "Invoke")
    return [c.operation for c in calls if not c.operation.startswith(readonly)]


def scratch_repo(root: Path, *, with_manifest: bool = True) -> Repo:
    """models/scorer (weight 1), a staging env and, unless told otherwise, its manifest."""
    repo = Repo(root)
    repo.write("deployments/staging/_env.yaml", ENV_YAML)
    if with_manifest:
        repo.write("deployments/staging/scorer.yaml", manifest())
    repo.write("models/scorer/inference.py", INFERENCE_PY)
    repo.write("container/Dockerfile", "FROM scratch\n")
    repo.set_weight(1.0)
    return repo


def scratch_clone(source: Path, target: Path) -> Path:
    """A git repository at `target` holding what a clone of `source` would, as its working
    tree is now (uncommitted edits included, git-ignored files such as trained weights left
    out), committed once, with a `.venv` that is the virtualenv running the tests."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=source,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        path, copy = source / relative, target / relative
        if path.is_symlink():
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.symlink_to(path.readlink())
        elif path.is_file():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy)
    venv = Path(sys.prefix)
    assert (venv / "pyvenv.cfg").is_file(), f"the tests run outside a virtualenv ({venv})"

    def git(*args: str) -> None:
        identity = ["-c", "user.name=ds", "-c", "user.email=ds@example.com"]
        subprocess.run(["git", *identity, *args], cwd=target, check=True, capture_output=True)

    git("init", "-q")
    (target / ".venv").symlink_to(venv, target_is_directory=True)
    with (target / ".git" / "info" / "exclude").open("a") as exclude:
        exclude.write("/.venv\n")  # a symlink: .gitignore's `.venv/` matches folders only
    git("add", "-A")
    git("commit", "-qm", "Scratch clone")
    return target


def create_5xx_alarm(name: str, endpoint: str) -> None:
    """A CloudWatch alarm on the endpoint's 5xx count, for rollback tests (state: set it)."""
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Dimensions=[{"Name": "EndpointName", "Value": endpoint}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
