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
    wik_no_delivery_weekdays: str = "sun,mon"  # no post on these days, nor on public holidays
    bailiff_months_of_rent: int = 2
    legal_months_of_rent: int = 3
    legal_months_after_signal: int = 2
    # section 2: thresholds and grace (amounts in cents; rent percentages of one month's rent)
    grace_days: int = 0  # days after the due day before rent counts as unpaid
    min_reminder_cents: int = 25_00  # no letter below EUR 25 of arrears
    min_wik_letter_cents: int = 25_00
    min_wik_letter_rent_percent: int = 50  # no 14-day letter below half a month's rent ...
    min_signal_rent_percent: int = 50  # ... and no signal ...
    threshold_waived_after_months: int = 2  # ... unless the arrears are older than this
    # a tenant who paid late by the same few days in 3 of the last 4 months: propose a due day
    late_pattern_months: int = 3
    late_pattern_window_months: int = 4
    late_pattern_max_days_late: int = 10
    late_pattern_spread_days: int = 2
    # section 2: the monthly rhythm
    monthly_robocall: bool = True  # every tenant unpaid on the robocall day, every month
    contact_cadence_days: int = 21  # an officer task when nothing else is scheduled this long
    silent_case_days: int = 21  # audit: no open case this long without a step or an open task
    # section 6: staff minutes
    minutes_phone: int = 10
    minutes_home_visit: int = 60
    minutes_robocall: int = 0
    # every other step costs staff time too (assumptions; a landlord sets its own)
    minutes_sms: int = 0
    minutes_letter: int = 5  # reminder, 14-day letter: check and send
    minutes_referral: int = 20
    minutes_signal: int = 10
    minutes_bailiff_handover: int = 30
    minutes_legal_action: int = 240  # file prepared, two decisions, court work
    # risk score (application.risk): off until the store has this many labelled months
    risk_enabled: bool = False
    risk_min_months: int = 6
    # privacy
    retention_months_after_end: int = 24
    # recheck a waiting case at least this often
    max_days_between_checks: int = 7
    # which rules run: "preventive" (this playbook) or "classic" (traditional dunning, domain.classic)
    strategy: str = "preventive"
