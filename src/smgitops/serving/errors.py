"""Errors of the serving stack. A `status_code` attribute chooses the HTTP status.

User handlers may raise these (or any exception with an integer `status_code`) to answer
with a 4xx instead of 500.
"""

from __future__ import annotations


class InferenceError(Exception):
    """A request failed; the message is what the caller sees (one line)."""

    status_code = 500


class UnsupportedContentType(InferenceError):
    status_code = 415


class UnsupportedAccept(InferenceError):
    status_code = 406


class BadRequest(InferenceError):
    status_code = 400


class ModelLoadError(Exception):
    """The user module could not be loaded or model_fn failed; the message is one line."""
