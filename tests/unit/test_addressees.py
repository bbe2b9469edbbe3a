"""LETTER-ADDRESSEE, table-driven: who a letter goes to and who gets a copy."""

from __future__ import annotations

from datetime import date

import pytest

from domain.addressees import addressees
from domain.tenancy import Tenancy, TenancyError


@pytest.mark.parametrize(("recorded", "ended", "expected"), [
    ((), (), ("tenant", ())),
    (("administrator",), (), ("administrator", ("tenant",))),
    (("counsellor",), (), ("counsellor", ("tenant",))),
    (("counsellor", "administrator"), (), ("administrator", ("tenant", "counsellor"))),
    (("administrator", "counsellor"), ("administrator",), ("counsellor", ("tenant",))),
    (("administrator",), ("administrator",), ("tenant", ())),
])
def test_who_a_letter_goes_to(recorded, ended, expected) -> None:  # type: ignore[no-untyped-def]
    t = Tenancy.start("T1", 650_00, date(2026, 1, 1), by="letting:lotte")
    for role in recorded:
        t.record_representative(role=role, on=date(2026, 1, 5), by="officer:olga")
    for role in ended:
        t.end_representative(role=role, on=date(2026, 2, 1), by="officer:olga")
    assert addressees(t) == expected


def test_an_unknown_role_or_ending_what_was_not_recorded_is_refused() -> None:
    t = Tenancy.start("T1", 650_00, date(2026, 1, 1), by="letting:lotte")
    with pytest.raises(TenancyError, match="role"):
        t.record_representative(role="neighbour", on=date(2026, 1, 5), by="officer:olga")
    with pytest.raises(TenancyError, match="no counsellor"):
        t.end_representative(role="counsellor", on=date(2026, 1, 5), by="officer:olga")
    t.record_representative(role="counsellor", on=date(2026, 1, 5), by="officer:olga")
    with pytest.raises(TenancyError, match="before"):
        t.end_representative(role="counsellor", on=date(2026, 1, 4), by="officer:olga")
