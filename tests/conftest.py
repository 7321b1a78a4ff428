"""Shared fixtures: the offline AWS that integration tests talk to.

- `emulator` (session): one `smgitops.emulator.Emulator` on a free port. For the whole session
  boto3 reaches it through AWS_ENDPOINT_URL, region us-east-1 and dummy credentials, so code
  under test (and subprocesses such as `smgitops apply`) needs no special casing.
  Endpoint transitions (Creating -> InService, ...) take TRANSITION_SECONDS; an update's
  bakes are waited out at WAIT_SCALE (a 300 s canary bake takes 3 s); apply's waiter polls
  first after POLL_SECONDS (SMGITOPS_POLL_SECONDS), not after a second as against AWS.
  Under pytest-xdist every worker has its own emulator: nothing is shared between workers.
- `aws` (function): the same emulator after `reset()`: no AWS resources, faults or call log
  left over from an earlier test. Use it in every test that touches AWS.

Knobs on the yielded emulator: `configure(...)`, `fail_next_updates()`, `calls()`; see
docs/emulator.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

if TYPE_CHECKING:
    from smgitops.emulator import Emulator

REGION = "us-east-1"
TRANSITION_SECONDS = 0.1
WAIT_SCALE = 0.01
POLL_SECONDS = 0.05
TIERS = {"integration": "integration", "e2e": "e2e"}
# `make test-slow` runs the fuzz tests with many more examples than `make test` does.
settings.register_profile("default", max_examples=50, deadline=None)
settings.register_profile("long", max_examples=2000, deadline=None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its folder's tier (tests/integration, tests/e2e)."""
    for item in items:
        parts = item.path.parts
        for folder, marker in TIERS.items():
            if folder in parts and "tests" in parts:
                item.add_marker(marker)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Figures a test recorded (`record_property("figures", ...)`), e.g. moto's suite's counts."""
    for report in terminalreporter.getreports("passed") + terminalreporter.getreports("failed"):
        for name, value in report.user_properties:
            if name == "figures":
                terminalreporter.write_sep("-", f"figures: {report.nodeid}")
                terminalreporter.write_line(str(value))


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    # Imported here so unit-test-only runs never import moto.
    from smgitops.emulator import Emulator

    env = pytest.MonkeyPatch()
    try:
        with Emulator(
            port=0, transition_seconds=TRANSITION_SECONDS, wait_scale=WAIT_SCALE
        ) as running:
            env.setenv("AWS_ENDPOINT_URL", running.url)
            env.setenv("SMGITOPS_POLL_SECONDS", str(POLL_SECONDS))
            env.setenv("AWS_DEFAULT_REGION", REGION)
            env.setenv("AWS_ACCESS_KEY_ID", "testing")
            env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
            # Keep a developer's own AWS profile and config files, and a GitHub token that
            # would make bootstrap read the real GitHub API, out of the tests.
            for name in (
                "AWS_PROFILE",
                "AWS_SESSION_TOKEN",
                "AWS_SECURITY_TOKEN",
                "GH_TOKEN",
                "GITHUB_TOKEN",
                "GITHUB_API_URL",
            ):
                env.delenv(name, raising=False)
            env.setenv("AWS_CONFIG_FILE", "/nonexistent/smgitops-tests/config")
            env.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/smgitops-tests/credentials")
            yield running
    finally:
        env.undo()


@pytest.fixture
def aws(emulator: Emulator) -> Iterator[Emulator]:
    emulator.reset()
    yield emulator
