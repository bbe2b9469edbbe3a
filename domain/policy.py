"""The playbook's numbers (PLAYBOOK.md defaults). A landlord overrides any of them in
a TOML policy file (``application.policy``); rules read them from here only."""

from __future__ import annotations

import attrs

from domain.returns import DEFAULT_RETURN_CODES


@attrs.frozen
class Policy:
    # section 2: when rent is unpaid
    tolerance_cents: int = 0
    default_due_day: int = 1
    post_rent_charges: bool = False
    # prevention track
    prevention_first_contact_business_days: int = 1
    prevention_phone_attempts: int = 2
    home_visit_within_business_days: int = 5
    # worry track
    worry_first_contact_days: int = 3
    worry_recent_case_months: int = 6
    # standard track
    robocall_day: int = 12
    robocall_days_after_due_when_late: int = 7
    robocall_retries: int = 1
    calling_window_start: str = "09:00"
    calling_window_end: str = "20:00"
    # section 3: contact outcomes
    instalment_grace_days: int = 5
    instalments_missed_to_break: int = 2
    debt_counselling_pause_days: int = 30
    # bank return reason codes (ISO 20022) -> stop_contact | new_bank_details | normal
    return_codes: dict[str, str] = attrs.field(factory=lambda: dict(DEFAULT_RETURN_CODES), hash=False)
    # arrangements people can keep: the budget's living-allowance norm (monthly, besides rent)
    living_allowance_cents: int = 750_00
    living_allowance_extra_person_cents: int = 250_00
    affordability_warn_percent: int = 80  # an instalment above this share of the room: agreed with a warning
    # debt-help programmes (NVVK): how long a state may hold collection without news
    programme_intake_max_days: int = 56
    programme_stabilisation_max_days: int = 183
    programme_moratorium_max_days: int = 183  # art. 287b Fw: at most 6 months
    programme_resume_days: int = 14  # after it ends: the officer task first, formal steps after these days
    # section 4: formal steps
    reminder_days: int = 14
    signal_days: int = 30
    signal_objection_days: int = 14  # the tenant's time to object after the reminder's offer
    wik_letter_days: int = 35
    wik_receipt_days: int = 2
    wik_term_days: int = 14
    wik_vat_percent: int = 0
    bailiff_months_of_rent: int = 2
    legal_months_of_rent: int = 3
    legal_months_after_signal: int = 2
    # section 6: staff minutes
    minutes_phone: int = 10
    minutes_home_visit: int = 60
    minutes_robocall: int = 0
    # privacy
    retention_months_after_end: int = 24
    # recheck a waiting case at least this often
    max_days_between_checks: int = 7
    # which rules run: "preventive" (this playbook) or "classic" (traditional dunning, domain.classic)
    strategy: str = "preventive"
