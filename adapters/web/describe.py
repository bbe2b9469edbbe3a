"""Plain-language lines for the tenancy timeline and the worklist's reasons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.values import format_cents

Gettext = Callable[[str], str]


def _money(v: Any) -> str:
    return format_cents(v) if isinstance(v, int) else str(v or "")


def describe_event(item: dict[str, Any], _: Gettext) -> str:
    f = item.get("fields") or {}
    name = item["event"]
    texts: dict[str, Callable[[], str]] = {
        "Started": lambda: _("Tenancy started, rent {rent}, due day {day}").format(
            rent=_money(f.get("rent_cents")), day=f.get("due_day")),
        "IntakeAnswered": lambda: _("Intake questions answered"),
        "PreventionProfileAssigned": lambda: _("Prevention profile assigned"),
        "PreventionProfileLifted": lambda: _("Prevention profile lifted"),
        "DueDayAgreed": lambda: _("Rent due day agreed: {day}").format(day=f.get("day")),
        "RentCharged": lambda: _("Rent charged for {period}: {amount}").format(
            period=f.get("period"), amount=_money(f.get("cents"))),
        "PaymentReceived": lambda: _("Payment received: {amount}").format(amount=_money(f.get("cents"))),
        "PaymentReversed": lambda: _("Payment reversed: {amount}").format(amount=_money(f.get("cents"))),
        "CreditPosted": lambda: _("Credit posted: {amount}").format(amount=_money(f.get("cents"))),
        "WorryFlagRaised": lambda: _("Worry raised"),
        "WorryFlagLifted": lambda: _("Worry lifted"),
        "CaseLinked": lambda: _("Arrears case linked to the tenancy"),
        "CaseUnlinked": lambda: _("Arrears case closed on the tenancy"),
        "Ended": lambda: _("Tenancy ended"),
        "Opened": lambda: _("Arrears case opened for {period}: {amount}, track {track}").format(
            period=f.get("period"), amount=_money(f.get("amount_cents")), track=_(str(f.get("track")))),
        "TaskCreated": lambda: _("Task for an officer: {kind}, due {due}").format(
            kind=_(str(f.get("kind"))), due=f.get("due_on")),
        "TaskClosed": lambda: _("Task done: {outcome}").format(outcome=f.get("outcome")),
        "RobocallRequested": lambda: _("Automated call requested"),
        "SmsRequested": lambda: _("Text message with payment details requested"),
        "ContactAttempted": lambda: _("Contact by {channel}: {outcome}").format(
            channel=_(str(f.get("channel"))), outcome=_(str(f.get("outcome")))),
        "PromiseMade": lambda: _("Promise to pay by {date}").format(date=f.get("pay_by")),
        "PromiseChecked": lambda: _("Promise kept") if f.get("kept") else _("Promise not kept"),
        "ArrangementAgreed": lambda: _("Payment arrangement agreed ({n} instalments)").format(
            n=len(f.get("instalments") or [])),
        "InstalmentMissed": lambda: _("Instalment missed"),
        "ArrangementBroken": lambda: _("Payment arrangement broken"),
        "ArrangementCompleted": lambda: _("Payment arrangement completed"),
        "ReferralMade": lambda: _("Referred to {partner}").format(partner=f.get("partner")),
        "ReferralAccepted": lambda: _("Referral accepted by {partner}").format(partner=f.get("partner")),
        "ReferralDeclined": lambda: _("Referral declined by {partner}").format(partner=f.get("partner")),
        "LetterSent": lambda: _("Letter sent: {kind}").format(kind=_(str(f.get("kind")))),
        "SignalObjected": lambda: _("Tenant objected to the municipal signal"),
        "MunicipalSignalSent": lambda: _("Municipal signal sent"),
        "CollectionCostsCharged": lambda: _("Collection costs charged: {amount}").format(
            amount=_money(f.get("cents"))),
        "BailiffEligible": lambda: _("Eligible for hand-over to the bailiff"),
        "BailiffHandedOver": lambda: _("Handed over to the bailiff"),
        "LegalActionEligible": lambda: _("Eligible for legal action"),
        "LegalActionDecided": lambda: _("Legal-action decision"),
        "Paused": lambda: _("Collection paused until {date}").format(date=f.get("until")),
        "Resumed": lambda: _("Collection resumed"),
        "Closed": lambda: _("Arrears case closed: {reason}").format(reason=f.get("reason")),
    }
    fn = texts.get(name)
    return fn() if fn is not None else name


def reason_text(row: dict[str, Any], _: Gettext) -> str:
    """Why a task is on the worklist, in words (the rule id is shown beside it)."""
    kind = row.get("kind")
    texts = {
        "phone": _("Call the tenant: rent unpaid"),
        "home_visit": _("Visit the tenant at home"),
        "promise_follow_up": _("Check the promise to pay"),
        "instalment_follow_up": _("An instalment was not paid"),
        "fix_contact_details": _("Contact details do not work: find new ones"),
        "call_back": _("The tenant asked to be called back"),
        "approve_bailiff": _("Approve the hand-over to the bailiff"),
        "review_legal_action": _("Decide on legal action (two team leads)"),
    }
    return texts.get(str(kind), str(kind))


def N_(text: str) -> str:  # marks a word for the catalog; translated where it is shown
    return text


VOCABULARY = [
    N_("prevention"), N_("worry"), N_("standard"),
    N_("phone"), N_("home_visit"), N_("robocall"), N_("sms"),
    N_("reached"), N_("no_answer"), N_("not_home"), N_("refused"), N_("voicemail"), N_("busy"),
    N_("invalid_number"), N_("failed"), N_("no_input"), N_("opted_out"), N_("delivered"), N_("chose_sms"),
    N_("chose_transfer"),
    N_("promise_follow_up"), N_("instalment_follow_up"), N_("fix_contact_details"), N_("call_back"),
    N_("approve_bailiff"), N_("review_legal_action"),
    N_("reminder"), N_("fourteen_day_letter"),
    N_("welfare"), N_("gkb"), N_("budget_coach"), N_("schuldhulpmaatje"),
    N_("open"), N_("closed"), N_("active"), N_("kept"), N_("broken"), N_("completed"),
    N_("officer"), N_("team_lead"), N_("letting"), N_("auditor"), N_("admin"),
]
