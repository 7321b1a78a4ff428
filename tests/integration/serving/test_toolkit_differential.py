"""The differential test against AWS's own toolkit (bench/toolkit_differential.py).

Every script in bench/toolkit_variants/ is served by sagemaker-inference on Multi Model
Server and by `smgitops serve`, and each answer must be identical or a difference
docs/serving.md documents as better. Slow: it starts a JVM per variant and, on first use,
installs the toolkit into bench/serving.py's virtualenv.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

HARNESS = Path(__file__).resolve().parents[3] / "bench" / "toolkit_differential.py"


@pytest.mark.skipif(shutil.which("java") is None, reason="Multi Model Server needs Java 17")
def test_every_answer_is_the_toolkits_or_documented_as_better(tmp_path):
    outcomes = tmp_path / "outcomes.json"
    result = subprocess.run(
        [sys.executable, str(HARNESS), "--json", str(outcomes)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert summary.endswith(" 0 divergent"), summary
