"""The GitHub side of an env's trust, read back from GitHub's REST API by `bootstrap --apply`.

The roles bootstrap creates trust a token only when GitHub issues it as they expect, so three
repository settings are part of the trust boundary and are checked here, read-only:
- the OIDC subject template (`GET /repos/{repo}/actions/oidc/customization/sub`) must be
  exactly the claim keys the trust policies were written for;
- the GitHub environment named like the env must exist and allow deployments from the
  default branch only (`GET /repos/{repo}/environments/{env}`, then its
  `deployment-branch-policies`);
- an env with `requireApproval: true` needs required reviewers on that environment, with
  self-review prevented.
Sources: GitHub REST API, "Actions OIDC", "Deployment environments" and "Deployment branch
policies". GitHub Enterprise Server: set GITHUB_API_URL, as Actions runners do.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smgitops.bootstrap.policies import SUBJECT_CLAIM_KEYS

DEFAULT_API_URL = "https://api.github.com"
_TIMEOUT_S = 10

Fetch = Callable[[str], Any]  # API path -> parsed JSON, None for 404


class GitHubUnreadable(Exception):
    """The API could not be read (network, token, permissions): nothing was checked."""


@dataclass(frozen=True)
class Finding:
    """One checked setting: what it is, whether it is as the roles need, and what to do."""

    setting: str
    ok: bool
    detail: str


def api_fetcher(api_url: str, token: str) -> Fetch:
    """GET JSON from the GitHub REST API with a token; None for 404, GitHubUnreadable for
    any other failure (one line: status and GitHub's message)."""

    def fetch(path: str) -> Any:
        request = urllib.request.Request(
            f"{api_url.rstrip('/')}{path}",
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {token}",
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            message = _message(error.read())
            raise GitHubUnreadable(f"GET {path}: HTTP {error.code} {message}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise GitHubUnreadable(f"GET {path}: {error}") from None

    return fetch


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body).get("message", "")).strip()
    except (ValueError, AttributeError):
        return ""


def check_subject_template(fetch: Fetch, repo: str) -> Finding:
    found = fetch(f"/repos/{repo}/actions/oidc/customization/sub") or {}
    keys = tuple(found.get("include_claim_keys") or ())
    wanted = ", ".join(SUBJECT_CLAIM_KEYS)
    if not found.get("use_default", True) and keys == SUBJECT_CLAIM_KEYS:
        return Finding("OIDC subject template", True, wanted)
    now = "GitHub's default" if found.get("use_default", True) else ", ".join(keys) or "none"
    return Finding(
        "OIDC subject template",
        False,
        f"is {now}, the roles expect {wanted}: no token is trusted until it is set",
    )


def check_environment(fetch: Fetch, repo: str, env: str, branch: str, approval: bool) -> Finding:
    setting = f"environment {env}"
    found = fetch(f"/repos/{repo}/environments/{env}")
    if found is None:
        return Finding(setting, False, "does not exist: create it (Settings > Environments)")
    policy = found.get("deployment_branch_policy")
    problems = []
    if not policy:
        problems.append(f"any branch may deploy (allow {branch} only)")
    elif not policy.get("custom_branch_policies"):
        problems.append(f"every protected branch may deploy (allow {branch} only)")
    else:
        listed = fetch(f"/repos/{repo}/environments/{env}/deployment-branch-policies") or {}
        names = sorted(
            p.get("name", "")
            for p in listed.get("branch_policies", [])
            if p.get("type", "branch") == "branch"
        )
        if names != [branch]:
            problems.append(f"deployment branches are {', '.join(names) or 'none'} ({branch} only)")
    if approval:
        reviewers = [
            r for r in found.get("protection_rules", []) if r.get("type") == "required_reviewers"
        ]
        if not reviewers:
            problems.append("no required reviewers (requireApproval: true)")
        elif not all(r.get("prevent_self_review") for r in reviewers):
            problems.append("reviewers may approve their own deployments (prevent self-review)")
    if problems:
        return Finding(setting, False, "; ".join(problems))
    detail = f"deploys from {branch} only" + (", behind required reviewers" if approval else "")
    return Finding(setting, True, detail)


def check_github(fetch: Fetch, repo: str, env: str, branch: str, approval: bool) -> list[Finding]:
    """Every GitHub setting the env's roles rely on. Read-only; GitHubUnreadable when the API
    cannot be read."""
    return [
        check_subject_template(fetch, repo),
        check_environment(fetch, repo, env, branch, approval),
    ]
