"""Hostile input, at length: `validate` and `plan --env staging` on thousands of generated
repositories (tests/testkit/hostile.py, the generator tests/unit/manifest/test_fuzz.py runs a
bounded number of times in `make test`), with plan on the offline emulator.

Prints the inputs tried, the distinct kinds of problem lines seen, the slowest input, and the
faults: tracebacks, problem lines without a `file:line:col` position, and any other verdict
(an exit code other than 0/1, plan not refusing what validate refuses). Exits 1 when there is
a fault, listing the first few repositories that showed one.

    .venv/bin/python bench/fuzz.py [--inputs 10000] [--seed 0] [--no-emulator]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from testkit.hostile import (
    BASE_FILES,
    HostileRepo,
    Run,
    crashed,
    hostile_repos,
    problem_kind,
    problem_lines,
    run_repo,
    unpositioned,
    verdict,
)

SHOWN_FAULTS = 5


@dataclass
class Figures:
    inputs: int = 0
    tracebacks: int = 0
    unpositioned: int = 0
    kinds: Counter = field(default_factory=Counter)
    exits: Counter = field(default_factory=Counter)
    faulty: list[tuple[str, list[str]]] = field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")

    def add(self, repo: HostileRepo, run: Run, seconds: float) -> None:
        self.inputs += 1
        self.tracebacks += sum(
            crashed(r) or "Traceback" in r.output for r in (run.validate, run.plan)
        )
        lines = problem_lines(run.validate, plan=False) + problem_lines(run.plan, plan=True)
        self.unpositioned += len(unpositioned(lines))
        self.kinds.update(problem_kind(line) for line in lines)
        self.exits[(run.validate.exit_code, run.plan.exit_code)] += 1
        faults = verdict(run)
        if faults and len(self.faulty) < SHOWN_FAULTS:
            self.faulty.append((repo.summary(), faults))
        if seconds > self.slowest[0]:
            self.slowest = (seconds, repo.summary())

    def report(self, wall: float) -> str:
        exits = ", ".join(f"{v}/{p}: {n}" for (v, p), n in sorted(self.exits.items()))
        more = "+" if len(self.faulty) == SHOWN_FAULTS else ""
        per_input = wall / max(self.inputs, 1) * 1000
        lines = [
            f"inputs tried                       {self.inputs}",
            f"distinct problem kinds             {len(self.kinds)}",
            f"slowest input                      {self.slowest[0]:.2f} s: {self.slowest[1][:160]}",
            f"tracebacks                         {self.tracebacks}",
            f"problem lines without position     {self.unpositioned}",
            f"inputs with any fault              {len(self.faulty)}{more}",
            f"exit codes (validate/plan: count)  {exits}",
            f"wall time                          {wall:.0f} s ({per_input:.0f} ms per input)",
        ]
        for summary, faults in self.faulty:
            lines.append(f"  fault in {summary[:200]}:")
            lines += [f"    {fault[:300]}" for fault in faults]
        return "\n".join(lines)


@contextlib.contextmanager
def emulated() -> Iterator[None]:
    """The offline AWS for plan's reads, as the tests run it (AWS settings of this process)."""
    from smgitops.emulator import Emulator

    saved = dict(os.environ)
    with Emulator(port=0, transition_seconds=0.0, wait_scale=0.0) as running:
        os.environ.update(
            AWS_ENDPOINT_URL=running.url,
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_CONFIG_FILE="/nonexistent/smgitops-fuzz/config",
            AWS_SHARED_CREDENTIALS_FILE="/nonexistent/smgitops-fuzz/credentials",
        )
        os.environ.pop("AWS_PROFILE", None)
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)


def fuzz(inputs: int, chosen_seed: int, aws: bool) -> Figures:
    figures = Figures()

    @settings(
        max_examples=inputs,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @seed(chosen_seed)
    @given(repo=hostile_repos())
    def one(repo: HostileRepo) -> None:
        figures.add(repo, *run_repo(repo, aws=aws))

    with emulated() if aws else contextlib.nullcontext():
        run_repo(HostileRepo(dict(BASE_FILES)), aws=aws)  # imports and first calls: not counted
        one()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-emulator",
        dest="aws",
        action="store_false",
        help="stop plan at its account check instead of reading the emulator",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    figures = fuzz(args.inputs, args.seed, args.aws)
    print(figures.report(time.perf_counter() - started))
    return 1 if figures.faulty else 0


if __name__ == "__main__":
    sys.exit(main())
