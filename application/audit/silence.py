"""The invariant that no open case goes silent (PLAYBOOK 2, rule ``SILENT-CASE``): no
case, while open, spends more than ``silent_case_days`` (policy, default 21) without an
automated step, a contact or an open officer task."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from application.audit.report import VerifyReport
from domain.late_facts import silent_stretches


def check_silent_cases(app: Any, cases: dict[uuid.UUID, Any], report: VerifyReport) -> None:
    """Checked up to the last day the daily run completed (the store's own clock)."""
    policy = app.policy
    if policy.strategy != "preventive":  # the classic dunning process makes no such promise
        return
    last = app.store.get_meta("last_run_day")
    if last is None:
        return
    until = date.fromisoformat(last)
    n = policy.silent_case_days
    for cid, case in cases.items():
        if case.opened_on > until:
            continue
        for start, end in silent_stretches(case, until, n):
            report.add(
                "invariant",
                f"case {cid} went silent: no automated step, contact or open officer task from "
                f"{start} to {end}, more than {n} days (SILENT-CASE)",
                None,
                cid,
            )
