"""The offline demo: the whole GitOps story on the embedded emulator, command by command.

It works on a scratch git copy of this repository (the checkout is never modified), runs each
step as the real `smgitops` command a pipeline would run, and checks that `git revert` brings
the first prediction back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from smgitops.console import err
from smgitops.errors import UserError

ENV = "staging"
ENDPOINT = "demo-regressor"
MODEL = "demo-regressor"
PAYLOAD = "1.0,2.0,3.2,2.2,1.23,11.5"
# What a scratch copy needs: manifests, models, the image's inputs (their hash tags the image).
COPIED = (
    "deployments",
    "models",
    "container",
    "schema",
    "src",
    "pyproject.toml",
    "requirements",
)
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "artifact", "*.egg-info", ".*")


class Story:
    """Runs and narrates the demo's commands inside the scratch repository."""

    def __init__(self, root: Path, environ: dict[str, str]) -> None:
        self.root = root
        self.environ = environ
        self.step = 0

    def chapter(self, title: str) -> None:
        self.step += 1
        err.print(f"\n[bold cyan]{self.step}. {title}[/]")

    def run(self, *args: str, capture: bool = False) -> str:
        shown = " ".join(("smgitops", *args[3:])) if args[:3] == self._cli() else " ".join(args)
        err.print(f"[dim]$ {shown}[/]")
        result = subprocess.run(
            list(args),
            cwd=self.root,
            env=self.environ,
            stdout=subprocess.PIPE if capture else None,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise UserError(f"demo step failed: `{shown}` exited {result.returncode}")
        return result.stdout or ""

    @staticmethod
    def _cli() -> tuple[str, str, str]:
        return (sys.executable, "-m", "smgitops")

    def smgitops(self, *args: str, capture: bool = False) -> str:
        return self.run(*self._cli(), *args, capture=capture)

    def git(self, *args: str) -> None:
        self.run("git", "-c", "user.name=demo", "-c", "user.email=demo@example.com", *args)

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text()
        if old not in text:
            raise UserError(f"demo cannot edit {relative}: {old!r} not found")
        path.write_text(text.replace(old, new, 1))
        err.print(f"[dim]edit {relative}: {old.strip()} -> {new.strip()}[/]")

    def train(self) -> None:
        self.run(sys.executable, f"models/{MODEL}/train.py")

    def predict(self) -> str:
        answer = self.smgitops(
            "invoke",
            "--env",
            ENV,
            ENDPOINT,
            "--content-type",
            "text/csv",
            "--body",
            PAYLOAD,
            capture=True,
        ).strip()
        err.print(f"[green]prediction:[/] {answer}")
        return answer

    def deploy(self) -> None:
        self.smgitops("plan", "--env", ENV)
        self.smgitops("apply", "--env", ENV, "--yes")


def _scratch_copy(source: Path, target: Path) -> None:
    for name in COPIED:
        path = source / name
        if path.is_dir():
            shutil.copytree(path, target / name, ignore=IGNORED)
        elif path.is_file():
            shutil.copy2(path, target / name)
    if not (target / "deployments" / ENV).is_dir() or not (target / "models" / MODEL).is_dir():
        raise UserError(
            f"run the demo from the repository root (needs deployments/{ENV}, models/{MODEL})"
        )


def tell(story: Story) -> None:
    """The chapters: first deploy, a scale-out, a model change, and the rollback."""
    story.chapter("Validate the manifests")
    story.smgitops("validate")
    story.chapter("Train the model (deterministic: same code, same bytes)")
    story.train()
    story.chapter("Pin the weights: git names their sha256, the content store keeps the bytes")
    story.smgitops("model", "pin", MODEL)
    story.chapter("Package and publish the model (its tree digest names the S3 key)")
    story.smgitops("model", "package", MODEL)
    story.smgitops("model", "publish", MODEL, "--env", ENV)
    story.chapter("Push the serving image (on the emulator: registered in ECR)")
    story.smgitops("image", "push", "--env", ENV)
    story.chapter("Plan and apply: the endpoint is created and smoke-tested")
    story.deploy()
    story.chapter("Invoke the endpoint: the real model answers")
    first = story.predict()

    story.chapter("Scale out: instanceCount 1 -> 2 (weights and capacity only, no new fleet)")
    story.edit(f"deployments/{ENV}/{ENDPOINT}.yaml", "instanceCount: 1", "instanceCount: 2")
    story.git("commit", "-qam", "Scale demo-regressor to 2 instances")
    story.deploy()

    story.chapter("Change the model: fewer trees (a new model, a blue/green update)")
    story.edit(f"models/{MODEL}/train.py", "n_estimators=100", "n_estimators=20")
    story.train()
    story.smgitops("model", "pin", MODEL)
    story.git("commit", "-qam", "Train demo-regressor with 20 trees")
    story.deploy()
    second = story.predict()
    if second == first:
        raise UserError("demo: the changed model gave the same prediction as the first one")

    story.chapter("Roll back with git revert: the pin brings back the exact bytes, no training")
    story.git("revert", "--no-edit", "HEAD")
    story.smgitops("model", "fetch", MODEL)
    story.deploy()
    restored = story.predict()
    if restored != first:
        raise UserError(f"demo: after the revert the prediction is {restored}, expected {first}")
    story.chapter("Nothing left to do: a second apply changes nothing")
    story.smgitops("plan", "--env", ENV, "--detailed-exitcode")
    story.chapter("What is live: config, image digest, model data, commit, last apply")
    story.smgitops("status", "--env", ENV)
    err.print(
        f"\n[bold green]Demo complete[/]: first prediction {first}, after the model change "
        f"{second}, after git revert {restored} again."
    )


def run_demo(source: Path, keep: bool, transition_seconds: float) -> None:
    """Start the emulator, tell the story in a scratch copy of `source`, clean up."""
    from smgitops.emulator import Emulator

    # An account's quota for the demo's instance type, as Service Quotas would list it: each
    # plan shows the headroom its change leaves (and its monthly cost).
    emulator = Emulator(
        port=0, transition_seconds=transition_seconds, instance_quotas={"ml.m5.large": 8}
    ).start()
    scratch = Path(tempfile.mkdtemp(prefix="smgitops-demo-"))
    try:
        environ = {
            **os.environ,
            "AWS_ENDPOINT_URL": emulator.url,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "demo",
            "AWS_SECRET_ACCESS_KEY": "demo",
        }
        environ.pop("AWS_PROFILE", None)
        story = Story(scratch, environ)
        story.chapter(f"Offline AWS running at {emulator.url}; scratch repository {scratch}")
        _scratch_copy(source, scratch)
        story.git("init", "-q")
        story.git("add", "-A")
        story.git("commit", "-qm", "Initial state of the repository")
        tell(story)
    finally:
        emulator.stop()
        if keep:
            err.print(f"scratch repository kept at {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
