"""The emulator's HTTP control API under `/_smgitops/`, and a client for other processes.

Tests that run `smgitops apply` as a subprocess, and benchmarks, use `EmulatorControl(url)`
to set faults and read the call log of an emulator they did not start.

    GET    /_smgitops/health          {"ok": true}
    POST   /_smgitops/reset           clear all AWS state, faults and the call log
    GET    /_smgitops/calls           {"calls": [{"service", "operation", "throttled"}]}
    DELETE /_smgitops/calls           clear the call log
    GET    /_smgitops/faults          the current knobs, {name: value}
    POST   /_smgitops/faults          set knobs, {name: value} for any of `Knobs` (knobs.py);
                                      400 {"error"} naming an unknown knob or a bad value
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import requests

from smgitops.emulator.faults import ApiCall, WsgiApp

if TYPE_CHECKING:
    from smgitops.emulator.server import Emulator

PREFIX = "/_smgitops"


def _json(start_response: Callable[..., Any], status: str, payload: Any) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


class ControlApi:
    """WSGI app: serves `/_smgitops/*` from the emulator, passes everything else on."""

    def __init__(self, emulator: Emulator, app: WsgiApp):
        self._emulator = emulator
        self._app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX + "/"):
            return self._app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        route = path[len(PREFIX) :]
        emulator = self._emulator
        if route == "/health":
            return _json(start_response, "200 OK", {"ok": True})
        if route == "/reset" and method == "POST":
            emulator.reset()
            return _json(start_response, "200 OK", {"ok": True})
        if route == "/calls" and method == "GET":
            calls = [call.__dict__ for call in emulator.calls()]
            return _json(start_response, "200 OK", {"calls": calls})
        if route == "/calls" and method == "DELETE":
            emulator.clear_calls()
            return _json(start_response, "200 OK", {"ok": True})
        if route == "/faults" and method == "GET":
            return _json(start_response, "200 OK", emulator.knobs())
        if route == "/faults" and method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                knobs = json.loads(environ["wsgi.input"].read(length) or b"{}")
                if not isinstance(knobs, dict):
                    raise ValueError("the knobs to set must be a JSON object {name: value}")
                emulator.configure(**knobs)
            except (ValueError, TypeError) as error:
                return _json(start_response, "400 Bad Request", {"error": str(error)})
            return _json(start_response, "200 OK", emulator.knobs())
        return _json(start_response, "404 Not Found", {"error": f"no route {method} {path}"})


class EmulatorControl:
    """Client of a running emulator's control API (for processes that did not start it)."""

    def __init__(self, url: str, timeout: float = 10.0):
        self.url = url.rstrip("/")
        self._timeout = timeout

    def _call(self, method: str, route: str, payload: dict[str, Any] | None = None) -> Any:
        response = requests.request(
            method, f"{self.url}{PREFIX}{route}", json=payload, timeout=self._timeout
        )
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self._call("POST", "/reset")

    def calls(self) -> list[ApiCall]:
        return [ApiCall(**call) for call in self._call("GET", "/calls")["calls"]]

    def clear_calls(self) -> None:
        self._call("DELETE", "/calls")

    def knobs(self) -> dict[str, Any]:
        return self._call("GET", "/faults")

    def configure(self, **knobs: Any) -> dict[str, Any]:
        return self._call("POST", "/faults", knobs)
