"""WIK collection costs are a ledger line on the tenancy (PLAYBOOK 4.3): the balance, the
tenancy's statement and the court dossier agree once costs are charged."""

from __future__ import annotations

from application import audit
from tests.story import AUDITOR, OFFICER, case_of, charge, d, run, tenant


def test_costs_are_booked_on_the_tenancy_and_show_in_balance_statement_and_dossier(fast):
    app = fast
    tenant(app, "S1")
    charge(app, "S1", "2026-02")
    charge(app, "S1", "2026-03")
    run(app, "2026-02-02", "2026-03-31")
    case = case_of(app, "S1")
    assert (case.costs_charged_on, case.costs_cents) == (d("2026-03-27"), 195_00)
    t = app.get_tenancy("S1")
    assert t.balance_cents == 1300_00 + 195_00  # rent arrears plus the costs line
    assert t.arrears_cents() == 1300_00  # escalation counts rent, not costs
    view = app.tenancy_view(OFFICER, "S1")
    assert view["balance"] == "1495.00" and view["collection_costs"] == "195.00"
    assert view["costs_lines"] == [
        {"kind": "COSTS", "amount": "195.00", "booked_on": "2026-03-27", "rule": "WIK-COSTS",
         "case_id": str(case.id)}
    ]
    dossier = audit.dossier(app, AUDITOR, case.id, generated_on=d("2026-03-31"))
    march = [m for m in dossier["history_by_month"] if m["period"] == "2026-03"][0]
    assert march["costs"] == "195.00" and march["balance"] == "1495.00"
    assert audit.verify(app, AUDITOR).ok
