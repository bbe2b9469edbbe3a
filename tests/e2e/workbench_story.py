"""The workbench's story store: three tenancies run by the playbook from 1 January to
7 April 2026, and the staff who work them.

- T1 "J. Jansen": prevention profile (debt counselling at intake), April's rent unpaid:
  a prevention case with a phone task.
- T2 "P. Bakker": standard track, March and April unpaid, no phone number on file.
- T9 "K. de Vries": nothing paid since January: municipal signal sent, eligible for the
  bailiff and for legal action (both waiting for team leads).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from adapters.web import accounts
from application import daily_run
from application.ports import Contact
from domain.values import Actor, Channel, IntakeAnswers, Outcome, Period, Role

TODAY = date(2026, 4, 7)
PASSWORD = "correct horse battery"
USERS = {"olaf": "officer", "otto": "officer", "tess": "team_lead", "tom": "team_lead", "audrey": "auditor"}


def seed(app: Any, clock: Any) -> None:
    letting, erp = Actor(Role.LETTING, "lisa"), Actor(Role.SYSTEM, "erp")
    clock.day = date(2026, 1, 1)
    app.start_tenancy(letting, "T1", rent_cents=65000, start_date=date(2026, 1, 1), contact=Contact(
        tenancy_id=None, name="J. Jansen", phone="+31612345678", address="Kerkstraat 1, Emmen",  # type: ignore[arg-type]
        municipality="Emmen"))
    app.record_intake(letting, "T1", IntakeAnswers(True, False, False, None, True), on=date(2026, 1, 1))
    app.start_tenancy(letting, "T2", rent_cents=72000, start_date=date(2026, 1, 1), contact=Contact(
        tenancy_id=None, name="P. Bakker", address="Dorpsweg 12, Emmen", municipality="Emmen"))  # type: ignore[arg-type]
    app.start_tenancy(letting, "T9", rent_cents=70000, start_date=date(2025, 10, 1), contact=Contact(
        tenancy_id=None, name="K. de Vries", phone="+31612345679", municipality="Emmen"))  # type: ignore[arg-type]
    for m in range(1, 5):
        for ref, cents in (("T1", 65000), ("T2", 72000), ("T9", 70000)):
            app.charge_rent(erp, ref, period=Period(2026, m), cents=cents)
    for m in range(1, 4):
        app.pay(erp, "T1", cents=65000, booked_on=date(2026, m, 1), tx_id=f"BANK-T1-{m}")
    for m in range(1, 3):
        app.pay(erp, "T2", cents=72000, booked_on=date(2026, m, 1), tx_id=f"BANK-T2-{m}")
    daily_run.run(app, date(2026, 1, 1), through=date(2026, 2, 2))
    app.record_contact(Actor(Role.OFFICER, "olaf"), "T9", channel=Channel.PHONE, outcome=Outcome.NO_ANSWER,
                       on=date(2026, 2, 2))
    daily_run.run(app, date(2026, 2, 3), through=TODAY)
    clock.day = TODAY
    for name, role in USERS.items():
        accounts.add_user(app.store, name, role, PASSWORD, on=TODAY)
