"""What the serving bench reads and prints: wrk's output, the results table and the verdicts.

Pure standard library, so its tests need neither the models nor the serving stacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORKERS = 2


@dataclass(frozen=True)
class Measurement:
    model: str
    stack: str
    concurrency: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    failures: int
    # CPU time the server's processes spent per request (user+sys, all its processes): unlike
    # req/s it hardly depends on what else runs on the machine.
    cpu_us_per_request: float = float("nan")


_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _latency_ms(text: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE)
    if not match:
        raise RuntimeError(f"no {percentile}% latency in wrk output:\n{text}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(text: str) -> tuple[float, float, float, int]:
    """(req/s, p50 ms, p99 ms, failed responses) from `wrk --latency` output."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE)
    if not rate:
        raise RuntimeError(f"no Requests/sec in wrk output:\n{text}")
    failures = 0
    for pattern in (r"Non-2xx or 3xx responses:\s+(\d+)", r"Socket errors:.*"):
        found = re.search(pattern, text)
        if found and found.groups():
            failures += int(found.group(1))
        elif found:
            failures += sum(int(n) for n in re.findall(r"\d+", found.group(0)))
    return float(rate.group(1)), _latency_ms(text, "50"), _latency_ms(text, "99"), failures


def requests_done(text: str) -> int:
    """How many requests a wrk run completed. No side effects."""
    found = re.search(r"^\s*(\d+) requests in", text, re.MULTILINE)
    return int(found.group(1)) if found else 0


def table(rows: list[Measurement]) -> str:
    header = (
        f"{'model':<7} {'stack':<42} {'c':>2} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'fail':>5} {'CPU us/req':>10}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row.model:<7} {row.stack:<42} {row.concurrency:>2} "
            f"{row.requests_per_second:>9.0f} {row.p50_ms:>8.3f} {row.p99_ms:>8.3f} "
            f"{row.failures:>5} {row.cpu_us_per_request:>10.0f}"
        )
    return "\n".join(lines)


def find(rows: list[Measurement], model: str, stack: str, c: int) -> Measurement | None:
    for row in rows:
        if row.model == model and row.stack.startswith(stack) and row.concurrency == c:
            return row
    return None


def verdicts(rows: list[Measurement]) -> list[str]:
    lines = []
    ours = find(rows, "linear", "smgitops", 8)
    toolkit = find(rows, "linear", "sagemaker-inference", 8)
    if ours and toolkit and toolkit.requests_per_second > 0:
        ratio = ours.requests_per_second / toolkit.requests_per_second
        verdict = "met" if ratio >= 2 and ours.p99_ms <= toolkit.p99_ms else "NOT met"
        lines.append(
            f"linear, c=8: smgitops {ours.requests_per_second:.0f} req/s = {ratio:.1f}x the "
            f"toolkit's {toolkit.requests_per_second:.0f}; p99 {ours.p99_ms:.2f} ms vs "
            f"{toolkit.p99_ms:.2f} ms (target >= 2x with p99 no worse: {verdict}); server CPU "
            f"per request {ours.cpu_us_per_request:.0f} us vs {toolkit.cpu_us_per_request:.0f} us"
        )
    floor = find(rows, "forest", "in-process", 1)
    forest = find(rows, "forest", "smgitops", 1)
    if floor and forest:
        # One request at a time: what HTTP, the worker hop and the codecs add to the model.
        gap = 1 - forest.requests_per_second / floor.requests_per_second
        verdict = "met" if gap <= 0.15 else "NOT met"
        lines.append(
            f"forest, c=1: smgitops {forest.requests_per_second:.0f} req/s vs the in-process "
            f"floor's {floor.requests_per_second:.0f} calls/s: {gap * 100:.0f}% below; p50 "
            f"{forest.p50_ms:.2f} ms vs {floor.p50_ms:.2f} ms (target within 15%: {verdict})"
        )
    forest8 = find(rows, "forest", "smgitops", 8)
    if floor and forest8:
        ceiling = floor.requests_per_second * WORKERS
        lines.append(
            f"forest, c=8: smgitops {forest8.requests_per_second:.0f} req/s vs {WORKERS} x floor "
            f"= {ceiling:.0f} calls/s ({forest8.requests_per_second / ceiling:.0%}; the wrk "
            "client shares the same CPUs)"
        )
    return lines
