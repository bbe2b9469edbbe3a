"""Smoke test of the benchmark suite: a few benchmarks at the ``tiny`` size, in
process. No timing assertions: it only proves the benchmarks still run against
the current code and produce well-formed rows."""

from __future__ import annotations

import pytest

from benchmarks.__main__ import table
from benchmarks.core import SIZES, run_benchmark


@pytest.mark.parametrize("name", ["ledger_import", "write", "audit_replay", "long_history", "simulation",
                                  "simulation_runs"])
def test_benchmark_runs_at_tiny_size(name: str) -> None:
    results = run_benchmark(name, SIZES["tiny"])
    assert results
    for r in results:
        assert r.value > 0, r
        assert r.baseline is not None and r.baseline > 0, r
        assert r.ratio is not None and r.ratio > 0, r
        assert r.peak_rss_mb and r.peak_rss_mb > 0, r
    assert results[0].name in table(results)


def test_daily_run_benchmark_opens_and_checks_cases() -> None:
    results = {r.name: r for r in run_benchmark("daily_run", SIZES["tiny"])}
    assert results["daily_run_open_cases"].notes["cases_opened"] > 0
    assert results["daily_run_check_cases"].notes["cases_evaluated"] > 0
