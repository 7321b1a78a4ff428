"""What apply costs: a second apply of an unchanged repo, and 10 changed endpoints at once.

1. After a first apply, a second `apply` of the same repo: mutating AWS calls, uploads and image
   pushes (all must be 0).
2. Update 10 endpoints (new model) with emulated fleets that take --transition seconds to switch:
   wall time of one apply of all 10 vs applying a single endpoint the same way.

    .venv/bin/python bench/apply.py [--transition 3] [--endpoints 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fleet import emulated_repo, mutating

from smgitops.artifacts.image import push_image
from smgitops.aws.clients import client
from smgitops.aws.reader import Clients
from smgitops.manifest import load_env
from smgitops.reconcile import apply_planned, make_plan


def apply_once(root: Path, clients: Clients, env: str = "bench") -> float:
    started = time.perf_counter()
    results, _ = apply_planned(make_plan(root, env, clients), root, lambda *_: None, clients)
    assert all(r.ready for r in results), [r for r in results if not r.ready]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transition", type=float, default=3.0)
    parser.add_argument("--endpoints", type=int, default=10)
    args = parser.parse_args()
    with emulated_repo(args.endpoints, parallel=args.endpoints, smoke=True) as (emulator, root):
        settings = load_env(root, "bench").settings
        push_image(client("ecr", settings.region), settings, root, "scorer", builder="register")
        clients = Clients.for_region(settings.region)
        apply_once(root, clients)

        emulator.clear_calls()
        second = apply_once(root, clients)
        calls = emulator.calls()
        writes = mutating(calls)
        uploads = [c for c in calls if c.operation in ("PutObject", "CreateMultipartUpload")]
        pushes = [c for c in calls if c.operation == "PutImage"]
        print(
            f"second apply, unchanged repo: {len(calls)} calls, {len(writes)} mutating "
            f"{sorted(set(writes))}, {len(uploads)} uploads, {len(pushes)} image pushes, "
            f"{second:.2f}s"
        )

        emulator.configure(transition_seconds=args.transition)
        weight = root / "models/scorer/artifact/weight.txt"
        weight.write_text("2.0\n")
        all_at_once = apply_once(root, clients)

        # The same update for one endpoint alone: an env holding just that manifest.
        single_env = root / "deployments/single"
        single_env.mkdir()
        (single_env / "_env.yaml").write_text((root / "deployments/bench/_env.yaml").read_text())
        (single_env / "one.yaml").write_text(
            (root / "deployments/bench/bench-000.yaml").read_text().replace("bench-000", "one")
        )
        weight.write_text("2.0\n")
        apply_once(root, clients, "single")  # create it
        weight.write_text("3.0\n")
        single = apply_once(root, clients, "single")
        print(
            f"{args.endpoints} endpoints updated in one apply: {all_at_once:.2f}s; "
            f"one endpoint alone: {single:.2f}s; ratio {all_at_once / single:.2f} "
            f"(transition {args.transition:.0f}s per update)"
        )


if __name__ == "__main__":
    main()
