"""`make demo` as a newcomer runs it: the whole story offline, ending in the first prediction."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from smgitops.prices.catalog import load_snapshot

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_deploys_changes_and_rolls_back_to_the_first_prediction(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "smgitops", "demo", "--transition-seconds", "0.2"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Demo complete" in result.stderr
    assert "Traceback" not in result.stderr
    # each chapter ran its real command
    for command in (
        "$ smgitops validate",
        "$ smgitops model pin demo-regressor",
        "$ smgitops image push --env staging",
        "$ smgitops apply --env staging --yes",
        "revert --no-edit HEAD",
        "$ smgitops status --env staging",
    ):
        assert command in result.stderr
    # each plan names the quota headroom and the monthly cost of its change (stdout)
    plans = " ".join(result.stdout.split())
    # One ml.m5.large a month at the packaged snapshot's price (refreshing it moves the figures).
    one = load_snapshot().hourly("us-east-1", "ml.m5.large") * 730
    assert f"cost $0.00 -> ${one:,.2f} a month on demand (+${one:,.2f})" in plans  # first deploy
    assert f"cost ${one:,.2f} -> ${2 * one:,.2f} a month on demand (+${one:,.2f})" in plans
    assert "quota ml.m5.large: 1 more at once (1 at the peak), 8 of 8 free" in plans
    assert (
        f"Monthly on-demand cost: +${one:,.2f} (730 h a month at the us-east-1 prices of" in plans
    )
    # the rollback restores the pinned bytes from the store: no training after the revert
    rollback = result.stderr[result.stderr.index("revert --no-edit HEAD") :]
    assert "$ smgitops model fetch demo-regressor" in rollback
    assert "train.py" not in rollback
    # the checkout itself was not modified: the demo works on a scratch copy
    assert (
        not (REPO_ROOT / "deployments/staging/demo-regressor.yaml")
        .read_text()
        .count("instanceCount: 2")
    )
