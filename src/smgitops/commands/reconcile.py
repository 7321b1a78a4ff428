"""`smgitops plan | apply | drift | invoke`: the reconcile commands."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.markup import escape

from smgitops import exitcodes
from smgitops.commands.options import ENV, output_format
from smgitops.console import err, is_interactive, out, plan_out

_ENV = ENV
_FORMAT = output_format(
    "text",
    "markdown",
    "json",
    help_text="text for people, markdown for a PR comment, json for machines: all on stdout "
    "(progress goes to stderr).",
)


def _progress():
    started = time.monotonic()

    def report(subject: str, message: str) -> None:
        elapsed = time.monotonic() - started
        err.print(f"[dim]{elapsed:6.1f}s[/] [bold]{escape(subject)}[/]: {escape(message)}")

    return report


def _render(planned_plan, output_format: str) -> None:
    from smgitops.core import report

    if output_format == "text":
        plan_out.print(report.render_text(planned_plan, markup=True))
    elif output_format == "markdown":
        out(report.render_markdown(planned_plan))
    else:
        out(report.render_json(planned_plan))


@click.command("plan")
@_ENV
@_FORMAT
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save the plan as JSON, for `apply --plan FILE` and CI artifacts.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when nothing changes, 2 when changes are planned, 1 on error.",
)
def plan(env_name: str, output_format: str, out_file: Path | None, detailed_exitcode: bool) -> None:
    """Show what apply would create, update or delete in an env, and why.

    Reads git and SageMaker; changes nothing. Without --detailed-exitcode it exits 0 on
    success and 1 on error; with it, 2 means "changes present" (Terraform's convention; note
    that a usage error also exits 2).

    \b
    Example:
      smgitops plan --env staging
      smgitops plan --env prod --format markdown --out plan-prod.json
    """
    from smgitops.aws.clients import aws_errors
    from smgitops.core import report
    from smgitops.errors import UserError
    from smgitops.reconcile import make_plan, with_preflight

    with aws_errors("reading live state"):
        planned = with_preflight(make_plan(Path.cwd(), env_name))
    _render(planned.plan, output_format)
    if out_file is not None:
        try:
            out_file.write_text(report.render_json(planned.plan))
        except OSError as error:
            raise UserError(f"cannot save the plan to {out_file}: {error.strerror}") from None
        err.print(f"plan saved to {out_file}")
    if planned.plan.errors:
        sys.exit(exitcodes.ERROR)
    if detailed_exitcode and planned.plan.has_changes:
        sys.exit(exitcodes.CHANGES)


# A plan of a few hundred endpoints is a few megabytes of JSON.
MAX_PLAN_BYTES = 64 * 1024 * 1024


def _read_saved_plan(saved_file: Path, env_name: str) -> dict:
    """The plan `apply --plan` applies, checked; UserError (one line: the file, what is
    wrong, the remedy) when it is not a plan of this env as `plan --out` writes it."""
    from smgitops.aws.state import StateProblem, parse_json
    from smgitops.core.pins import recorded_packages
    from smgitops.core.report import saved_plan_problem
    from smgitops.errors import UserError
    from smgitops.paths import Refusal, read_bounded

    remedy = f"run `smgitops plan --env {env_name} --out {saved_file}` again and review it"
    data = read_bounded(saved_file, MAX_PLAN_BYTES, subject=f"plan {saved_file}")
    if isinstance(data, Refusal):
        raise UserError(f"{data.message}; {remedy}")
    try:
        document = parse_json(data)
        problem = saved_plan_problem(document, env_name)
        if problem is not None:
            raise StateProblem(problem)
        recorded_packages(document)  # every recorded resolution is readable
    except ValueError as problem:  # StateProblem is one
        raise UserError(f"plan {saved_file} cannot be applied ({problem}); {remedy}") from None
    return document


def _refuse_stale(saved_file: Path, saved: dict, current: dict) -> None:
    """Refuse a saved plan that differs from the one just made (the preflight aside: quotas,
    in-service counts and prices move with other envs, and are the plan's review aids)."""
    from smgitops.core.report import without_preflight
    from smgitops.errors import UserError

    if without_preflight(saved) != without_preflight(current):
        raise UserError(
            f"plan {saved_file} is stale: git or live state changed since it was made; "
            "run `smgitops plan` again and review it"
        )


@click.command("apply")
@_ENV
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Apply exactly this saved plan (it was reviewed: no prompt); refused when live "
    "state moved since.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--break-lock",
    is_flag=True,
    help="Take the env's apply lock even though another apply holds it (only when that one died).",
)
def apply(env_name: str, plan_file: Path | None, yes: bool, break_lock: bool) -> None:
    """Make SageMaker match the env's manifests: create, update, shift traffic, smoke test.

    Packages and uploads missing model tarballs, then applies the plan; independent
    endpoints run in parallel. A failed smoke test rolls that endpoint back to its previous
    config. Superseded models/configs are garbage collected (the previous one is kept for
    `git revert`). Prompts only on a terminal; without one, --yes (or --plan FILE) is
    required. Exit 1 when any endpoint did not converge, 130 when interrupted (re-run to
    converge).

    One apply per env at a time: a second one refuses, naming the running one. A lock left by
    a killed apply on this machine is taken over automatically; elsewhere use --break-lock.

    \b
    Example:
      smgitops apply --env staging --yes
      smgitops plan --env prod --out plan.json && smgitops apply --env prod --plan plan.json
      smgitops apply --env staging --yes --break-lock
    """
    try:
        _apply(env_name, plan_file, yes, break_lock)
    except KeyboardInterrupt:
        err.print(
            "[red]interrupted[/]: no new work was started; changes already sent to SageMaker "
            "continue there (the old config keeps serving until they finish). "
            "Re-run apply to converge."
        )
        sys.exit(exitcodes.INTERRUPTED)


def _report_interrupt(interrupted) -> None:
    from smgitops.aws.apply import Outcome

    for result in interrupted.results:
        if result.outcome is Outcome.INTERRUPTED:
            err.print(f"[yellow]{result.endpoint}: in flight[/]: {escape(result.message)}")
        elif not result.ready:
            err.print(
                f"[red]{result.endpoint}: {result.outcome.value}[/]: {escape(result.message)}"
            )
    for name in interrupted.not_started:
        err.print(f"{name}: not started")


def _apply(env_name: str, plan_file: Path | None, yes: bool, break_lock: bool) -> None:
    from smgitops.artifacts.publish import ensure_bucket
    from smgitops.aws import lock
    from smgitops.aws.apply import ApplyInterrupted
    from smgitops.aws.clients import aws_errors
    from smgitops.aws.reader import Clients
    from smgitops.core import report
    from smgitops.core.pins import recorded_packages
    from smgitops.errors import ApplyFailed, UserError
    from smgitops.reconcile import (
        DIRTY_SUFFIX,
        apply_planned,
        current_commit,
        plan_prepared,
        prepare,
        uncommitted,
    )

    repo_root = Path.cwd()
    saved = _read_saved_plan(plan_file, env_name) if plan_file is not None else None
    recorded = recorded_packages(saved) if saved is not None else None
    with aws_errors("pinning images and model sources"):  # reads ECR, S3, the Model Registry
        prepared = prepare(repo_root, env_name, recorded)
    settings = prepared.settings
    clients = Clients.for_region(settings.region)
    commit = current_commit(repo_root)
    holder = lock.this_process(env_name, commit)
    with aws_errors("taking the apply lock"):
        ensure_bucket(clients.s3, settings)
        env_lock = lock.acquire(clients.s3, settings, holder, break_lock=break_lock, say=err.print)
    # Released on every way out, Ctrl-C included (a SIGKILL leaves it: see aws/lock.py).
    with env_lock:
        with aws_errors("reading live state"):
            planned = plan_prepared(prepared, clients)
        if plan_file is not None and saved is not None:
            _refuse_stale(plan_file, saved, report.plan_document(planned.plan))
        plan_out.print(report.render_text(planned.plan, markup=True))
        if planned.plan.errors:
            raise UserError(planned.plan.errors[0])
        dirty = uncommitted(repo_root) if commit.endswith(DIRTY_SUFFIX) else ()
        if planned.plan.has_changes and dirty:
            shown = ", ".join(dirty[:3]) + (f" and {len(dirty) - 3} more" if len(dirty) > 3 else "")
            err.print(
                f"warning: uncommitted changes are applied ({shown}); the endpoints record "
                f"commit {commit}: commit them for a deploy git can reproduce",
                markup=False,
            )
        if planned.plan.has_changes and not yes and plan_file is None:
            if not is_interactive():
                raise UserError("no terminal to confirm on: pass --yes (or --plan FILE) to apply")
            click.confirm("Apply these changes?", abort=True, err=True)
        try:
            with aws_errors("applying"):
                results, collected = apply_planned(
                    planned, repo_root, _progress(), clients, commit=commit
                )
        except ApplyInterrupted as interrupted:
            _report_interrupt(interrupted)
            raise KeyboardInterrupt from None
    for item in collected:
        err.print(f"garbage collected {item}")
    failed = [r for r in results if not r.ready]
    for result in failed:
        retry = " (transient: re-running apply may converge)" if result.outcome.retryable else ""
        err.print(
            f"[red]{result.endpoint}: {result.outcome.value}[/]: {escape(result.message)}{retry}"
        )
    if failed:
        raise ApplyFailed(f"{len(failed)} of {len(results)} endpoint(s) did not converge")
    changed = sum(1 for r in results if r.changed)
    err.print(f"[green]Apply complete[/]: {changed} endpoint(s) changed, {len(results)} in env.")


@click.command("drift")
@_ENV
@_FORMAT
def drift(env_name: str, output_format: str) -> None:
    """Compare live SageMaker with git; exit 2 when they differ, 0 when they match.

    Instance counts owned by autoscaling are not drift. The report is the plan that would
    bring SageMaker back to git.

    \b
    Example:
      smgitops drift --env prod --format markdown
    """
    from smgitops.aws.clients import aws_errors
    from smgitops.reconcile import make_plan

    with aws_errors("reading live state"):
        planned = make_plan(Path.cwd(), env_name)
    _render(planned.plan, output_format)
    if planned.plan.errors:
        sys.exit(exitcodes.ERROR)
    if planned.plan.has_changes or planned.plan.orphans:
        err.print(f"drift detected in {env_name}")
        sys.exit(exitcodes.DRIFT)
    err.print(f"no drift in {env_name}")


@click.command("invoke")
@_ENV
@click.argument("name")
@click.option("--content-type", required=True, help="MIME type of the body, e.g. text/csv.")
@click.option("--body", help="Request body as text.")
@click.option(
    "--body-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the request body from this file.",
)
@click.option("--accept", help="Wanted response type, e.g. application/json.")
@click.option("--target-variant", help="Send to this production variant.")
def invoke(
    env_name: str,
    name: str,
    content_type: str,
    body: str | None,
    body_file: Path | None,
    accept: str | None,
    target_variant: str | None,
) -> None:
    """Send a payload to a deployed endpoint and print the response body on stdout.

    NAME is the manifest's metadata.name; the endpoint name is resolved from the manifest.

    \b
    Example:
      smgitops invoke --env staging demo-regressor --content-type text/csv \\
          --body 1.0,2.0,3.2,2.2,1.23,11.5
    """
    from smgitops.aws.clients import aws_errors, check_account, client
    from smgitops.aws.smoke import Invocation
    from smgitops.aws.smoke import invoke as send
    from smgitops.errors import UserError
    from smgitops.manifest import load_env

    if (body is None) == (body_file is None):
        raise click.UsageError("give exactly one of --body and --body-file")
    payload = body.encode() if body is not None else body_file.read_bytes()
    desired = load_env(Path.cwd(), env_name)
    check_account(desired.settings.account_id, env_name, desired.settings.region)
    spec = next((e for e in desired.endpoints if e.name == name), None)
    if spec is None:
        known = ", ".join(sorted(e.name for e in desired.endpoints)) or "none"
        raise UserError(f"no manifest named {name} in env {env_name} (known: {known})")
    request = Invocation(content_type, payload, accept=accept, target_variant=target_variant)
    with aws_errors(f"invoking {spec.endpoint_name}"):
        result = send(
            client("sagemaker-runtime", desired.settings.region), spec.endpoint_name, request
        )
    if result.status != 200:
        raise UserError(
            f"{spec.endpoint_name} answered {result.status}: {result.body.decode(errors='replace')}"
        )
    sys.stdout.buffer.write(result.body + (b"" if result.body.endswith(b"\n") else b"\n"))
    sys.stdout.flush()
