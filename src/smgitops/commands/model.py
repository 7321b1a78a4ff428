"""`smgitops model ...`: work with one model folder under models/."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from smgitops.commands.model_artifacts import fetch, gc, package, pin, publish
from smgitops.console import err
from smgitops.errors import ConfigError, UserError


@click.group("model")
def model() -> None:
    """Test, pin, package and publish the models under models/.

    \b
    Example:
      python models/demo-regressor/train.py
      smgitops model test demo-regressor
      smgitops model pin demo-regressor
    """


@model.command("test")
@click.argument("name")
@click.option(
    "--payload",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Request body file (default: the first file in models/NAME/payloads/).",
)
@click.option(
    "--content-type",
    default=None,
    help="Request content type (default: from the payload's suffix: .csv, .json, .npy).",
)
@click.option(
    "--accept",
    default="application/json",
    show_default=True,
    help="Accept header of the request.",
)
def test(name: str, payload: Path | None, content_type: str | None, accept: str) -> None:
    """Run a sample payload through models/NAME/ in-process and over HTTP; they must agree.

    Both run in the model's serving environment: a virtualenv with exactly what the serving
    image installs (its requirements.txt under requirements/models.txt, requirements/serve.txt,
    the image's Python version), built once and reused while those files stay the same, so a
    package requirements.txt lacks fails here, not on SageMaker. The model directory is laid
    out as SageMaker extracts model.tar.gz (artifact files at the root, code under code/). The
    payload goes through model_fn -> input_fn -> predict_fn -> output_fn called directly, then
    through the real serving stack (`smgitops serve`) on a local port. Both responses are shown
    on stderr, the body on stdout; exit 1 if either fails or they differ.

    \b
    Example:
      python models/demo-regressor/train.py
      smgitops model test demo-regressor
      smgitops model test demo-regressor --payload models/demo-regressor/payloads/two-rows.csv \\
        --accept text/csv
    """
    from smgitops.artifacts import model_env
    from smgitops.serving import localcheck

    model_folder = Path("models") / name
    if not model_env.inside():
        localcheck.check_model_folder(model_folder)
        _check_like_validate(Path.cwd(), name)
        python = localcheck.serving_environment(Path.cwd(), model_folder, err.print)
        arguments = [name, "--accept", accept]
        arguments += ["--payload", str(payload)] if payload else []
        arguments += ["--content-type", content_type] if content_type else []
        raise SystemExit(localcheck.run_inside(python, ["model", "test", *arguments]))
    payload = payload or localcheck.default_payload(model_folder)
    content_type = content_type or localcheck.content_type_for(payload)
    body = payload.read_bytes()
    err.print(f"payload {payload} ({content_type}, {len(body)} bytes), accept {accept}")
    with tempfile.TemporaryDirectory(prefix=f"smgitops-{name}-") as scratch:
        model_dir = localcheck.build_model_dir(model_folder, Path(scratch) / "model")
        with localcheck.shown_as(model_dir, model_folder):
            local = localcheck.answer_in_process(model_dir, body, content_type, accept)
            err.print(
                f"in-process: {local.content_type}: {localcheck.show(local.body)}", markup=False
            )
            remote = localcheck.answer_over_http(model_dir, body, content_type, accept)
        err.print(
            f"http {remote.status}: {remote.content_type}: {localcheck.show(remote.body)}",
            markup=False,
        )
    mismatch = localcheck.difference(local, remote)
    if mismatch is not None:
        raise UserError(f"in-process and HTTP responses differ: {mismatch}")
    err.print("ok: in-process and HTTP responses match")
    click.echo(local.body, nl=not local.body.endswith(b"\n"))


def _check_like_validate(repo_root: Path, name: str) -> None:
    """What `validate` says of the model folder: its warnings (imports the image lacks) on
    stderr, then its problem (handlers, requirements pinned and locked) as a ConfigError."""
    from smgitops.manifest.model_folder import REQUIREMENTS, model_problem
    from smgitops.manifest.model_imports import missing_imports

    requirements = f"models/{name}/{REQUIREMENTS}"
    for missing in missing_imports(repo_root, repo_root / "models" / name):
        where = f"{missing.file}:{missing.line}:{missing.column}"
        err.print(f"{where}: warning: {missing.message(requirements)}", markup=False)
    problem = model_problem(repo_root, name)
    if problem:
        raise ConfigError(problem)


# Packaging and publishing live with the artifact code; listed here under `smgitops model`.
model.add_command(pin)
model.add_command(fetch)
model.add_command(gc)
model.add_command(package)
model.add_command(publish)
