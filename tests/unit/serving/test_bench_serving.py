"""The serving bench's pure parts (bench/wrk_report.py): reading wrk's output and judging the
targets. Loaded alone: no numpy, scikit-learn or serving stack."""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "wrk_report.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("wrk_report", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["wrk_report"] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("wrk_report", None)


WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:40001/invocations
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.10ms    2.04ms  40.11ms   90.00%
    Req/Sec     2.40k   150.00     2.60k    70.00%
  Latency Distribution
     50%  850.00us
     75%    2.00ms
     90%    5.00ms
     99%    1.20s
  12000 requests in 5.00s, 2.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   2400.50
Transfer/sec:    400.00KB
"""


def test_wrk_output_gives_rate_percentiles_in_ms_and_failures(bench):
    assert bench.parse_wrk(WRK_OUTPUT) == (2400.5, 0.85, 1200.0, 7)


def test_completed_requests_are_read_from_wrk_output(bench):
    assert bench.requests_done(WRK_OUTPUT) == 12000
    assert bench.requests_done("") == 0


def test_wrk_output_without_results_is_an_error(bench):
    with pytest.raises(RuntimeError, match="Requests/sec"):
        bench.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def row(bench, model, stack, c, rate, p99=1.0):
    return bench.Measurement(model, stack, c, rate, 0.5, p99, 0)


def test_verdicts_compare_against_the_toolkit_and_the_floor(bench):
    rows = [
        row(bench, "linear", "smgitops serve", 8, 3000, p99=5),
        row(bench, "linear", "sagemaker-inference on MMS", 8, 1000, p99=20),
        row(bench, "forest", "in-process handler chain (floor)", 1, 400),
        row(bench, "forest", "smgitops serve", 1, 360),
    ]
    lines = bench.verdicts(rows)
    assert "3.0x the toolkit's 1000" in lines[0] and "no worse: met)" in lines[0]
    assert "10% below" in lines[1] and lines[1].endswith("met)")
    slower = bench.verdicts([*rows[:3], row(bench, "forest", "smgitops serve", 1, 300)])
    assert slower[1].endswith("NOT met)")
