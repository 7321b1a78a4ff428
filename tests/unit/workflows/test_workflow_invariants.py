"""Security and safety invariants of the GitHub Actions workflows (DESIGN section 8).

Each test names a promise; an edit to .github/workflows that breaks one fails here.
"""

from __future__ import annotations

import re

from .workflow_files import steps, uses

EXPECTED = {"ci", "plan", "plan-aws", "deploy", "drift"}
PINNED_USES = re.compile(r"^\s*(?:-\s+)?uses:\s+([^@\s]+)@([0-9a-f]{40})\s+#\s+v\d+\.\d+\.\d+\s*$")
AWS_ACTION = "aws-actions/configure-aws-credentials"


def test_the_four_workflows_exist(workflows):
    assert set(workflows) >= EXPECTED


def test_every_workflow_grants_no_permissions_at_the_top(workflows):
    for wf in workflows.values():
        assert wf.doc.get("permissions") == {}, f"{wf.name}: top-level permissions must be {{}}"


def test_every_job_declares_its_own_permissions_and_a_timeout(workflows):
    for wf in workflows.values():
        for job_id, job in wf.jobs.items():
            assert "permissions" in job, f"{wf.name}.{job_id}: no job-level permissions"
            assert isinstance(job.get("timeout-minutes"), int), f"{wf.name}.{job_id}: no timeout"


def test_every_action_is_pinned_to_a_full_commit_sha_with_a_version_comment(workflows):
    for wf in workflows.values():
        for line in wf.text.splitlines():
            if re.match(r"^\s*(?:-\s+)?uses:", line):
                assert PINNED_USES.match(line), f"{wf.name}: not pinned by SHA + # vX.Y.Z: {line}"


def test_one_action_version_is_pinned_to_one_sha_everywhere(workflows):
    pins: dict[str, set[str]] = {}
    for wf in workflows.values():
        for line in wf.text.splitlines():
            match = PINNED_USES.match(line)
            if match:
                pins.setdefault(match.group(1), set()).add(match.group(2))
    assert pins, "no pinned actions found"
    assert {action: shas for action, shas in pins.items() if len(shas) > 1} == {}


def test_no_workflow_runs_on_pull_request_target(workflows):
    for wf in workflows.values():
        assert "pull_request_target" not in wf.triggers, wf.name
        assert "pull_request_target" not in wf.text, wf.name


def test_every_checkout_drops_the_token(workflows):
    for wf in workflows.values():
        for job_id, job in wf.jobs.items():
            for step in steps(job):
                if uses(step) == "actions/checkout":
                    with_ = step.get("with", {})
                    assert with_.get("persist-credentials") is False, f"{wf.name}.{job_id}"


def test_run_scripts_contain_no_expressions(workflows):
    # Values reach scripts through env:, so nothing (PR titles, branch names) is spliced into bash.
    for wf in workflows.values():
        for job_id, job in wf.jobs.items():
            for step in steps(job):
                assert "${{" not in str(step.get("run", "")), f"{wf.name}.{job_id}: {step}"


def test_id_token_only_on_jobs_that_assume_a_role_and_always_there(workflows):
    for wf in workflows.values():
        for job_id, job in wf.jobs.items():
            has_id_token = (job.get("permissions") or {}).get("id-token") == "write"
            assumes_role = any(uses(step) == AWS_ACTION for step in steps(job))
            assert has_id_token == assumes_role, f"{wf.name}.{job_id}"


def test_aws_credentials_come_only_from_oidc_roles(workflows):
    for wf in workflows.values():
        assert "aws-access-key-id" not in wf.text, wf.name
        assert "aws-secret-access-key" not in wf.text, wf.name
        assert "secrets." not in wf.text, f"{wf.name}: role ARNs are variables, not secrets"
        for job in wf.jobs.values():
            for step in steps(job):
                if uses(step) == AWS_ACTION:
                    assert "role-to-assume" in step["with"], wf.name


def test_jobs_that_write_to_github_never_hold_aws_credentials(workflows):
    for wf in workflows.values():
        for job_id, job in wf.jobs.items():
            perms = job.get("permissions") or {}
            writes = {scope for scope, level in perms.items() if level == "write"}
            assert not (writes - {"id-token"} and "id-token" in writes), f"{wf.name}.{job_id}"


def test_ci_never_touches_aws(workflows):
    ci = workflows["ci"]
    assert "aws-actions/" not in ci.text
    for job in ci.jobs.values():
        assert job["permissions"] == {"contents": "read"}


PR_TRIGGERS = {"pull_request", "pull_request_target"}


def test_no_job_a_pull_request_triggers_can_mint_a_token(workflows):
    for wf in workflows.values():
        if not PR_TRIGGERS & set(wf.triggers):
            continue
        for job_id, job in wf.jobs.items():
            permissions = job.get("permissions") or {}
            assert "id-token" not in permissions, f"{wf.name}.{job_id} can mint an OIDC token"
            assert "aws-actions/" not in str(job), f"{wf.name}.{job_id} configures AWS"


def test_the_pr_plan_runs_the_default_branchs_tool_on_the_pr_files_as_data(workflows):
    plan_aws = workflows["plan-aws"]
    assert set(plan_aws.triggers) == {"workflow_run"}
    assert plan_aws.triggers["workflow_run"]["workflows"] == ["plan"]
    job = plan_aws.jobs["plan"]
    guard = str(job["if"])
    assert "workflow_run.conclusion == 'success'" in guard
    assert "head_repository.full_name == github.repository" in guard  # never for forks
    order = steps(job)
    pr_checkout = next(i for i, s in enumerate(order) if (s.get("with") or {}).get("path") == "pr")
    install = next(i for i, s in enumerate(order) if s.get("run") == "make install")
    assert install < pr_checkout  # the tool is installed from the default branch first
    assert order[pr_checkout]["with"]["persist-credentials"] is False
    for step in order[pr_checkout:]:
        script = str(step.get("run", ""))
        # After the PR's files arrive, only the installed console script runs, from outside pr/.
        for forbidden in ("make ", "pip ", "python", "bash ", "source ", "pr/"):
            assert forbidden not in script, (forbidden, script)
        assert not any(line.strip().startswith("./") for line in script.splitlines()), script
        if script:
            assert "../.venv/bin/smgitops plan" in script


def test_plan_runs_for_every_env_and_posts_one_sticky_comment(workflows):
    plan = workflows["plan-aws"]
    plan_job = plan.jobs["plan"]
    envs = [entry["env"] for entry in plan_job["strategy"]["matrix"]["include"]]
    assert envs == ["staging", "prod"]
    comment_steps = [
        step
        for job in plan.jobs.values()
        for step in steps(job)
        if uses(step) == "marocchino/sticky-pull-request-comment"
    ]
    assert len(comment_steps) == 1
    assert comment_steps[0]["with"]["header"]
    # The PR number comes from GitHub's event, never from a file the PR wrote.
    assert comment_steps[0]["with"]["number"] == (
        "${{ github.event.workflow_run.pull_requests[0].number }}"
    )


def test_plan_runs_for_every_change_that_can_change_a_plan(workflows):
    # Image tags hash container/, the package source and the pins; model tarballs hash models/.
    paths = set(workflows["plan"].triggers["pull_request"]["paths"])
    assert {
        "deployments/**",
        "models/**",
        "container/**",
        "schema/**",
        "src/**",
        "pyproject.toml",
        "requirements/**",
    } <= paths


def test_plan_is_also_written_to_the_job_summary_and_kept_as_json(workflows):
    plan_job = workflows["plan-aws"].jobs["plan"]
    scripts = "\n".join(str(step.get("run", "")) for step in steps(plan_job))
    assert "--format markdown" in scripts
    assert "--out" in scripts
    assert "GITHUB_STEP_SUMMARY" in scripts
    assert any(uses(step) == "actions/upload-artifact" for step in steps(plan_job))


def _job_running(wf, command):
    found = [
        job_id
        for job_id, job in wf.jobs.items()
        if any(command in str(step.get("run", "")) for step in steps(job))
    ]
    assert len(found) == 1, (command, found)
    return found[0]


def test_each_env_applies_in_its_environment_one_at_a_time(workflows):
    deploy = workflows["deploy"]
    for env in ("staging", "prod"):
        job = deploy.jobs[_job_running(deploy, f"smgitops apply --env {env} --yes")]
        assert job["environment"] == env
        assert job["concurrency"]["cancel-in-progress"] is False
        assert env in job["concurrency"]["group"]


def test_prod_is_applied_only_after_staging(workflows):
    deploy = workflows["deploy"]
    staging = _job_running(deploy, "smgitops apply --env staging --yes")
    prod = _job_running(deploy, "smgitops apply --env prod --yes")

    def ancestors(job_id):
        needs = deploy.jobs[job_id].get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        return set(needs).union(*(ancestors(n) for n in needs))

    assert staging in ancestors(prod)
    assert f"needs.{staging}.result == 'success'" in str(
        [deploy.jobs[j].get("if", "") for j in ancestors(prod)]
    )


def test_every_deploy_job_with_prod_credentials_is_behind_the_prod_environment(workflows):
    deploy = workflows["deploy"]
    for job_id, job in deploy.jobs.items():
        if job_id.endswith("-prod"):
            assert job["environment"] == "prod", job_id
    assert deploy.doc["concurrency"]["cancel-in-progress"] is False


def test_images_are_built_only_for_missing_content_tags(workflows):
    deploy = workflows["deploy"]
    tags_job = deploy.jobs[_job_running(deploy, "smgitops image tag --env staging")]
    script = "\n".join(str(step.get("run", "")) for step in steps(tags_job))
    assert "select(.missing)" in script
    images = deploy.jobs["images-staging"]
    assert "fromJSON(needs.tags-" in images["strategy"]["matrix"]["image"]
    build = next(s for s in steps(images) if uses(s) == "docker/build-push-action")
    assert build["with"]["file"] == "container/Dockerfile"
    assert build["with"]["push"] is True
    assert "type=gha" in build["with"]["cache-from"]


def test_prod_never_builds_it_copies_the_images_staging_applied(workflows):
    deploy = workflows["deploy"]
    prod_jobs = {k: j for k, j in deploy.jobs.items() if j.get("environment") == "prod"}
    assert not [
        (job_id, uses(step))
        for job_id, job in prod_jobs.items()
        for step in steps(job)
        if uses(step) == "docker/build-push-action" or "image push" in str(step.get("run", ""))
    ]
    copy_job = _job_running(deploy, "smgitops image copy --env prod")
    assert deploy.jobs[copy_job]["needs"] == "apply-staging"
    assert deploy.jobs["apply-prod"]["needs"] == copy_job


def test_drift_opens_one_issue_per_env_and_fails_on_errors(workflows):
    drift = workflows["drift"]
    assert {"schedule", "workflow_dispatch"} <= set(drift.triggers)
    check = drift.jobs["drift"]["steps"]
    script = "\n".join(str(step.get("run", "")) for step in check)
    assert "smgitops drift" in script
    assert "exit 1" in script
    issue = drift.jobs["issue"]
    assert issue["permissions"] == {"issues": "write"}
    issue_script = "\n".join(str(step.get("run", "")) for step in steps(issue))
    assert "--label drift" in issue_script
    assert "gh issue edit" in issue_script
    assert "GH_TOKEN" in str([step.get("env", {}) for step in steps(issue)])
