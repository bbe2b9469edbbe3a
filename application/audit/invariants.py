"""Rules that must have held before a recorded step, and after the last event."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from application.audit.report import VerifyReport


class Invariants:
    """The invariant checks of a replay (``_Replay`` mixes them in); findings go to
    ``report`` when there is one."""

    report: VerifyReport | None
    aggs: dict[Any, Any]
    ledger: dict[Any, list[int]]

    def _flag(self, message: str, position: int | None, aggregate_id: Any) -> None:
        if self.report is not None:
            self.report.add("invariant", message, position, aggregate_id)

    def _signal(self, case: Any, ev: Any, pos: int) -> None:
        missing = [k for k, ok in case.signal_conditions().items() if not ok]
        if missing:
            self._flag(
                f"municipal signal of case {case.id} sent without: {', '.join(missing)} (BGS-2)",
                pos,
                case.id,
            )
        if case.signal is not None:
            self._flag(f"second municipal signal of case {case.id}", pos, case.id)

    def _costs(self, case: Any, ev: Any, pos: int) -> None:
        for problem in case.costs_problems(cents=ev.cents, on=ev.on):  # the domain's WIK rule
            self._flag(f"collection costs on case {case.id}: {problem}", pos, case.id)
        if case.costs_charged_on is not None:
            self._flag(f"collection costs on case {case.id} charged twice (WIK)", pos, case.id)

    def _before_eligible(self, eligible_on: date | None, what: str, rule: str, case: Any, pos: int) -> None:
        """Flag a step (``what``, naming the case) taken before its rule made the case eligible."""
        if eligible_on is None:
            self._flag(f"{what} before the case was eligible ({rule})", pos, case.id)

    def _legal(self, case: Any, ev: Any, pos: int) -> None:
        what = f"legal-action decision on case {case.id}"
        self._before_eligible(case.legal_eligible_on, what, "EVICT", case, pos)
        if case.decided_legal_action(ev.by):  # the domain's four-eyes rule
            self._flag(
                f"legal action on case {case.id} decided twice by {ev.by}: approval needs two "
                "different people",
                pos,
                case.id,
            )

    def _bailiff(self, case: Any, ev: Any, pos: int) -> None:
        what = f"bailiff hand-over of case {case.id}"
        self._before_eligible(case.bailiff_eligible_on, what, "BAILIFF", case, pos)

    def final_checks(
        self, tenancies: dict[uuid.UUID, Any], cases: dict[uuid.UUID, Any], broken: set[uuid.UUID]
    ) -> None:
        flag = self._flag
        tallies = {self.aggs[k].id: v for k, v in self.ledger.items() if k in self.aggs}
        for tid, t in tenancies.items():
            charged, paid, reversed_, credited, costs, costs_back = tallies.get(tid, (0, 0, 0, 0, 0, 0))
            expected = charged - paid + reversed_ - credited + costs - costs_back
            if t.balance_cents != expected:
                flag(
                    f"tenancy {t.ref}: balance {t.balance_cents} is not charges {charged} - payments "
                    f"{paid} + reversals {reversed_} - credits {credited} + costs {costs - costs_back} "
                    f"= {expected}",
                    None,
                    tid,
                )
            if sum(t.charges.values()) != t.charged:
                flag(
                    f"tenancy {t.ref}: charges per period add up to {sum(t.charges.values())}, "
                    f"not {t.charged}",
                    None,
                    tid,
                )
        open_by_tenancy: dict[uuid.UUID, list[Any]] = {}
        for cid, c in cases.items():
            t = tenancies.get(c.tenancy_id)
            if t is None:
                if c.tenancy_id not in broken:
                    flag(
                        f"case {cid} belongs to tenancy {c.tenancy_id}, which does not exist",
                        None,
                        cid,
                    )
                continue
            if cid not in t.case_ids:
                flag(f"case {cid} is not linked to its tenancy {t.ref}", None, cid)
            if c.is_open:
                open_by_tenancy.setdefault(t.id, []).append(c)
        for tid, t in tenancies.items():
            open_cases = open_by_tenancy.get(tid, [])
            if len(open_cases) > 1:
                ids = ", ".join(str(c.id) for c in open_cases)
                flag(f"tenancy {t.ref} has {len(open_cases)} open cases: {ids}", None, tid)
            actual = open_cases[0].id if len(open_cases) == 1 else None
            if t.open_case_id != actual and t.open_case_id not in broken:
                flag(
                    f"tenancy {t.ref}: open_case_id is {t.open_case_id}, but its open case is {actual}",
                    None,
                    tid,
                )
