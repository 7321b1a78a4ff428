"""`smgitops status`: what is live in an env, endpoint by endpoint (Helm's `status`)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from smgitops.commands.options import ENV, output_format
from smgitops.console import err, out, plan_out


@click.command("status")
@ENV
@output_format("text", "json", help_text="text for people, json for machines (both on stdout).")
@click.argument("name", required=False)
def status(env_name: str, output_format: str, name: str | None) -> None:
    """Show what is live: per endpoint its status, endpoint config, image (by digest), model
    data, the commit that applied it, whether its smoke test passed on that config, and the
    last apply's outcome (from the env's history). NAME limits it to one manifest's endpoint;
    without NAME, the endpoints of the env's manifests and those it manages without one.
    Reads AWS only.

    \b
    Example:
      smgitops status --env staging
      smgitops status --env prod demo-regressor --format json
    """
    from smgitops.aws.clients import aws_errors, check_account
    from smgitops.aws.history import read_history, unreadable_note
    from smgitops.aws.inventory import read_inventory
    from smgitops.aws.reader import Clients
    from smgitops.aws.state import StateCorrupt
    from smgitops.errors import UserError
    from smgitops.manifest import load_env

    desired = load_env(Path.cwd(), env_name)
    settings = desired.settings
    names = [e.endpoint_name for e in desired.endpoints if name in (None, e.name)]
    if name is not None and not names:
        known = ", ".join(sorted(e.name for e in desired.endpoints)) or "none"
        raise UserError(f"no manifest named {name} in env {env_name} (known: {known})")
    check_account(settings.account_id, env_name, settings.region)
    # A corrupt inventory or history is noted; status shows what it can without them.
    notes = []
    with aws_errors(f"reading the status of env {env_name}"):
        clients = Clients.for_region(settings.region)
        if name is None:
            try:
                names += sorted(set(read_inventory(clients.s3, settings)) - set(names))
            except StateCorrupt as corrupt:
                notes.append(f"note: {corrupt.message} (endpoints only it names are not shown)")
        history = read_history(clients.s3, settings)
        if history.problem:
            notes.append(unreadable_note(settings, history))
        rows = [_row(clients.sagemaker, endpoint, history) for endpoint in names]
    if output_format == "json":
        for note in notes:
            err.print(escape(note))
        out(json.dumps({"env": env_name, "endpoints": rows}, indent=2, sort_keys=True))
        return
    for note in notes:
        plan_out.print(escape(note))
    for row in rows:
        plan_out.print(escape(_text(row)))
    if not rows:
        plan_out.print(f"env {env_name} has no endpoints")


def _row(sagemaker: Any, endpoint: str, history: Any) -> dict[str, Any]:
    from smgitops.aws.reader import describe_endpoint, read_config
    from smgitops.core import naming

    live = describe_endpoint(sagemaker, endpoint)
    last = history.last(endpoint)
    row: dict[str, Any] = {
        "endpoint": endpoint,
        "status": live.status if live else "absent",
        "last_apply": None if last is None else asdict(last),
    }
    if live is None:
        return row
    tags = live.tag_map
    row.update(
        endpoint_config=live.config_name,
        commit=tags.get(naming.TAG_COMMIT),
        manifest=tags.get(naming.TAG_MANIFEST),
        smoke_tested=tags.get(naming.TAG_SMOKE_TESTED) == live.config_name,
        failure_reason=live.failure_reason,
    )
    config = read_config(sagemaker, live.config_name)
    if config is None:
        row["failure_reason"] = "its endpoint config or model was deleted outside smgitops"
    elif config.models:
        row.update(image=config.models[0].image_uri, model_data=config.models[0].model_data_url)
    return row


def _text(row: dict[str, Any]) -> str:
    lines = [f"{row['endpoint']}  {row['status']}"]
    if "endpoint_config" in row:
        tested = "smoke test passed" if row["smoke_tested"] else "smoke test not passed on it"
        lines.append(
            f"    config {row['endpoint_config']} (commit {row['commit'] or 'unknown'}, {tested})"
        )
        for key in ("image", "model_data", "failure_reason"):
            if row.get(key):
                lines.append(f"    {key.replace('_', ' ')} {row[key]}")
    last = row["last_apply"]
    if last is not None:
        lines.append(
            f"    last apply {last['at']} (commit {last['commit']}): {last['outcome']}: "
            f"{last['message']}"
        )
    return "\n".join(lines)
