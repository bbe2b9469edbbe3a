"""The workbench benchmark still runs (tiny size, in process; no timing assertions)."""

from __future__ import annotations

from benchmarks.core import SIZES, run_benchmark


def test_web_pages_benchmark_runs_at_tiny_size() -> None:
    results = {r.name: r for r in run_benchmark("web_pages", SIZES["tiny"])}
    assert set(results) == {"web_worklist_page", "web_tenancy_page"}
    for r in results.values():
        assert r.value > 0 and r.baseline and r.notes["open_cases"] == 12 and r.notes["open_tasks_due"] == 12
