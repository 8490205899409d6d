"""bench/load.py reads wrk's output right (the bench itself is too slow for the suite)."""

import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location(
    "bench_load", Path(__file__).resolve().parents[1] / "bench" / "load.py"
)
load = importlib.util.module_from_spec(spec)
spec.loader.exec_module(load)

# Captured from a run of bench/load.py (wrk 4.1.0, with the script's non-2xx line).
CLEAN = """\
Running 5s test @ http://127.0.0.1:54077/
  2 threads and 20 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    92.58ms   82.95ms 578.23ms   84.12%
    Req/Sec   127.43     76.18   340.00     61.46%
  Latency Distribution
     50%   63.58ms
     75%  113.96ms
     90%  218.12ms
     99%  383.40ms
  1277 requests in 5.03s, 40.12MB read
Requests/sec:    254.06
Transfer/sec:      7.98MB
non_2xx_responses 0
"""

# The shape wrk prints when things go wrong: socket errors, error statuses, seconds.
FAILING = """\
Running 1m test @ http://127.0.0.1:8000/
  2 threads and 20 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   612.10ms  300.00ms   1.90s    70.00%
    Req/Sec    15.00      5.00    30.00     60.00%
  Latency Distribution
     50%  550.00us
     75%  700.00ms
     90%    1.20s
     99%    1.85s
  1800 requests in 1.00m, 50.00MB read
  Socket errors: connect 0, read 3, write 0, timeout 4
  Non-2xx or 3xx responses: 12
Requests/sec:     29.98
Transfer/sec:    853.00KB
non_2xx_responses 15
"""


def test_a_clean_run_is_read_and_meets_the_target():
    result = load.parse_wrk(CLEAN)
    assert result == {
        "requests_per_s": 254.06, "p50_ms": 63.58, "p99_ms": 383.4, "requests": 1277,
        "socket_errors": 0, "non_2xx": 0, "errors": 0,
    }  # fmt: skip
    assert load.meets_target(result)


def test_errors_and_seconds_are_counted_and_miss_the_target():
    result = load.parse_wrk(FAILING)
    assert result["p50_ms"] == pytest.approx(0.55)
    assert result["p99_ms"] == pytest.approx(1850.0)
    assert result["socket_errors"] == 7
    assert result["non_2xx"] == 15  # the script's count (3xx included), not wrk's own
    assert result["errors"] == 22
    assert not load.meets_target(result)
    assert not load.meets_target({**load.parse_wrk(CLEAN), "non_2xx": 0, "errors": 1})


def test_a_run_where_nothing_answered_misses_the_target():
    silent = CLEAN.replace("1277 requests", "0 requests")
    assert load.parse_wrk(silent)["requests"] == 0
    assert not load.meets_target(load.parse_wrk(silent))


def test_output_that_is_not_wrk_is_refused():
    with pytest.raises(ValueError, match="not the output of wrk"):
        load.parse_wrk("wrk: command not found\n")
