"""`smgitops promote` for every source kind, into an env that requires approval or not, and
when the target already deploys the same: one line, an exit code, never a traceback."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from testkit.scratch import INFERENCE_PY, PROD_ENV_YAML
from testkit.trained import manifest, register_version, upload

REGISTRY_IMAGE = "registry.example.com/team/serving:1"


def _git(repo, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=ds", "-c", "user.email=ds@example.com", *args],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _source(kind: str) -> tuple[str, object]:
    """The staging manifest's spec.model for `kind`, and what prod's must become."""
    if kind == "folder":
        return "scorer", "scorer"
    if kind == "s3":
        uri = upload(
            "runs/1/model.tar.gz", {"weight.txt": "3\n", "code/inference.py": INFERENCE_PY}
        )
        return f"{{s3: {uri}, image: {REGISTRY_IMAGE}}}", {"s3": uri, "image": REGISTRY_IMAGE}
    if kind == "s3+code":
        uri = upload("runs/1/model.tar.gz", {"weight.txt": "3\n"}, versioned=True)
        return f"{{s3: {uri}, code: scorer}}", {"s3": uri, "code": "scorer"}
    arn = register_version("churn", 2, INFERENCE_PY, approved=True)
    if kind == "package":
        return f"{{modelPackage: '{arn}'}}", {"modelPackage": arn}
    return "{modelPackageGroup: churn, version: latest-approved}", {"modelPackage": arn}


def _promoted_model(repo) -> object:
    return yaml.safe_load((repo.root / "deployments/prod/scorer.yaml").read_text())["spec"]["model"]


@pytest.mark.parametrize("equal", [False, True], ids=["new", "already-equal"])
@pytest.mark.parametrize("approval", [False, True], ids=["plain", "approval"])
@pytest.mark.parametrize("kind", ["folder", "s3", "s3+code", "package", "group-latest"])
def test_promote_matrix(repo, aws, kind, approval, equal):
    staging_model, expected = _source(kind)
    repo.write("deployments/staging/scorer.yaml", manifest(staging_model))
    repo.write(
        "deployments/prod/_env.yaml",
        PROD_ENV_YAML + ("requireApproval: true\n" if approval else ""),
    )
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "start")
    assert repo.run("image", "push", "--env", "staging").exit_code == 0

    first = repo.run("promote", "--from", "staging", "--to", "prod", "scorer")

    assert first.exit_code == 0, first.output
    assert "Traceback" not in first.output
    promoted = _promoted_model(repo)
    if isinstance(expected, dict):  # pins add what they were pinned to (etag, version, ...)
        assert {k: promoted[k] for k in expected} == expected
    else:
        assert promoted == expected
    assert _git(repo, "log", "-1", "--format=%s").startswith("Promote scorer from staging to prod")
    assert repo.run("validate").exit_code == 0

    if equal:
        commits = _git(repo, "rev-list", "--count", "HEAD")
        again = repo.run("promote", "--from", "staging", "--to", "prod", "scorer")
        assert again.exit_code == 0, again.output
        assert "nothing to promote" in again.output
        assert "Traceback" not in again.output
        assert _git(repo, "rev-list", "--count", "HEAD") == commits  # no empty commit
