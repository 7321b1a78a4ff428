"""Workflow files, parsed once per session for the invariant tests in this folder."""

from __future__ import annotations

import pytest

from .workflow_files import Workflow, load_workflows


@pytest.fixture(scope="session")
def workflows() -> dict[str, Workflow]:
    return load_workflows()
