"""One view of a tenancy and a case for the CLI, audit and front-ends: the as-of view of
a tenancy rebuilt at the present instant equals the live view, sealed free text included
(the due-day reason used to show as ciphertext in the as-of view)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from application import audit
from application.service import Vangnet
from domain.values import Channel, Outcome
from tests.story import ADMIN, AUDITOR, LETTING, OFFICER, case_of, charge, d, run, tenant


def test_the_as_of_view_shows_what_the_live_view_shows(fast: Vangnet) -> None:
    app = fast
    tenant(app, "T1")
    app.agree_due_day(LETTING, "T1", day=5, reason="uitkering komt op de 5e", on=d("2026-01-02"))
    app.raise_worry(OFFICER, "T1", reason="zorgen over de buren", on=d("2026-01-03"))
    charge(app, "T1", "2026-02")
    run(app, "2026-02-02", "2026-02-20")
    case = case_of(app, "T1")
    app.record_contact(OFFICER, case.id, channel=Channel.PHONE, outcome=Outcome.NO_ANSWER,
                       on=d("2026-02-20"))
    later = datetime.now(UTC) + timedelta(days=1)

    live = app.tenancy_view(ADMIN, "T1")
    as_of = audit.tenancy_as_of(app, AUDITOR, "T1", later)["state"]
    assert as_of == live
    assert [h["reason"] for h in as_of["due_day_history"]] == ["uitkering komt op de 5e"]
    assert as_of["worry"]["reason"] == "zorgen over de buren"

    live_case = app.case_view(ADMIN, case.id)
    assert audit.case_as_of(app, AUDITOR, case.id, later)["state"] == live_case
