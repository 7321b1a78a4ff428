"""Real AWS clients against the emulator: how many steps of the SageMaker Python SDK flow and
checks of the AWS CLI flow pass (tests/clients/), and what their virtualenvs cost to make.

Starts its own emulator on a free port, makes (or reuses) each client's virtualenv from its
hash-locked requirements, trains and packages the demo model, and runs both flows:

    .venv/bin/python bench/real_clients.py [--cold]

--cold makes the virtualenvs in a fresh folder with an empty uv cache (every package is
downloaded), then asks for them again (reused), and prints both times.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from smgitops.emulator import Emulator
from testkit.real_clients import (
    LABELS,
    TRANSITION_SECONDS,
    client_venv,
    demo_model,
    flow_inputs,
    run_client,
)

CLIENTS = ("sdk", "cli")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cold", action="store_true", help="make the virtualenvs anew, downloading"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="real-clients-") as scratch:
        work = Path(scratch)
        if args.cold:
            os.environ["SMGITOPS_CLIENT_VENVS"] = str(work / "venvs")
            os.environ["UV_CACHE_DIR"] = str(work / "uv-cache")
        for client in CLIENTS:
            first = client_venv(client)
            started = time.monotonic()
            again = client_venv(client)
            warm = time.monotonic() - started
            state = "reused" if first.cached else f"made in {first.seconds:.1f} s"
            print(
                f"{client} virtualenv: {state}; again: {warm * 1000:.0f} ms (cached={again.cached})"
            )
        with Emulator(port=0, transition_seconds=TRANSITION_SECONDS, wait_scale=0.01) as emulator:
            os.environ.update(
                AWS_ENDPOINT_URL=emulator.url,
                AWS_DEFAULT_REGION="us-east-1",
                AWS_ACCESS_KEY_ID="testing",
                AWS_SECRET_ACCESS_KEY="testing",
            )
            model = demo_model(work / "demo")
            figures, failed = [], False
            for client in CLIENTS:
                emulator.reset()
                emulator.configure(transition_seconds=TRANSITION_SECONDS)
                folder = work / client
                folder.mkdir()
                result = run_client(client, emulator.url, flow_inputs(model, folder), folder)
                print(f"{LABELS[client]}: {result.figure} in {result.seconds:.1f} s")
                for step, why in result.failed.items():
                    print(f"  FAIL {step}: {why}")
                    failed = True
                figures.append(f"{LABELS[client]} passed {result.figure}")
        print(", ".join(figures))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
