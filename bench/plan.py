"""How many AWS calls and how long `plan` takes for 1, 50 and 200 live endpoints.

Every endpoint has been updated once, so each has a kept previous config whose model data the
plan checks too (the worst case for the artifact checks). Each AWS call gets 50 ms of added
latency on the emulator (roughly a real API round trip). Prints calls per plan (target: at most
2N+7+U: per endpoint DescribeEndpoint and ListTags, whose tags name the kept config's model
data; per env the account check, one image listing (content tags to digests), the inventory,
the apply history, the owned alarms and two autoscaling reads; one HEAD per distinct model
data URL U),
the median wall time of parallel reads, and the same plan with reads done one at a time.

    .venv/bin/python bench/plan.py [--sizes 1,50,200] [--latency 0.05] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fleet import emulated_repo, median_time, pin_model

from smgitops.aws import reader
from smgitops.aws.reader import Clients
from smgitops.reconcile import apply_planned, make_plan


def measure(size: int, latency: float, repeats: int) -> dict[str, object]:
    with emulated_repo(size) as (emulator, root):
        from smgitops.artifacts.image import push_image
        from smgitops.aws.clients import client
        from smgitops.manifest import load_env

        settings = load_env(root, "bench").settings
        push_image(client("ecr", settings.region), settings, root, "scorer", builder="register")
        clients = Clients.for_region("us-east-1")
        for weight in (None, "2.0\n"):  # create, then update: every endpoint keeps a config
            if weight is not None:
                pin_model(root, weight)
            planned = make_plan(root, "bench", clients)
            results, _ = apply_planned(planned, root, lambda *_: None, clients)
            assert all(r.ready for r in results), [r for r in results if not r.ready]

        emulator.configure(latency_seconds=latency)
        emulator.clear_calls()
        planned = make_plan(root, "bench", clients)
        assert not planned.plan.has_changes
        calls = emulator.calls()
        urls = {c.url for c in planned.live.model_data}
        parallel = median_time(lambda: make_plan(root, "bench", clients), repeats)
        concurrency = reader.READ_CONCURRENCY
        reader.READ_CONCURRENCY = 1
        try:
            serial = median_time(lambda: make_plan(root, "bench", clients), repeats)
        finally:
            reader.READ_CONCURRENCY = concurrency
        return {
            "size": size,
            "calls": len(calls),
            "budget": 2 * size + 7 + len(urls),
            "heads": sum(1 for c in calls if c.operation == "HeadObject"),
            "by_operation": Counter(c.operation for c in calls),
            "parallel_s": parallel,
            "serial_s": serial,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,50,200")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"plan with {args.latency * 1000:.0f} ms added per AWS call, median of {args.repeats}")
    print(
        f"{'endpoints':>9} {'calls':>6} {'2N+7+U':>6} {'HEADs':>6} {'parallel s':>11} "
        f"{'serial s':>9} {'ratio':>6}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        row = measure(size, args.latency, args.repeats)
        ratio = row["serial_s"] / row["parallel_s"]
        print(
            f"{row['size']:>9} {row['calls']:>6} {row['budget']:>6} {row['heads']:>6} "
            f"{row['parallel_s']:>11.2f} "
            f"{row['serial_s']:>9.2f} {ratio:>5.1f}x   {dict(row['by_operation'])}",
            flush=True,
        )


if __name__ == "__main__":
    main()
