"""Queries (and two small commands) for front-ends: the officer's worklist, the tenancy
screen, approvals, suspense. Every query reads read models by key or index (no scan of
all tenancies or cases) and loads only the aggregates of the tenancy on screen.

Front-ends (the web workbench, the JSON API, the CLI) call these; they never query the
store themselves.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, TypedDict, Unpack

from application.risk import RiskScorer, order_worklist
from application.service import Vangnet, _eur, case_dict
from application.store import Upsert
from application.views import jsonable
from domain.tenancy import tenancy_id_for
from domain.values import Actor, Role

PERSONAL_ROLES = frozenset({Role.OFFICER, Role.TEAM_LEAD, Role.LETTING, Role.ADMIN})
APPROVAL_KINDS = ("approve_bailiff", "review_legal_action")


def may_see_personal(app: Vangnet, actor: Actor) -> bool:
    """Names and contact details: for the staff who contact tenants, not auditors or the system."""
    return actor.role in PERSONAL_ROLES and app.access.allowed(actor, "read")


def may(app: Vangnet, actor: Actor, permission: str) -> bool:
    return app.access.allowed(actor, permission)


def list_users(app: Vangnet, actor: Actor) -> list[dict[str, Any]]:
    """The workbench accounts (never their hashes), for who may audit the installation:
    auditors and the administrator."""
    app.access.check(actor, "audit")
    return app.store.users()


def has_users(app: Vangnet) -> bool:
    """Whether any workbench account exists (the server warns when none does)."""
    return bool(app.store.users())


def check_manages_users(actor: Actor) -> None:
    """Workbench accounts are managed by the local administrator only (no role can be
    granted this by the policy: an account decides who acts as whom)."""
    from application.access import require_admin

    require_admin(actor, f"only the local administrator manages users (actor {actor})")


def tenant_names(app: Vangnet, actor: Actor, tenancy_ids: list[str]) -> dict[str, str | None]:
    """Tenancy id -> the tenant's name, for a list on screen; empty for an actor who may
    not see personal data (auditors, the system)."""
    if not may_see_personal(app, actor):
        return {}
    names: dict[str, str | None] = {}
    for tid in tenancy_ids:
        if tid and tid not in names:
            c = app.store.contact(uuid.UUID(tid))
            names[tid] = c.name if c else None
    return names


# ------------------------------------------------------------------ worklist

PAGE_ROWS = 200


def worklist(
    app: Vangnet,
    actor: Actor,
    day: date,
    *,
    track: str | None = None,
    kind: str | None = None,
    officer: str | None = None,
    limit: int = PAGE_ROWS,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Open tasks due by ``day``: prevention first, then worry, then standard; within a
    track the longest overdue first. Each row: tenant name (where the actor may see it),
    reference, amount owed, days late, track, task kind, rule id, case id and officer."""
    app.access.check(actor, "read")
    rows = app.store.worklist_rows(until=day, track=track or None, kind=kind or None, officer=officer or None,
                                   with_names=may_see_personal(app, actor), limit=limit, offset=offset)
    out = []
    for r in rows:
        days_late = (day - date.fromisoformat(r["case_due_date"])).days if r.get("case_due_date") else 0
        cents = r.get("balance_cents") or 0
        out.append({
            "task_id": r["task_id"], "case_id": r["case_id"], "tenancy_id": r["tenancy_id"], "ref": r["ref"],
            "name": r.get("name"), "kind": r["kind"], "rule": r["rule"], "due_on": r["due_on"],
            "created_on": r["created_on"], "track": r["track"], "priority": r["priority"],
            "case_due_date": r["case_due_date"], "days_late": days_late, "amount_cents": cents,
            "amount": _eur(cents), "officer": r.get("officer"),
        })
    return out


class WorklistQuery(TypedDict, total=False):
    """``worklist``'s filters and page, passed on unchanged by ``ranked_worklist``."""

    track: str | None
    kind: str | None
    officer: str | None
    limit: int
    offset: int


def ranked_worklist(
    app: Vangnet, actor: Actor, day: date, scorer: RiskScorer | None, **query: Unpack[WorklistQuery]
) -> list[dict[str, Any]]:
    """The worklist as every front-end shows it (web page, JSON API, CLI): ``worklist``'s
    rows with ``risk``, and with the policy's risk score on (and enough history) the
    score as the last tie-breaker (``application.risk.order_worklist``). With the score
    on, the page is cut after ordering, so a tie across a page boundary orders the same
    as on one long list."""
    if scorer is None or not app.policy.risk_enabled:
        return [{**r, "risk": None} for r in worklist(app, actor, day, **query)]
    everything: WorklistQuery = {**query, "limit": ALL_ROWS, "offset": 0}
    rows = worklist(app, actor, day, **everything)
    offset = query.get("offset", 0)
    return order_worklist(app, scorer, day, rows)[offset:offset + query.get("limit", PAGE_ROWS)]


ALL_ROWS = 100_000


def take_case(app: Vangnet, actor: Actor, case_id: str, *, on: date | None = None) -> str:
    """The actor works this case from now on (the worklist's officer filter)."""
    app.access.check(actor, "record_contact")
    case = app.get_case(case_id)
    app.store.apply([Upsert("case_officers", ("case_id",), {
        "case_id": str(case.id), "officer": actor.id, "since": (on or app.today()).isoformat()})])
    return str(case.id)


# ------------------------------------------------------------------- tenancy


def tenancy_screen(app: Vangnet, actor: Actor, ref: str) -> dict[str, Any]:
    """Everything the tenancy screen shows: the tenancy, contact details and their
    history (where the actor may see them), every case, the open (or latest) case in
    full, its open tasks, and a timeline of every event with its rule id and inputs."""
    view = app.tenancy_view(actor, ref)
    t = app.get_tenancy(ref)
    personal = may_see_personal(app, actor)
    contact = app.store.contact(t.id) if personal else None
    history = app.store.contact_history(t.id) if personal else []
    cases = app.store.case_rows_of(t.id)
    current = None
    case_agg = None
    if cases:
        open_rows = [c for c in cases if c["status"] == "open"]
        case_agg = app.get_case(uuid.UUID((open_rows or cases)[-1]["case_id"]))
        current = case_dict(case_agg, t)
        current["arrangement"] = _plain(case_agg.arrangement)
        current["open_tasks"] = [
            {**_plain(x), "global_id": f"{case_agg.id.hex}.{x['task_id']}"} for x in case_agg.open_tasks()
        ]
        current["officer"] = app.store.case_officer(case_agg.id)
        current["debt_counselling_accepted"] = case_agg.debt_counselling_accepted()
    return {
        "tenancy": view,
        "personal_visible": personal,
        "contact": None if contact is None else {
            "name": contact.name, "phone": contact.phone, "address": contact.address, "iban": contact.iban,
            "municipality": contact.municipality,
        },
        "contact_history": [{k: v for k, v in h.items() if k != "tenancy_id"} for h in history],
        "cases": cases,
        "case": current,
        "timeline": timeline(app, t.id, [uuid.UUID(c["case_id"]) for c in cases]),
        "tenancy_exists": True,
    }


SKIP_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def timeline(app: Vangnet, tenancy_id: uuid.UUID, case_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """Every event of the tenancy and its cases, oldest first: what happened (event
    name), on which business day, by whom, by which rule and with which inputs. Sealed
    values (intake answers, reasons) are left out; they are never shown in a list."""
    items: list[dict[str, Any]] = []
    for agg_id, kind in [(tenancy_id, "tenancy"), *[(c, "case") for c in case_ids]]:
        for e in app.events.get(agg_id):
            name = type(e).__name__
            data = {k: v for k, v in vars(e).items() if k not in SKIP_FIELDS}
            fields = {k: _plain(v) for k, v in data.items()
                      if not k.startswith("sealed") and not (isinstance(v, str) and v.startswith("v1:"))}
            on = fields.pop("on", None) or fields.get("booked_on") or fields.get("opened_on") or fields.get(
                "start_date")
            by = fields.pop("by", None) or fields.get("approved_by")
            rule = fields.pop("rule", None)
            inputs = fields.pop("inputs", None)
            items.append({
                "aggregate": kind, "aggregate_id": str(agg_id), "version": e.originator_version,
                "event": name, "on": on, "by": by, "rule": rule,
                "at": e.timestamp.isoformat(),  # type: ignore[attr-defined]
                "inputs": inputs, "fields": fields,
            })
    items.sort(key=lambda x: (str(x["on"] or ""), x["at"]))
    return items


# ----------------------------------------------------------------- approvals


def approvals(app: Vangnet, actor: Actor, day: date) -> list[dict[str, Any]]:
    """Bailiff hand-overs and legal-action decisions waiting for a team lead, with the
    decisions taken so far (legal action needs two different team leads)."""
    app.access.check(actor, "read")
    personal = may_see_personal(app, actor)
    out = []
    for kind in APPROVAL_KINDS:
        for r in app.store.worklist_rows(until=day, kind=kind, with_names=personal, limit=500):
            c = app.get_case(uuid.UUID(r["case_id"]))
            out.append({
                "kind": kind, "case_id": r["case_id"], "ref": r["ref"], "name": r.get("name"),
                "amount": _eur(r.get("balance_cents") or 0), "due_on": r["due_on"], "rule": r["rule"],
                "version": c.version, "decisions": _plain(c.legal_decisions),
                "approved": c.legal_action_approved if kind == "review_legal_action" else
                c.bailiff_handed_over is not None,
                "eligible_on": _plain(c.legal_eligible_on if kind == "review_legal_action" else c.bailiff_eligible_on),
            })
    return out


# ------------------------------------------------------------------ suspense


def suspense(app: Vangnet, actor: Actor, *, status: str | None = "open") -> list[dict[str, Any]]:
    """Bank items in suspense (application.bank), oldest first, with a suggested tenancy."""
    from application.bank import BankBook

    return BankBook(app).suspense(actor, all_items=status is None)


def assign_suspense(app: Vangnet, actor: Actor, item_id: str, ref: str) -> None:
    """Book an open bank item as a payment of tenancy ``ref`` (application.bank)."""
    from application.bank import BankBook

    BankBook(app).assign(actor, item_id, ref)


def tenancy_id(ref: str) -> uuid.UUID:
    return tenancy_id_for(ref)


_plain = jsonable
