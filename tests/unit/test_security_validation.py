"""The one validation layer (domain.validation), the CSV cell rule, the policy bounds,
the identity of a multi-user installation and four-eyes on normalised staff ids."""

from __future__ import annotations

from datetime import date

import pytest

from application.access import Access, AccessDenied, Identity
from application.csv_safe import is_safe, safe_cell, safe_row
from application.policy import PolicyError, policy_from_mapping
from domain.arrears_case import ArrearsCase, FourEyesRequired
from domain.validation import (
    check_not_future,
    check_port,
    check_regex,
    check_run_day,
    check_text,
    parse_amount,
    parse_date,
    staff_id,
)
from domain.values import Actor, InvalidValue, Role
from tests.unit.test_domain_case import open_case

TODAY = date(2026, 3, 1)


@pytest.mark.parametrize("text", ["20260201", "2026-W05-1", "2026-2-1", "2026-02-01T00:00", " ", "２０２６-02-01",
                                  "0001-01-01", "1989-12-31", "2100-01-01", "2026-02-30"])
def test_dates_are_strictly_iso_and_within_sane_bounds(text: str) -> None:
    with pytest.raises(InvalidValue, match=r"^start: "):
        parse_date(text, "start")


def test_a_good_date_passes() -> None:
    assert parse_date("2026-02-01", "date") == date(2026, 2, 1)
    assert parse_date("1990-01-01", "date") == date(1990, 1, 1)


@pytest.mark.parametrize("text", ["٦٥٠", "६५०.००", "650.0", "1e3", "-650", "+650", "650.00.00", "", "６５０"])
def test_amounts_take_ascii_digits_only(text: str) -> None:
    with pytest.raises(InvalidValue, match=r"^amount: "):
        parse_amount(text)


def test_amounts_in_both_notations() -> None:
    assert parse_amount("650.00") == parse_amount("650,00") == parse_amount("650") == 65000


@pytest.mark.parametrize("value", ["x" * 100_000, "J. \x1b[31mJansen\x1b[0m", "line\nbreak", "tab\there",
                                   "bidi \u202e override", "", "   "])
def test_text_fields_have_limits_and_no_control_characters(value: str) -> None:
    with pytest.raises(InvalidValue, match=r"^name: ") as e:
        check_text(value, "name")
    assert "\n" not in str(e.value) and "\x1b" not in str(e.value) and len(str(e.value)) < 200


def test_an_address_may_have_line_breaks_but_no_escapes() -> None:
    assert check_text("Dorpsstraat 1\n7811 AB Emmen", "address", multiline=True) == "Dorpsstraat 1\n7811 AB Emmen"
    with pytest.raises(InvalidValue):
        check_text("Dorpsstraat 1\x1b[2J", "address", multiline=True)


def test_regex_port_future_and_run_day() -> None:
    with pytest.raises(InvalidValue, match=r"^pattern: '\(unclosed' is not a valid regular expression"):
        check_regex("(unclosed")
    assert check_regex(r"HUUR (?P<ref>\S+)").pattern
    with pytest.raises(InvalidValue, match="^port: 99999 must be between 1 and 65535"):
        check_port(99999)
    with pytest.raises(InvalidValue, match="^date: 2099-01-01 is in the future"):
        check_not_future(date(2099, 1, 1), TODAY)
    with pytest.raises(InvalidValue, match="--allow-future"):
        check_run_day(date(2026, 3, 2), TODAY)
    assert check_run_day(date(2026, 3, 2), TODAY, allow_future=True) == date(2026, 3, 2)
    with pytest.raises(InvalidValue):
        check_run_day(date(2099, 1, 1), TODAY)


# ----------------------------------------------------------------- CSV cells


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\",\"y\")", "-1+cmd|' /C calc'!A0", "+1+SUM(1+1)",
                                  "@SUM(A1)", "\t=1", "\r=1", "-", "+", "=", "-2+3"])
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell
    assert is_safe(safe_cell(cell)) and not is_safe(cell)


@pytest.mark.parametrize("cell", ["-650,00", "650.00", "+31612345678", "-12", "J. Jansen", "", "2026-02-01"])
def test_plain_numbers_and_text_are_kept(cell: str) -> None:
    assert safe_cell(cell) == cell


def test_numbers_and_empty_cells_pass_through() -> None:
    assert safe_row([None, -5, 1.5, "=x"]) == [None, -5, 1.5, "'=x"]


# -------------------------------------------------------------- policy bounds


@pytest.mark.parametrize(("playbook", "message"), [
    ({"signal_days": 10_000_000_000}, "playbook.signal_days: 10000000000 must be between 1 and 365"),
    ({"calling_window_start": "20:00", "calling_window_end": "09:00"}, "playbook.calling_window_end"),
    ({"calling_window_start": "0900"}, "playbook.calling_window_start: '0900' is not a time"),
    ({"strategy": "bogus"}, "playbook.strategy: 'bogus' is not one of preventive, classic"),
    ({"wik_vat_percent": 500}, "playbook.wik_vat_percent: 500 must be between 0 and 21"),
    ({"default_due_day": 0}, "playbook.default_due_day: 0 must be between 1 and 28"),
    ({"legal_months_of_rent": 0}, "playbook.legal_months_of_rent: 0 must be between 1 and 24"),
    ({"robocall_day": 31}, "playbook.robocall_day: 31 must be between 1 and 28"),
])
def test_policy_numbers_have_ranges_and_enums(playbook: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyError) as e:
        policy_from_mapping({"playbook": playbook})
    assert message in str(e.value)


def test_an_invalid_camt_pattern_is_refused_at_load() -> None:
    with pytest.raises(PolicyError, match=r"^ledger.camt_pattern: '\(unclosed'"):
        policy_from_mapping({"ledger": {"camt_pattern": "(unclosed"}})


# ------------------------------------------------------------------- identity


def test_single_user_default_is_admin_with_every_right() -> None:
    ident = Identity.from_mapping(None)
    actor = ident.resolve("jan", None)
    assert actor == Actor(Role.ADMIN, "jan") and ident.access().allowed(actor, "run_day")


def test_a_policy_disables_admin() -> None:
    ident = Identity.from_mapping({"admin": False})
    with pytest.raises(AccessDenied, match="admin role is disabled"):
        ident.resolve("mallory", "admin:mallory")
    with pytest.raises(AccessDenied):
        ident.resolve("mallory", None)
    with pytest.raises(AccessDenied, match="admin role is disabled"):
        ident.access().check(Actor(Role.ADMIN, "mallory"), "erase_personal_data")


def test_multi_user_actor_comes_from_the_allow_list_never_from_a_free_option() -> None:
    ident = Identity.from_mapping({"mode": "multi-user", "users": {"anna": ["team_lead", "officer"], "olaf": "officer"}})
    assert not ident.admin
    assert ident.resolve("olaf", None) == Actor(Role.OFFICER, "olaf")
    assert ident.resolve("anna", "team_lead") == Actor(Role.TEAM_LEAD, "anna")
    with pytest.raises(AccessDenied, match="several roles"):
        ident.resolve("anna", None)
    with pytest.raises(AccessDenied, match="may not act as 'bob'"):
        ident.resolve("anna", "team_lead:bob")
    with pytest.raises(AccessDenied, match="does not have the role team_lead"):
        ident.resolve("olaf", "team_lead:olaf")
    with pytest.raises(AccessDenied, match="not a user"):
        ident.resolve("mallory", "admin:mallory")
    with pytest.raises(InvalidValue, match="access.users.x: the admin role is disabled"):
        Identity.from_mapping({"mode": "multi-user", "users": {"x": "admin"}})


def test_daily_run_right_belongs_to_system_and_team_leads_only() -> None:
    access = Access()
    for role, allowed in [(Role.SYSTEM, True), (Role.TEAM_LEAD, True), (Role.OFFICER, False),
                          (Role.LETTING, False), (Role.AUDITOR, False)]:
        assert access.allowed(Actor(role, "x"), "run_day") is allowed


# ------------------------------------------------------------------ four eyes


def test_staff_ids_are_compared_trimmed_and_case_folded() -> None:
    assert staff_id(" Anna ") == staff_id("anna") == staff_id("ANNA")


@pytest.mark.parametrize("second", ["team_lead:Anna", "team_lead: anna", "admin:ANNA"])
def test_four_eyes_cannot_be_satisfied_by_one_person(second: str) -> None:
    c: ArrearsCase = open_case()
    c.mark_legal_eligible(on=date(2026, 6, 1), rule="EVICT-ELIGIBLE", inputs={}, action_id="legal:eligible")
    c.decide_legal_action(by="team_lead:anna", reason="3 months", on=date(2026, 6, 2))
    with pytest.raises(FourEyesRequired):
        c.decide_legal_action(by=second, reason="again", on=date(2026, 6, 3))
    assert not c.legal_action_approved
