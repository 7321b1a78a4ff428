"""Print how fast `smgitops model package` streams a large model and that its bytes repeat.

Usage: python bench/package_model.py [--mb 200]
Builds a throwaway model folder with incompressible weights (the worst case for gzip),
packages it twice and prints seconds, MB/s, peak memory and whether both tarballs match.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from smgitops.artifacts.package import package_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="size of the weights file in MB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smgitops-bench-") as scratch:
        repo = Path(scratch)
        folder = repo / "models" / "bench"
        (folder / "artifact").mkdir(parents=True)
        (folder / "inference.py").write_text("def model_fn(model_dir):\n    return None\n")
        with (folder / "artifact" / "weights.bin").open("wb") as weights:
            for _ in range(args.mb):
                weights.write(os.urandom(1024 * 1024))
        timings, hashes = [], []
        for run in range(2):
            started = time.perf_counter()
            package = package_model(repo, "bench", repo / f"out{run}")
            timings.append(time.perf_counter() - started)
            hashes.append(package.sha256)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        for run, seconds in enumerate(timings, 1):
            print(f"run {run}: {args.mb} MB in {seconds:.2f} s ({args.mb / seconds:.1f} MB/s)")
        print(f"peak RSS: {peak_mb:.0f} MB")
        print(f"identical sha256: {hashes[0] == hashes[1]} ({hashes[0][:16]}...)")


if __name__ == "__main__":
    main()
