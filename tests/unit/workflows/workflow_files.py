"""The repository's workflow files as data: parsed YAML plus raw text (for pin comments)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

WORKFLOWS_DIR = Path(__file__).resolve().parents[3] / ".github" / "workflows"


@dataclass(frozen=True)
class Workflow:
    name: str  # file stem: ci, plan, deploy, drift
    text: str
    doc: dict[str, Any]

    @property
    def triggers(self) -> dict[str, Any]:
        # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
        on = self.doc.get("on", self.doc.get(True))
        if isinstance(on, str):
            return {on: None}
        if isinstance(on, list):
            return dict.fromkeys(on)
        return on

    @property
    def jobs(self) -> dict[str, dict[str, Any]]:
        return self.doc["jobs"]


def load_workflows() -> dict[str, Workflow]:
    workflows = {}
    for path in sorted(WORKFLOWS_DIR.glob("*.yml")):
        text = path.read_text()
        workflows[path.stem] = Workflow(path.stem, text, yaml.safe_load(text))
    return workflows


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def uses(step: dict[str, Any]) -> str:
    """The action a step uses, without its pin (`actions/checkout`), or ''."""
    return str(step.get("uses", "")).split("@")[0]
