"""Errors a user causes: typed, carrying their exit code, printed as one line by the CLI.

Bugs are not caught: they raise with a traceback so they get reported and fixed.
"""

from __future__ import annotations

import click

from smgitops import exitcodes


class UserError(click.ClickException):
    """A problem with input or environment the user can fix; one `Error: ...` line, exit 1."""

    exit_code = exitcodes.ERROR


class ConfigError(UserError):
    """Manifests, env settings or model folders are missing or invalid."""


class AwsError(UserError):
    """An AWS call failed in a way retries could not fix (access denied, quota, ...)."""


class ApplyFailed(UserError):
    """An apply ran but at least one endpoint did not converge; details were already printed."""
