"""pytest plugin loaded into moto's own test run (testkit/moto_suite.py), not into ours.

- Writes each test's outcome as a JSON line to $MOTO_SUITE_REPORT: failed if any phase failed,
  else skipped or passed.
- moto's tests reach moto's `/moto-api/` at a fixed `http://localhost:5000` in server mode;
  those requests go to $TEST_SERVER_MODE_ENDPOINT, the emulator on its free port.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import requests

_FIXED = "http://localhost:5000"
_outcomes: dict[str, str] = {}


def _redirected(request: Any) -> Any:
    def send(self: requests.Session, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if isinstance(url, str) and url.startswith(_FIXED + "/"):
            url = os.environ["TEST_SERVER_MODE_ENDPOINT"] + url[len(_FIXED) :]
        return request(self, method, url, *args, **kwargs)

    return send


def pytest_configure(config: pytest.Config) -> None:
    requests.Session.request = _redirected(requests.Session.request)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    current = _outcomes.get(report.nodeid)
    if report.failed:
        _outcomes[report.nodeid] = "failed"
    elif current is None or (report.when == "call" and current != "failed"):
        _outcomes[report.nodeid] = "skipped" if report.skipped else "passed"
    elif report.skipped and current != "failed":
        _outcomes[report.nodeid] = "skipped"


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get("MOTO_SUITE_REPORT")
    if not path:
        return
    with open(path, "w") as handle:
        for test, outcome in _outcomes.items():
            handle.write(json.dumps({"test": test, "outcome": outcome}) + "\n")
