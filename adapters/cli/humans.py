"""Readable CLI output for people: the case in full, the worklist and the case list with
names (where the actor may see them), amounts and days late."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from adapters.cli.common import fail


def clean_contact(name: str | None, phone: str | None, address: str | None, iban: str | None,
                  municipality: str | None) -> Any:
    from application.ports import Contact

    if iban:
        from schwifty import IBAN
        from schwifty.exceptions import SchwiftyException

        try:
            iban = str(IBAN(iban).compact)
        except SchwiftyException:
            fail("iban: the given IBAN is not valid (checksum or format)")
    if phone:
        from adapters.telephony.numbers import InvalidNumber, normalise

        try:
            phone = normalise(phone)
        except InvalidNumber:
            fail("phone: the given number is not a valid phone number")  # never echo the number
    return Contact(tenancy_id=None, name=name, phone=phone, address=address,  # type: ignore[arg-type]
                   iban=iban, municipality=municipality)


def _line(label: str, value: Any) -> None:
    if value in (None, "", [], {}):
        value = "-"
    click.echo(f"{label:<22}{value}")


def print_case(v: dict[str, Any]) -> None:
    """Every field of ``case show --json``, as sections."""
    click.echo(f"case {v['case_id']}  tenancy {v['tenancy_ref']}  period {v['period']}  "
               f"track {v['track']}  {v['status']}")
    _line("opened", f"{v['opened_on']} (due {v['due_date']}, {v['opened_amount']})")
    _line("arrears now", v["arrears"])
    if v.get("reopens"):
        _line("reopens", v["reopens"])
    if v.get("closed_on"):
        _line("closed", f"{v['closed_on']} ({v.get('close_reason')})")
    if v.get("paused_until"):
        _line("paused until", f"{v['paused_until']} ({v.get('pause_reason')})")
    arrangements = v.get("arrangements") or []
    for a in arrangements:
        inst = ", ".join(f"{i['due_on']} {_eur(i['cents'])}" for i in a.get("instalments", []))
        missed = f"; missed {', '.join(str(m) for m in a['missed'])}" if a.get("missed") else ""
        _line(f"arrangement {a.get('index', 0) + 1}", f"{a.get('status')} (agreed {a.get('agreed_on')} by "
              f"{a.get('by')}): {inst}{missed}")
    if not arrangements:
        _line("arrangement", None)
    _line("promises", "; ".join(f"pay by {p.get('pay_by')} ({p.get('status')}, made {p.get('on')} by {p.get('by')})"
                                for p in v.get("promises") or []))
    _line("referrals", "; ".join(
        f"{r.get('partner')} {r.get('on')} ({r.get('status', 'made')}, consent {'yes' if r.get('consent') else 'no'})"
        for r in v.get("referrals") or []))
    for key in ("programme", "programmes", "debt_help"):
        if v.get(key):
            _line("programme", v[key])
    letters = v.get("letters") or {}
    _line("letters", "; ".join(f"{k} posted {x.get('posted_on')}, deadline {x.get('deadline')}"
                               for k, x in letters.items()))
    sig = v.get("signal")
    _line("municipal signal", f"sent {sig['on']}" if sig else
          (f"objected {v['signal_objected_on']}" if v.get("signal_objected_on") else None))
    if v.get("signal_conditions"):
        conds = v["signal_conditions"]
        _line("signal conditions", ", ".join(f"{k}={x}" for k, x in conds.items()) if isinstance(conds, dict)
              else conds)
    _line("collection costs", v.get("collection_costs"))
    bailiff = v.get("bailiff_handed_over")
    _line("bailiff", f"handed over {bailiff['on']} (approved by {bailiff['approved_by']})" if bailiff else
          (f"eligible since {v['bailiff_eligible_on']}" if v.get("bailiff_eligible_on") else None))
    decisions = "; ".join(f"{d['by']} {d['on']}: {d['reason']}" for d in v.get("legal_decisions") or [])
    legal = (f"eligible since {v['legal_eligible_on']}" if v.get("legal_eligible_on") else "")
    if decisions:
        legal += f"; decisions: {decisions}" + ("; approved (two team leads)" if v.get("legal_action_approved") else "")
    _line("legal action", legal.strip("; "))
    open_tasks = [t for t in v.get("tasks") or [] if t.get("status") == "open"]
    click.echo(f"tasks ({len(open_tasks)} open)")
    for t in v.get("tasks") or []:
        click.echo(f"  {t.get('due_on')}  {t.get('kind'):<22} {t.get('rule'):<20} {t.get('status')}"
                   + (f" ({t.get('outcome')})" if t.get("outcome") else "") + f"  [{t.get('task_id')}]")
    click.echo(f"contacts ({len(v.get('contacts') or [])})")
    for c in v.get("contacts") or []:
        click.echo(f"  {c['on']}  {c['channel']:<10} {c['outcome']:<15} by {c['by']}"
                   + (f"  rule {c['rule']}" if c.get("rule") else ""))
    automated = [("robocall", k, x) for k, x in (v.get("robocalls") or {}).items()] + \
        [("sms", k, x) for k, x in (v.get("sms") or {}).items()]
    if automated:
        click.echo(f"automated calls and texts ({len(automated)})")
        for kind, k, x in automated:
            click.echo(f"  {x.get('on')}  {kind:<8} {x.get('rule', ''):<20} {x.get('outcome') or 'no result yet'}  [{k}]")
    click.echo(f"steps ({len(v.get('steps') or [])})")
    for s in v.get("steps") or []:
        inputs = ", ".join(f"{k}={x}" for k, x in (s.get("inputs") or {}).items())
        click.echo(f"  {s['on']}  {s['rule']:<20} {s['action_id']}" + (f"  ({inputs})" if inputs else ""))


def _eur(cents: Any) -> str:
    from domain.values import format_cents

    return format_cents(cents) if isinstance(cents, int) else str(cents)


def print_worklist(app: Any, actor: Any, day: date) -> None:
    from adapters.risk import SklearnRisk
    from application import workbench
    from application.risk import RiskScorer

    rows = workbench.ranked_worklist(app, actor, day, RiskScorer(SklearnRisk), limit=workbench.ALL_ROWS)
    if not rows:
        click.echo("no tasks due")
        return
    scored = any(r["risk"] is not None for r in rows)
    click.echo(f"{'due':<10}  {'track':<10} {'ref':<10} {'name':<22} {'amount':>10} {'late':>5}  "
               + (f"{'risk':>5}  " if scored else "") + f"{'task':<20} {'rule':<18} case")
    for r in rows:
        name = (r["name"] or "-")[:22]
        risk = (f"{r['risk']:>5.2f}  " if r["risk"] is not None else f"{'-':>5}  ") if scored else ""
        click.echo(f"{r['due_on']:<10}  {r['track']:<10} {r['ref']:<10} {name:<22} {r['amount']:>10} "
                   f"{r['days_late']:>4}d  {risk}{r['kind']:<20} {r['rule']:<18} {r['case_id'][:8]}")
    if scored:
        click.echo("risk: probability still unpaid on the robocall day (score breaks ties only)")


def print_case_list(app: Any, actor: Any, rows: list[dict[str, Any]]) -> None:
    from application.workbench import may_see_personal

    today = app.today()
    personal = may_see_personal(app, actor)
    names: dict[str, str | None] = {}
    if personal:
        import uuid

        for r in rows:
            tid = r.get("tenancy_id")
            if tid and tid not in names:
                c = app.store.contact(uuid.UUID(tid))
                names[tid] = c.name if c else None
    click.echo(f"{'case':<8}  {'ref':<10} {'name':<22} {'amount':>10} {'late':>5}  {'track':<10} {'status':<6} opened")
    for r in rows:
        late = (today - date.fromisoformat(r["due_date"])).days if r["status"] == "open" and r.get("due_date") else None
        name = (names.get(r.get("tenancy_id") or "") or "-")[:22]
        click.echo(f"{r['case_id'][:8]}  {r['ref']:<10} {name:<22} {_eur(r.get('balance_cents') or 0):>10} "
                   f"{(str(late) + 'd') if late is not None else '-':>5}  {r['track']:<10} {r['status']:<6} "
                   f"{r['opened_on']}")
