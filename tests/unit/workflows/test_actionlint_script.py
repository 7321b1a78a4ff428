"""actionlint, the lint step `make lint` runs on every workflow: it must catch what we rely on
it for (script injection, broken expressions) and accept the contexts our workflows use."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

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


def run_actionlint(*paths: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """actionlint as `make lint` runs it; it names files relative to `cwd` where it can."""
    binary = Path(sys.executable).parent / "actionlint"
    if not binary.exists():
        pytest.skip("actionlint is not installed: `make install` (or `make test`)")
    return subprocess.run(
        [str(binary), "-no-color", *map(str, paths)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_untrusted_input_in_a_script_is_reported_with_file_line_and_column(tmp_path):
    workflow = tmp_path / "unsafe.yml"
    workflow.write_text(UNSAFE)
    result = run_actionlint(workflow, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("unsafe.yml:7:24: ")
    assert "potentially untrusted" in result.stdout


def test_configuration_variables_are_not_reported(tmp_path):
    workflow = tmp_path / "vars.yml"
    workflow.write_text(USES_VARS)
    result = run_actionlint(workflow)
    assert result.returncode == 0, result.stdout


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="shellcheck is not on the PATH")
def test_run_scripts_are_checked_by_shellcheck(tmp_path):
    workflow = tmp_path / "unquoted.yml"
    workflow.write_text(USES_VARS.replace('echo "$REGION"', "cd $HOME && ls $REGION"))
    result = run_actionlint(workflow)
    assert result.returncode == 1
    assert "shellcheck reported issue" in result.stdout and "SC2086" in result.stdout


def test_the_repository_workflows_are_clean():
    result = run_actionlint(*sorted((ROOT / ".github" / "workflows").glob("*.yml")))
    assert result.returncode == 0, result.stdout
