"""`smgitops validate`: check manifests and env settings without touching AWS."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from smgitops import exitcodes
from smgitops.commands.options import output_format
from smgitops.console import err, out


def _shown(file: str, repo_root: Path, cwd: Path) -> str:
    """A problem's file relative to the current directory (the repo root when run there)."""
    return os.path.relpath(repo_root / file, cwd) if not Path(file).is_absolute() else file


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@output_format(
    "text", "json", help_text="text: one line per problem on stderr; json: a report on stdout."
)
def validate(paths: tuple[Path, ...], output_format: str) -> None:
    """Check manifests against the schema and SageMaker's rules; exit 1 if anything is wrong.

    PATHS are manifests, `_env.yaml` files or env folders; default: every env under
    deployments/. Each problem is one line, `file:line:col: field: what is wrong (allowed:
    ...)`, followed by a count. Nothing is sent to AWS and model code is parsed, not run.
    Warnings (exit 0) name imports of a model's code that its serving image does not install.

    \b
    Example:
      smgitops validate
      smgitops validate deployments/prod/churn.yaml
      smgitops validate --format json deployments/staging
    """
    from smgitops.errors import UserError
    from smgitops.manifest import check_paths, find_repo_root
    from smgitops.manifest.loader import DEPLOYMENTS_DIR
    from smgitops.manifest.problems import summary

    cwd = Path.cwd()
    repo_root = find_repo_root(cwd)
    targets = list(paths) or [repo_root / DEPLOYMENTS_DIR]
    try:
        report = check_paths(repo_root, targets)
    except OSError as error:  # unreadable folder or file: the user's environment, not a bug
        raise UserError(f"cannot read {error.filename or 'a file'}: {error.strerror}") from None
    if output_format == "json":
        out(
            json.dumps(
                {
                    "valid": not report.problems,
                    "files": list(report.files),
                    "problems": [problem.as_json() for problem in report.problems],
                    "warnings": [warning.as_json() for warning in report.warnings],
                },
                indent=2,
            )
        )
    else:
        for warning in report.warnings:
            shown = _shown(warning.file, repo_root, cwd)
            err.print(
                f"{shown}:{warning.line}:{warning.column}: warning: {warning.message}", markup=False
            )
        for problem in report.problems:
            err.print(problem.render(_shown(problem.file, repo_root, cwd)), markup=False)
        if report.problems:
            err.print(summary(report.problems), markup=False)
        else:
            noun = "file" if len(report.files) == 1 else "files"
            count = len(report.warnings)
            warned = f", {count} warning{'s' if count != 1 else ''}" if count else ""
            err.print(f"{len(report.files)} {noun} valid{warned}", markup=False)
    if report.problems:
        raise SystemExit(exitcodes.ERROR)
