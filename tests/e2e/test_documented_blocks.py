"""The command blocks of README.md and docs/*.md, run as a reader runs them.

For each file, its blocks marked RUN in tests/testkit/documented_blocks.py run in order as one
`set -euo pipefail` bash script in a scratch clone of the repository (tests/testkit/scratch.py),
with the venv's bin first on the PATH. The script gets no AWS variables, credentials or config
from the caller: the emulator is the one the doc starts itself (`smgitops emulator --port 0`, a
free port), so a command the doc shows before its emulator setup fails. Set for speed only:
SMGITOPS_POLL_SECONDS (apply's waiter polls every 0.05 s instead of every second). When the
script ends, its process group (the emulator and servers it started) is stopped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testkit.docblocks import MARKER, ROOT, blocks, script
from testkit.scratch import scratch_clone

DOCS_WITH_RUN_BLOCKS = sorted({block.doc for block in blocks() if script(block.doc)[1]})
# Never handed to the script: a caller's AWS identity, endpoint and GitHub token.
WITHHELD = ("AWS_", "GH_", "GITHUB_", "SMGITOPS_", "VIRTUAL_ENV", "PYTHONPATH")


def _environment(tmp: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(WITHHELD)}
    (tmp / "tmp").mkdir()
    environ.update(
        PATH=f"{Path(sys.prefix) / 'bin'}{os.pathsep}{environ.get('PATH', '/usr/bin:/bin')}",
        TMPDIR=str(tmp / "tmp"),
        NO_COLOR="1",
        # No AWS but the emulator the doc starts: no config files, no instance metadata.
        AWS_CONFIG_FILE=str(tmp / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        SMGITOPS_POLL_SECONDS="0.05",
        GIT_AUTHOR_NAME="ds",
        GIT_AUTHOR_EMAIL="ds@example.com",
        GIT_COMMITTER_NAME="ds",
        GIT_COMMITTER_EMAIL="ds@example.com",
    )
    return environ


def _stop_group(pgid: int) -> None:
    """SIGTERM to what the script left running (the emulator stops its model servers), then
    SIGKILL to anything still there after 20 s."""
    for signum, patience in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, signum)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS_WITH_RUN_BLOCKS)
def test_the_documented_blocks_run_as_written(doc, tmp_path, record_property):
    text, run, skipped = script(doc)
    clone = scratch_clone(ROOT, tmp_path / "clone")
    (tmp_path / "script.sh").write_text(text)
    log = tmp_path / "output.log"
    started = time.monotonic()
    with log.open("w") as output:
        process = subprocess.Popen(
            ["bash", str(tmp_path / "script.sh")],
            cwd=clone,
            env=_environment(tmp_path),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            process_group=0,  # its own group: _stop_group reaches what it left
        )
        try:
            code = process.wait(timeout=600)
        finally:
            _stop_group(process.pid)
    seconds = time.monotonic() - started
    record_property(
        "figures",
        f"{doc}: {len(run)} blocks run ({sum(len(b.commands) for b in run)} commands), "
        f"{len(skipped)} not run ({sum(len(b.commands) for b in skipped)} commands), "
        f"{seconds:.0f} s",
    )
    shown = log.read_text()
    started_blocks = [line for line in shown.splitlines() if line.startswith(MARKER)]
    assert code == 0, f"exit {code} in {started_blocks[-1:]}; the output's end:\n{shown[-4000:]}"
    assert "Traceback" not in shown, shown[-4000:]
    assert len(started_blocks) == len(run)
