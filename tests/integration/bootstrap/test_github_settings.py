"""`bootstrap --apply` reads back the GitHub settings the roles trust, from a local server that
answers like GitHub's REST API (the same paths and JSON shapes). `repo` is the scratch
repository of tests/integration/conftest.py (a staging env)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .test_roles_on_emulator import REPO, run_bootstrap

pytestmark = pytest.mark.integration

GOOD = {
    f"/repos/{REPO}/actions/oidc/customization/sub": {
        "use_default": False,
        "include_claim_keys": ["repo", "context", "job_workflow_ref"],
    },
    f"/repos/{REPO}/environments/staging": {
        "name": "staging",
        "protection_rules": [{"type": "branch_policy"}],
        "deployment_branch_policy": {"protected_branches": False, "custom_branch_policies": True},
    },
    f"/repos/{REPO}/environments/staging/deployment-branch-policies": {
        "total_count": 1,
        "branch_policies": [{"id": 1, "name": "main", "type": "branch"}],
    },
}


class FakeGitHub:
    def __init__(self) -> None:
        self.routes: dict[str, object] = json.loads(json.dumps(GOOD))
        self.tokens: list[str] = []


@pytest.fixture
def github(monkeypatch) -> Iterator[FakeGitHub]:
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.tokens.append(self.headers.get("Authorization", ""))
            body = fake.routes.get(self.path)
            status = 200 if body is not None else 404
            payload = json.dumps(body if body is not None else {"message": "Not Found"})
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(payload.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("GH_TOKEN", "ghp_test")
    yield fake
    server.shutdown()


def test_settings_as_the_roles_expect_pass_with_the_token_sent(repo, enforced, monkeypatch, github):
    result = run_bootstrap(enforced, monkeypatch, "--apply")

    assert result.exit_code == 0, result.output
    assert "ok  OIDC subject template: repo, context, job_workflow_ref" in result.stderr
    assert "ok  environment staging: deploys from main only" in result.stderr
    assert set(github.tokens) == {"Bearer ghp_test"}


def test_default_subject_and_any_branch_are_reported_and_fail_the_command(
    repo, enforced, monkeypatch, github
):
    github.routes[f"/repos/{REPO}/actions/oidc/customization/sub"] = {"use_default": True}
    github.routes[f"/repos/{REPO}/environments/staging"]["deployment_branch_policy"] = None

    result = run_bootstrap(enforced, monkeypatch, "--apply")

    assert result.exit_code == 1
    assert (
        "needs a fix  OIDC subject template: is GitHub's default, the roles expect repo, "
        "context, job_workflow_ref: no token is trusted until it is set"
    ) in result.stderr
    assert "environment staging: any branch may deploy (allow main only)" in result.stderr
    assert "2 GitHub setting(s) of acme/ml-deploy do not match what the roles trust" in (
        result.stderr
    )
    assert "created" in result.stderr  # the IAM was still created


def test_a_missing_environment_and_other_branches_are_named(repo, enforced, monkeypatch, github):
    github.routes[f"/repos/{REPO}/environments/staging/deployment-branch-policies"] = {
        "total_count": 2,
        "branch_policies": [
            {"name": "main", "type": "branch"},
            {"name": "dev/*", "type": "branch"},
        ],
    }
    result = run_bootstrap(enforced, monkeypatch, "--apply")
    assert result.exit_code == 1
    assert "deployment branches are dev/*, main (main only)" in result.stderr

    del github.routes[f"/repos/{REPO}/environments/staging"]
    result = run_bootstrap(enforced, monkeypatch, "--apply")
    assert "environment staging: does not exist: create it (Settings > Environments)" in (
        result.stderr
    )


def test_an_env_requiring_approval_needs_reviewers_who_cannot_approve_themselves(
    repo, enforced, monkeypatch, github
):
    env_file = repo.root / "deployments" / "staging" / "_env.yaml"
    env_file.write_text(env_file.read_text() + "requireApproval: true\n")
    rules = github.routes[f"/repos/{REPO}/environments/staging"]["protection_rules"]

    result = run_bootstrap(enforced, monkeypatch, "--apply")
    assert "no required reviewers (requireApproval: true)" in result.stderr

    rules.append({"type": "required_reviewers", "prevent_self_review": False, "reviewers": []})
    result = run_bootstrap(enforced, monkeypatch, "--apply")
    assert "reviewers may approve their own deployments (prevent self-review)" in result.stderr

    rules[-1]["prevent_self_review"] = True
    result = run_bootstrap(enforced, monkeypatch, "--apply")
    assert result.exit_code == 0, result.output
    assert "deploys from main only, behind required reviewers" in result.stderr


def test_an_unreadable_api_is_one_error_line(repo, enforced, monkeypatch, github):
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")  # nothing listens

    result = run_bootstrap(enforced, monkeypatch, "--apply")

    assert result.exit_code == 1
    (line,) = [x for x in result.stderr.splitlines() if "cannot read the GitHub settings" in x]
    assert line.startswith("Error: cannot read the GitHub settings of acme/ml-deploy: GET /repos/")


def test_without_a_token_it_says_what_was_not_checked(repo, enforced, monkeypatch):
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)

    result = run_bootstrap(enforced, monkeypatch, "--apply")

    assert result.exit_code == 0, result.output
    assert "GitHub settings not checked: set GH_TOKEN" in result.stderr
