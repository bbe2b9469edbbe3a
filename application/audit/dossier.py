"""The court dossier of a case, with the legal basis of each automated step."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from application.audit.common import _check_any
from application.audit.decoding import _plain
from domain.rulebook import RULES, legal_basis, load_rules


def _basis(rule: str | None) -> str | None:
    """The legal basis of a rule id: the domain keeps it beside the rule."""
    return legal_basis(rule)


class _LegalBasis(Mapping[str, str]):
    """Rule id -> legal basis, read from the domain's rules (``domain.rulebook.RULES``)."""

    def _items(self) -> dict[str, str]:
        load_rules()
        return {k: r.legal_basis for k, r in RULES.items() if r.legal_basis}

    def __getitem__(self, key: str) -> str:
        return self._items()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())


LEGAL_BASIS: Mapping[str, str] = _LegalBasis()


def _month_history(t: Any, until: date) -> list[dict[str, Any]]:
    """Per calendar month: rent charged, paid (net of reversals), credited, and the
    balance at the month's end, from the tenancy's booked transactions."""
    from domain.values import Period

    txs = sorted(t.transactions.values(), key=lambda x: x["booked_on"])
    if not txs:
        return []
    p = Period.of(min(t.start_date, txs[0]["booked_on"]))
    last = Period.of(max(until, txs[-1]["booked_on"]))
    rows: list[dict[str, Any]] = []
    balance = 0
    i = 0
    while p <= last:
        charged = paid = credited = costs = 0
        end = p.last_day()
        while i < len(txs) and txs[i]["booked_on"] <= end:
            kind, cents = txs[i]["kind"], txs[i]["cents"]
            if kind == "CHARGE":
                charged += cents
            elif kind == "PAYMENT":
                paid += cents
            elif kind == "REVERSAL":
                paid -= cents
            elif kind == "CREDIT":
                credited += cents
            elif kind == "COSTS":  # WIK collection costs, a ledger line
                costs += cents
            elif kind == "COSTS_REVERSAL":
                costs -= cents
            i += 1
        balance += charged - paid - credited + costs
        rows.append(
            {
                "period": str(p),
                "charged_cents": charged,
                "paid_cents": paid,
                "credited_cents": credited,
                "costs_cents": costs,
                "balance_cents": balance,
            }
        )
        p = p.next()
    return rows


def dossier(
    app: Any, actor: Any, case_id: uuid.UUID | str, *, generated_on: date | None = None
) -> dict[str, Any]:
    """What a Dutch district judge asks for before dissolving a lease for arrears: the
    tenancy, arrears per period and month by month, every contact attempt, letters with
    dates and deadlines, referrals, the municipal signal, promises and arrangements,
    legal steps, and every automated step with its rule and inputs.

    Personal data: only the tenant's name, from the contact directory (the dossier is
    for the court), or ``"erased"`` when it was erased."""
    from application.sealing import open_text
    from application.views import eur as _eur

    _check_any(app, actor, "audit", "read")
    c = app.get_case(case_id)
    t = app.get_tenancy_by_id(c.tenancy_id)
    day = generated_on or app.today()
    key = app.store.key(t.id)

    def text(v: Any) -> Any:  # sealed free text: readable with the tenancy key, else "erased"
        return open_text(key, t.id, v)

    contact = app.store.contact(t.id)
    is_erased = getattr(app.store, "is_erased", None)
    if contact is not None and contact.name:
        name = contact.name
    elif (is_erased is not None and is_erased(t.id)) or app.store.key(t.id) is None:
        name = "erased"
    else:
        name = "unknown"
    contacts = [
        {
            **_plain(x),
            "personal": x["channel"] in ("phone", "home_visit"),
            "basis": _basis(x.get("rule")),
        }
        for x in sorted(c.contacts, key=lambda x: x["on"])
    ]
    pending = [
        {"channel": channel, "on": v["on"].isoformat(), "rule": v["rule"], "id": k}
        for channel, group in (("robocall", c.robocalls), ("sms", c.sms))
        for k, v in group.items()
        if v["outcome"] is None
    ]
    sent_to = {s["action_id"]: s["inputs"] for s in c.steps}
    letters = [
        {
            # a new missed month's reminder is kept as "reminder:PERIOD": its kind, and its month
            "kind": kind.split(":")[0],
            "period": kind.split(":")[1] if ":" in kind else None,
            "posted_on": _plain(v["posted_on"]),
            "deadline": _plain(v["deadline"]),
            "amount": _eur(v["amount_cents"]),
            "costs": _eur(v["costs_cents"]) if v["costs_cents"] is not None else None,
            "letter_id": v["letter_id"],
            "checksum": v["checksum"],
            # who it was addressed to and who got a copy, as roles (LETTER-ADDRESSEE)
            "addressed_to": sent_to.get(v["letter_id"], {}).get("addressed_to", "tenant"),
            "copies": list(sent_to.get(v["letter_id"], {}).get("copies", [])),
        }
        for kind, v in sorted(c.letters.items(), key=lambda kv: kv[1]["posted_on"])
    ]
    steps = [
        {
            "on": s["on"].isoformat(),
            "rule": s["rule"],
            "action_id": s["action_id"],
            "inputs": _plain(s["inputs"]),
            "basis": _basis(s["rule"]),
        }
        for s in c.steps
    ]
    previous = []
    for other_id in t.case_ids:
        if other_id == c.id:
            continue
        try:
            o = app.get_case(other_id)
        except Exception:  # noqa: BLE001 - shown as missing rather than failing the dossier
            previous.append({"case_id": str(other_id), "missing": True})
            continue
        previous.append(
            {
                "case_id": str(o.id),
                "period": o.period,
                "opened_on": o.opened_on.isoformat(),
                "closed_on": _plain(o.closed_on),
                "close_reason": o.close_reason,
                "contacts": len(o.contacts),
                "letters": sorted(o.letters),
                "signal_on": _plain(o.signal["on"]) if o.signal else None,
            }
        )
    arrears = t.arrears_cents()
    return {
        "generated_on": day.isoformat(),
        "case": {
            "case_id": str(c.id),
            "version": c.version,
            "period": c.period,
            "due_date": c.due_date.isoformat(),
            "opened_on": c.opened_on.isoformat(),
            "opened_amount": _eur(c.amount_cents),
            "track": c.track,
            "status": "open" if c.is_open else "closed",
            "closed_on": _plain(c.closed_on),
            "close_reason": c.close_reason,
            "reopens": str(c.reopens) if c.reopens else None,
            "paused_until": _plain(c.paused_until),
            "pause_reason": text(c.pause_reason),
        },
        "tenancy": {
            "ref": t.ref,
            "tenancy_id": str(t.id),
            "version": t.version,
            "tenant_name": name,
            "start_date": t.start_date.isoformat(),
            "rent": _eur(t.rent_cents),
            "due_day": t.due_day,
            "due_day_history": _plain([{**h, "reason": text(h["reason"])} for h in t.due_day_history]),
            "prevention_profile": t.profile_active,
            "worry": t.worry,
            "ended_on": _plain(t.ended_on),
            "balance": _eur(t.balance_cents),
            "arrears_total": _eur(arrears),
            "months_of_rent": round(arrears / t.rent_cents, 2) if t.rent_cents else None,
        },
        "arrears_by_period": [
            {"period": p, "amount": _eur(cents), "due_date": d.isoformat()}
            for p, cents, d in t.arrears_by_period()
        ],
        "history_by_month": [
            {
                **r,
                "charged": _eur(r["charged_cents"]),
                "paid": _eur(r["paid_cents"]),
                "credited": _eur(r["credited_cents"]),
                "costs": _eur(r["costs_cents"]),
                "balance": _eur(r["balance_cents"]),
            }
            for r in _month_history(t, day)
        ],
        "contacts": contacts,
        "contacts_pending": pending,
        "personal_contact_attempts": sum(1 for x in contacts if x["personal"]),
        "promises": _plain(c.promises),
        "arrangements": _plain(c.arrangements),
        "referrals": _plain(c.referrals),
        "debt_counselling_accepted": c.debt_counselling_accepted(),
        "letters": letters,
        "signal": _plain(c.signal),
        "signal_conditions": c.signal_conditions(),
        "signal_objected_on": _plain(c.objected_on),
        "collection_costs": _eur(c.costs_cents) if c.costs_charged_on else None,
        "collection_costs_on": _plain(c.costs_charged_on),
        "bailiff_eligible_on": _plain(c.bailiff_eligible_on),
        "bailiff_handed_over": _plain(c.bailiff_handed_over),
        "legal_eligible_on": _plain(c.legal_eligible_on),
        "legal_decisions": _plain([{**x, "reason": text(x["reason"])} for x in c.legal_decisions]),
        "household": _plain([{"on": h["on"], "by": h["by"], "facts": text(h["sealed"])} for h in c.household]),
        "home_visits": _plain([x for x in c.contacts if x["channel"] == "home_visit"]),
        "court": _plain(c.court),
        "programme": _plain(c.programme),
        "programme_history": _plain(c.programmes),
        "notes": _plain([{"about": n["about"], "text": text(n["sealed"]), "on": n["on"], "by": n["by"]}
                         for n in c.notes]),
        "legal_action_approved": c.legal_action_approved,
        "steps": steps,
        "previous_cases": previous,
    }
