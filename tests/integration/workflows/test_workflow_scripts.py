"""The workflows' own `run:` scripts, executed with bash as GitHub runs them, against a scratch
repository on the emulator: the outputs, files and exit codes the next jobs depend on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest
import yaml

from testkit.scratch import PROD_ENV_YAML, manifest, scratch_repo

ROOT = Path(__file__).resolve().parents[3]
WORKFLOWS = ROOT / ".github" / "workflows"


def step(workflow: str, job: str, name: str) -> dict:
    """The step of `job` whose name (or run script) contains `name`."""
    doc = yaml.safe_load((WORKFLOWS / f"{workflow}.yml").read_text())
    for candidate in doc["jobs"][job]["steps"]:
        if name in str(candidate.get("name", "")) or name in str(candidate.get("run", "")):
            return candidate
    raise AssertionError(f"{workflow}.{job} has no step {name!r}")


class Runner:
    """Runs a step's script like GitHub: bash -eo pipefail, GITHUB_OUTPUT and summary files."""

    def __init__(self, workdir: Path, tmp: Path):
        self.workdir = workdir
        self.output = tmp / "github_output"
        self.summary = tmp / "step_summary"
        self.bin = tmp / "bin"
        self.bin.mkdir()

    def run(self, step_: dict, matrix: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        self.output.write_text("")
        self.summary.write_text("")
        env = dict(os.environ)
        for key, value in (step_.get("env") or {}).items():
            for name, matrix_value in (matrix or {}).items():
                value = str(value).replace(f"${{{{ matrix.{name} }}}}", matrix_value)
            assert "${{" not in str(value), f"test does not know how to expand {value}"
            env[key] = str(value)
        env.update(
            GITHUB_OUTPUT=str(self.output),
            GITHUB_STEP_SUMMARY=str(self.summary),
            GITHUB_SERVER_URL="https://github.com",
            GITHUB_REPOSITORY="acme/ml-deploy",
            GITHUB_RUN_ID="42",
            PATH=f"{self.bin}:{env['PATH']}",
        )
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step_["run"]],
            cwd=self.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def outputs(self) -> dict[str, str]:
        lines = self.output.read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def repo(tmp_path, aws) -> Path:
    """A fresh clone, as a runner checks it out: manifests, code and the artifact pin, no
    weights (artifact/ is git-ignored; a data scientist pinned them to the store)."""
    author = scratch_repo(tmp_path / "author")
    author.write("deployments/prod/_env.yaml", PROD_ENV_YAML.replace("prune: true", "prune: false"))
    author.write("deployments/prod/scorer.yaml", manifest())
    author.write(".gitignore", "models/*/artifact/\n.smgitops/\n")
    author.git("init", "-q")
    author.git("add", "-A")
    author.git("commit", "-qm", "scorer, pinned")
    root = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(author.root), str(root)], check=True)
    assert not (root / "models" / "scorer" / "artifact").exists()
    (root / ".venv").symlink_to(ROOT / ".venv")  # the scripts call .venv/bin/smgitops
    return root


@pytest.fixture
def runner(repo, tmp_path) -> Runner:
    return Runner(repo, tmp_path)


@pytest.fixture
def plan_runner(repo, tmp_path) -> Runner:
    """plan-aws.yml's layout: the default branch's checkout (with its venv) and the PR head's
    files in pr/ beside it."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / ".venv").symlink_to(ROOT / ".venv")
    shutil.copytree(repo, checkout / "pr", symlinks=True)
    (tmp_path / "plan-run").mkdir()
    return Runner(checkout, tmp_path / "plan-run")


def smgitops(repo: Path, *args: str) -> None:
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "smgitops"), *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_deploy_tags_step_lists_only_missing_images_as_a_matrix(repo, runner):
    tags = step("deploy", "tags-staging", "image tag")
    result = runner.run(tags)
    assert result.returncode == 0, result.stderr
    (entry,) = json.loads(runner.outputs()["images"])
    assert entry["model"] == "scorer"
    assert entry["missing"] is True
    assert entry["image"].startswith("123456789012.dkr.ecr.us-east-1.amazonaws.com/")

    smgitops(repo, "image", "push", "--env", "staging")
    result = runner.run(tags)
    assert result.returncode == 0, result.stderr
    assert runner.outputs()["images"] == "[]"  # the build job is skipped


TRAINING = ("make models", "train.py")


def run_steps(workflow: str, job: str) -> list[dict]:
    """The `run:` steps of a job, minus `make install` (the clone links the test's venv)."""
    doc = yaml.safe_load((WORKFLOWS / f"{workflow}.yml").read_text())
    steps = [s for s in doc["jobs"][job]["steps"] if "run" in s]
    return [s for s in steps if s["run"].strip() != "make install"]


@pytest.mark.parametrize(
    ("workflow", "job", "matrix"),
    [
        ("plan-aws", "plan", {"env": "staging"}),
        ("drift", "drift", {"env": "prod"}),
        ("deploy", "apply-staging", {}),
        ("deploy", "apply-prod", {}),
    ],
)
def test_each_aws_job_replays_on_a_fresh_clone_without_training(
    repo, runner, plan_runner, workflow, job, matrix
):
    smgitops(repo, "image", "push", "--env", "staging")
    smgitops(repo, "image", "push", "--env", "prod")
    runner = plan_runner if workflow == "plan-aws" else runner
    steps = run_steps(workflow, job)
    assert steps and not [s for s in steps if any(t in s["run"] for t in TRAINING)]
    for each in steps:
        result = runner.run(each, matrix)
        assert result.returncode == 0, f"{each['run']}\n{result.stderr}"
    if job.startswith("apply-"):
        env = job.removeprefix("apply-")
        answer = boto3.client("sagemaker-runtime").invoke_endpoint(
            EndpointName=f"{env}-scorer", ContentType="text/csv", Body=b"1,2,3"
        )
        assert json.loads(answer["Body"].read()) == [6.0]  # the pinned weight 1, from the store


def test_plan_step_writes_markdown_json_and_the_job_summary(repo, plan_runner):
    smgitops(repo, "image", "push", "--env", "staging")
    result = plan_runner.run(step("plan-aws", "plan", "Plan"), {"env": "staging"})
    assert result.returncode == 0, result.stderr
    markdown = (plan_runner.workdir / "plan-staging.md").read_text()
    assert "staging-scorer" in markdown
    assert json.loads((plan_runner.workdir / "plan-staging.json").read_text())
    assert plan_runner.summary.read_text() == markdown


def test_plan_comment_holds_every_env_in_one_body(runner):
    write(runner.workdir, "plans/plan-staging.md", "staging plan body\n")
    write(runner.workdir, "plans/plan-prod.md", "prod plan body\n")
    result = runner.run(step("plan-aws", "comment", "Assemble"))
    assert result.returncode == 0, result.stderr
    comment = (runner.workdir / "plan-comment.md").read_text()
    assert comment.index("### staging") < comment.index("staging plan body")
    assert comment.index("### prod") < comment.index("prod plan body")


def test_drift_step_reports_status_and_fails_only_on_errors(repo, runner):
    drift = step("drift", "drift", "Drift report")
    smgitops(repo, "image", "push", "--env", "staging")
    smgitops(repo, "apply", "--env", "staging", "--yes")

    result = runner.run(drift, {"env": "staging"})
    assert result.returncode == 0, result.stderr
    assert (repo / "report" / "status").read_text().strip() == "0"
    assert runner.summary.read_text() == ""

    boto3.client("sagemaker").update_endpoint_weights_and_capacities(
        EndpointName="staging-scorer",
        DesiredWeightsAndCapacities=[{"VariantName": "primary", "DesiredInstanceCount": 3}],
    )
    result = runner.run(drift, {"env": "staging"})
    assert result.returncode == 0, result.stderr
    assert (repo / "report" / "status").read_text().strip() == "2"
    assert "staging-scorer" in (repo / "report" / "drift.md").read_text()
    assert "staging-scorer" in runner.summary.read_text()

    result = runner.run(drift, {"env": "nowhere"})
    assert result.returncode == 1
    assert (repo / "report" / "status").read_text().strip() == "1"


FAKE_GH = """\
#!/usr/bin/env bash
# Records each call; `issue list` answers with the open drift issue number in $GH_OPEN_ISSUE.
echo "$*" >> "$GH_CALLS"
if [ "$1 $2" = "issue list" ]; then echo "${GH_OPEN_ISSUE:-}"; fi
"""


@pytest.mark.parametrize(
    ("status", "open_issue", "expected"),
    [
        ("2", "", "issue create --title Drift detected in prod --label drift"),
        ("2", "7", "issue edit 7 --body-file report/drift.md"),
        ("0", "7", "issue close 7 --comment No drift in prod any more"),
    ],
)
def test_drift_issue_is_opened_updated_or_closed(runner, monkeypatch, status, open_issue, expected):
    # A stand-in for the GitHub CLI that only records its arguments.
    gh = runner.bin / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(0o755)
    calls = runner.workdir / "gh-calls"
    write(runner.workdir, "report/status", f"{status}\n")
    write(runner.workdir, "report/drift.md", "drift report\n")
    issue_step = step("drift", "issue", "Open, update or close")
    monkeypatch.setenv("GH_CALLS", str(calls))  # read by the stand-in
    monkeypatch.setenv("GH_OPEN_ISSUE", open_issue)
    result = runner.run(
        {**issue_step, "env": {**issue_step["env"], "GH_TOKEN": "t", "GH_REPO": "acme/x"}},
        {"env": "prod"},
    )
    assert result.returncode == 0, result.stderr
    recorded = calls.read_text().splitlines()
    assert recorded[0].startswith("issue list --label drift --state open")
    assert any(line.startswith(expected) for line in recorded), recorded
    mutations = [line for line in recorded if line.startswith("issue ") and "list" not in line]
    assert len(mutations) == 1, recorded
