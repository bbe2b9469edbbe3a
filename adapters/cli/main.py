"""``vangnet``: the command line of the preventive rent-arrears practice."""

from __future__ import annotations

import importlib
from datetime import date
from typing import Any

import click

from adapters.cli.common import (
    ADDRESS,
    DATE,
    MONEY,
    REASON,
    TEXT,
    YES_NO,
    Runtime,
    echo_json,
    fail,
    guarded,
    pass_runtime,
)

HELP = """Vangnet: prevent rent arrears and evictions, the Woonconcept way.

\b
Store: --db PATH (SQLite file, default ./vangnet.db, or VANGNET_DB), or a
postgresql://user@host:5432/db URL.
Actor: --as ROLE:ID or VANGNET_ACTOR (roles: officer, team_lead, letting,
auditor, system, admin). With no actor configured, a single-user installation
runs as the local administrator admin:<login name>, with every right. A
multi-user installation ([access] mode = "multi-user" in the policy) takes the
actor from the operating-system account and its roles in [access.users]; --as
may then only choose one of your own roles.
"""


class VangnetGroup(click.Group):
    """Every refusal is one line (``error: ...``) with exit code 2, also for the
    option errors click itself finds; an unexpected failure is one line with exit
    code 1 (VANGNET_DEBUG=1 shows the traceback)."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        import os
        import sys

        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.Abort:
            click.echo("error: aborted", err=True)
            sys.exit(1)
        except click.ClickException as e:
            click.echo(f"error: {' '.join(e.format_message().split())}", err=True)
            sys.exit(e.exit_code)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as e:  # noqa: BLE001 - the last line of defence: no traceback for users
            from adapters.cli.busy import exit_if_busy

            exit_if_busy(e)  # another writer held the store past the busy timeout: exit 75
            if os.environ.get("VANGNET_DEBUG"):
                raise
            text = " ".join(str(e).split())[:300]
            click.echo(f"error: internal error ({type(e).__name__}): {text}; "
                       "nothing more was done; VANGNET_DEBUG=1 shows the details", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


@click.group(cls=VangnetGroup, help=HELP)
@click.option("--db", metavar="TARGET", help="SQLite path or postgresql:// URL [env VANGNET_DB]")
@click.option("--policy", metavar="FILE", help="TOML policy file [env VANGNET_POLICY]")
@click.option("--as", "actor", metavar="ROLE:ID", help="who runs the command [env VANGNET_ACTOR]")
@click.option("--out", metavar="DIR", help="folder for letters, signals, call lists [env VANGNET_OUT]")
@click.version_option(package_name="vangnet")
@click.pass_context
def cli(ctx: click.Context, db: str | None, policy: str | None, actor: str | None, out: str | None) -> None:
    ctx.obj = Runtime(db, policy, actor, out)


# ----------------------------------------------------------------- tenancy


@cli.group()
def tenancy() -> None:
    """Tenancies: start, intake, due day, ledger, show."""


@tenancy.command("start")
@click.argument("ref")
@click.option("--rent", required=True, type=MONEY, help="monthly rent, e.g. 650.00")
@click.option("--start", "start_date", required=True, type=DATE)
@click.option("--due-day", type=click.IntRange(1, 31), default=None)
@click.option("--name", default=None, type=TEXT)
@click.option("--phone", default=None, type=TEXT)
@click.option("--address", default=None, type=ADDRESS)
@click.option("--iban", default=None, type=TEXT)
@click.option("--municipality", default=None, type=TEXT)
@pass_runtime
@guarded
def tenancy_start(rt: Runtime, ref: str, rent: int, start_date: date, due_day: int | None, name: str | None,
                  phone: str | None, address: str | None, iban: str | None, municipality: str | None) -> None:
    """Start tenancy REF (contact details go to the contact directory, never to events)."""
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
    contact = None
    if any((name, phone, address, iban, municipality)):
        contact = Contact(tenancy_id=None, name=name, phone=phone, address=address,  # type: ignore[arg-type]
                          iban=iban, municipality=municipality)
    rt.app.start_tenancy(rt.actor, ref, rent_cents=rent, start_date=start_date, due_day=due_day, contact=contact)
    click.echo(f"tenancy {ref} started")


@tenancy.command("intake")
@click.argument("ref")
@click.option("--debt-counselling", required=True, type=YES_NO)
@click.option("--garnishment", required=True, type=YES_NO)
@click.option("--financial-administration", required=True, type=YES_NO)
@click.option("--benefit-pay-day", type=click.IntRange(1, 28), default=None)
@click.option("--consent-partners", type=YES_NO, default=False)
@click.option("--date", "on", type=DATE, default=None)
@pass_runtime
@guarded
def tenancy_intake(rt: Runtime, ref: str, debt_counselling: bool, garnishment: bool, financial_administration: bool,
                   benefit_pay_day: int | None, consent_partners: bool, on: date | None) -> None:
    """Record the intake signal questions of REF, as given."""
    from domain.values import IntakeAnswers

    answers = IntakeAnswers(debt_counselling, garnishment, financial_administration, benefit_pay_day,
                            consent_partners)
    t = rt.app.record_intake(rt.actor, ref, answers, on=on)
    profile = "prevention profile assigned" if t.profile_active else "no prevention profile"
    proposed = f"; proposed due day {t.proposed_due_day}" if t.proposed_due_day else ""
    click.echo(f"intake of {ref} recorded: {profile}{proposed}")


@tenancy.command("agree-due-day")
@click.argument("ref")
@click.option("--day", required=True, type=click.IntRange(1, 31))
@click.option("--reason", required=True, type=REASON)
@click.option("--date", "on", type=DATE, default=None)
@pass_runtime
@guarded
def tenancy_agree_due_day(rt: Runtime, ref: str, day: int, reason: str, on: date | None) -> None:
    """Record an agreed rent due day for REF."""
    rt.app.agree_due_day(rt.actor, ref, day=day, reason=reason, on=on)
    click.echo(f"due day of {ref} is now {day}")


@tenancy.command("charge")
@click.argument("ref")
@click.option("--period", required=True, help="yyyy-mm")
@click.option("--amount", required=True, type=MONEY)
@click.option("--tx", default=None, help="transaction id (default REF/rent-PERIOD)")
@pass_runtime
@guarded
def tenancy_charge(rt: Runtime, ref: str, period: str, amount: int, tx: str | None) -> None:
    """Charge a month's rent to REF."""
    from domain.values import Period

    rt.app.charge_rent(rt.actor, ref, period=Period.parse(period), cents=amount, tx_id=tx)
    click.echo(f"charged {period} to {ref}")


@tenancy.command("pay")
@click.argument("ref")
@click.option("--amount", required=True, type=MONEY)
@click.option("--date", "on", required=True, type=DATE)
@click.option("--tx", required=True, help="transaction id")
@pass_runtime
@guarded
def tenancy_pay(rt: Runtime, ref: str, amount: int, on: date, tx: str) -> None:
    """Record a payment by REF (dated today or earlier, as in a ledger import)."""
    from domain.validation import check_not_future

    check_not_future(on, rt.app.today(), "date")
    report = rt.app.pay(rt.actor, ref, cents=amount, booked_on=on, tx_id=tx)
    click.echo("payment already recorded (skipped)" if report.skipped else f"payment {tx} recorded for {ref}")


@tenancy.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
def tenancy_show(rt: Runtime, ref: str, as_json: bool) -> None:
    """Show REF: profile, due day, balance, arrears, cases."""
    view = rt.app.tenancy_view(rt.actor, ref)
    if as_json:
        echo_json(view)
        return
    p = view["prevention_profile"]
    click.echo(f"tenancy {view['ref']}  rent {view['rent']}  due day {view['due_day']}"
               + (f"  (proposed {view['proposed_due_day']})" if view["proposed_due_day"] else ""))
    click.echo(f"prevention profile: {'yes' if p['active'] else 'no'}"
               + (f" ({', '.join(p['reasons'])})" if p["active"] and isinstance(p["reasons"], list) else ""))
    click.echo(f"worry flag: {'yes' if view['worry']['active'] else 'no'}")
    click.echo(f"balance {view['balance']}  unpaid since {view['unpaid_since'] or '-'}")
    for a in view["arrears"]:
        click.echo(f"  {a['period']}  {a['amount']}  due {a['due_date']}")
    if view["open_case_id"]:
        click.echo(f"open case {view['open_case_id']}")


@tenancy.command("update-contact")
@click.argument("ref")
@click.option("--name", default=None)
@click.option("--phone", default=None)
@click.option("--address", default=None)
@click.option("--iban", default=None)
@click.option("--municipality", default=None)
@click.option("--date", "on", type=DATE, default=None, help="day of the change (default: the store's day)")
@pass_runtime
@guarded
def tenancy_update_contact(rt: Runtime, ref: str, name: str | None, phone: str | None, address: str | None,
                           iban: str | None, municipality: str | None, on: date | None) -> None:
    """Change the contact details of REF (options left out keep their value); every change is
    kept in the contact history, and the worklist's fix-contact task can then be completed."""
    from adapters.cli.humans import clean_contact

    if not any((name, phone, address, iban, municipality)):
        fail("contact: give at least one of --name, --phone, --address, --iban, --municipality")
    contact = clean_contact(name, phone, address, iban, municipality)
    rt.use_store_day()
    rt.app.update_contact(rt.actor, ref, contact, on=on)
    click.echo(f"contact details of {ref} updated")


def _simple_tenancy_command(name: str, method: str, doc: str) -> None:
    @tenancy.command(name, help=doc)
    @click.argument("ref")
    @click.option("--reason", required=True, type=REASON)
    @click.option("--date", "on", type=DATE, default=None)
    @pass_runtime
    @guarded
    def cmd(rt: Runtime, ref: str, reason: str, on: date | None) -> None:
        getattr(rt.app, method)(rt.actor, ref, reason=reason, on=on)
        click.echo(f"{name}: {ref} done")


_simple_tenancy_command("assign-profile", "assign_profile", "Assign a prevention profile to REF, with a reason.")
_simple_tenancy_command("lift-profile", "lift_profile", "Lift the prevention profile of REF (team lead).")
_simple_tenancy_command("raise-worry", "raise_worry", "Flag REF as a concern (worry track).")
_simple_tenancy_command("lift-worry", "lift_worry", "Lift the worry flag of REF.")


@tenancy.command("end")
@click.argument("ref")
@click.option("--date", "on", required=True, type=DATE)
@click.option("--reason", required=True, type=REASON)
@pass_runtime
@guarded
def tenancy_end(rt: Runtime, ref: str, on: date, reason: str) -> None:
    """End tenancy REF (final account closes its case)."""
    rt.app.end_tenancy(rt.actor, ref, on=on, reason=reason)
    click.echo(f"tenancy {ref} ended on {on}")


# -------------------------------------------------------------------- case


@cli.group()
@click.pass_obj
def case(rt: Runtime) -> None:
    """Arrears cases: show, list, record contacts and agreements. CASE is a case id, a
    unique case-id prefix or a tenancy reference; without --date a command acts on the
    store's day (its last daily run)."""
    rt.use_store_day()


@case.command("show")
@click.argument("case_id")
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
def case_show(rt: Runtime, case_id: str, as_json: bool) -> None:
    """Show a case with every step and the rule that fired."""
    view = rt.app.case_view(rt.actor, case_id)
    if as_json:
        echo_json(view)
        return
    from adapters.cli.humans import print_case

    print_case(view)


@case.command("list")
@click.option("--open", "open_only", is_flag=True)
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
def case_list(rt: Runtime, open_only: bool, as_json: bool) -> None:
    """List cases from the read model."""
    rows = rt.app.list_cases(rt.actor, open_only=open_only)
    if as_json:
        echo_json(rows)
        return
    from adapters.cli.humans import print_case_list

    print_case_list(rt.app, rt.actor, rows)


def _case_id_arg(f: Any) -> Any:
    return click.argument("case_id")(f)


@case.command("contact")
@_case_id_arg
@click.option("--channel", required=True, type=click.Choice(["phone", "home_visit"]))
@click.option("--outcome", required=True, type=click.Choice(["reached", "no_answer", "not_home", "refused"]))
@click.option("--promise-date", type=DATE, default=None)
@click.option("--needs-help", is_flag=True)
@click.option("--note", default=None, help="what was said or seen (sealed; unreadable after erasure)")
@click.option("--date", "on", type=DATE, default=None)
@pass_runtime
@guarded
def case_contact(rt: Runtime, case_id: str, channel: str, outcome: str, promise_date: date | None,
                 needs_help: bool, note: str | None, on: date | None) -> None:
    """Record an officer's contact attempt (and a promise to pay)."""
    from domain.values import Channel, Outcome

    rt.app.record_contact(rt.actor, case_id, channel=Channel(channel), outcome=Outcome(outcome), on=on,
                          promise_date=promise_date, needs_help=needs_help, note=note)
    click.echo(f"contact recorded on case {case_id}")


@case.command("refer")
@_case_id_arg
@click.option("--partner", required=True, type=click.Choice(["welfare", "gkb", "budget_coach", "schuldhulpmaatje"]))
@click.option("--consent", required=True, type=YES_NO)
@click.option("--details", default=None, help="referral details (sealed; unreadable after erasure)")
@click.option("--date", "on", type=DATE, default=None)
@pass_runtime
@guarded
def case_refer(rt: Runtime, case_id: str, partner: str, consent: bool, details: str | None,
               on: date | None) -> None:
    """Refer the tenant to a partner (needs consent)."""
    from domain.values import Partner

    rt.app.refer(rt.actor, case_id, partner=Partner(partner), consent=consent, on=on, details=details)
    click.echo(f"referral to {partner} recorded")


@case.command("referral-result")
@_case_id_arg
@click.option("--partner", required=True, type=click.Choice(["welfare", "gkb", "budget_coach", "schuldhulpmaatje"]))
@click.option("--accepted/--declined", required=True)
@click.option("--date", "on", type=DATE, default=None)
@pass_runtime
@guarded
def case_referral_result(rt: Runtime, case_id: str, partner: str, accepted: bool, on: date | None) -> None:
    """Record whether a referral was accepted (debt counselling pauses collection)."""
    from domain.values import Partner

    method = rt.app.accept_referral if accepted else rt.app.decline_referral
    method(rt.actor, case_id, partner=Partner(partner), on=on)
    click.echo(f"referral to {partner} {'accepted' if accepted else 'declined'}")


@case.command("programme")
@_case_id_arg
@click.option("--state", required=True,
              type=click.Choice(["intake", "stabilisation", "minnelijk", "wsnp", "moratorium", "ended", "failed"]))
@click.option("--date", "on", type=DATE, default=None)
@pass_runtime
@guarded
def case_programme(rt: Runtime, case_id: str, state: str, on: date | None) -> None:
    """Record the debt-help programme's state (starts with an accepted GKB referral);
    while it runs no costs, bailiff or legal step; ended or failed resumes the playbook."""
    c = rt.app.change_programme(rt.actor, case_id, state=state, on=on)
    click.echo(f"debt-help programme: {state}" + (" (collection held)" if c.in_programme() else
                                                  " (the playbook resumes with an officer task)"))


@case.command("household")
@_case_id_arg
@click.option("--children", required=True, type=YES_NO, help="children in the household")
@click.option("--care", required=True, type=YES_NO, help="known care or health involvement")
@click.option("--social-services", required=True, type=YES_NO, help="social services (wijkteam) involved")
@click.option("--note", default=None, help="what else the officer saw (sealed)")
@click.option("--date", "on", type=DATE, default=None)
@pass_runtime
@guarded
def case_household(rt: Runtime, case_id: str, children: bool, care: bool, social_services: bool,
                   note: str | None, on: date | None) -> None:
    """Record household facts before legal action (sealed; shown in the legal review and
    the court dossier). With children, legal action waits until social services are involved."""
    rt.app.record_household(rt.actor, case_id, children=children, care=care, social_services=social_services,
                            note=note, on=on)
    click.echo("household facts recorded (sealed)")


@case.command("court")
@_case_id_arg
@click.option("--event", "kind", required=True,
              type=click.Choice(["summons", "hearing", "judgment", "eviction_scheduled", "eviction_prevented",
                                 "evicted"]))
@click.option("--outcome", default=None,
              help="judgment: dissolved, conditional or refused; eviction_prevented: paid or second_chance")
@click.option("--eviction-date", type=DATE, default=None, help="eviction_scheduled: the date set")
@click.option("--date", "on", type=DATE, default=None)
@pass_runtime
@guarded
def case_court(rt: Runtime, case_id: str, kind: str, outcome: str | None, eviction_date: date | None,
               on: date | None) -> None:
    """Record the road after the legal-action decision: summons, hearing, judgment,
    the eviction date, the eviction prevented (paid, second-chance contract) or carried out."""
    rt.app.record_court_event(rt.actor, case_id, kind=kind, on=on, outcome=outcome, scheduled_on=eviction_date)
    click.echo(f"court event recorded: {kind}" + (f" ({outcome})" if outcome else ""))


@case.command("arrange")
@_case_id_arg
@click.option("--instalments", required=True, type=click.IntRange(1, 60))
@click.option("--first-date", required=True, type=DATE)
@click.option("--amount", type=MONEY, default=None, help="total to arrange (default: the arrears)")
@click.option("--income", type=MONEY, default=None, help="net monthly household income (budget; sealed)")
@click.option("--fixed-costs", type=MONEY, default=None, help="monthly fixed costs besides the rent (sealed)")
@click.option("--people", type=click.IntRange(1, 20), default=1, show_default=True,
              help="persons in the household (living-allowance norm from the policy)")
@click.option("--date", "on", type=DATE, default=None)
@pass_runtime
@guarded
def case_arrange(rt: Runtime, case_id: str, instalments: int, first_date: date, amount: int | None,
                 income: int | None, fixed_costs: int | None, people: int, on: date | None) -> None:
    """Agree a payment arrangement in monthly instalments, checked against the budget:
    refused when the instalment does not fit, a warning when it is tight. The daily run
    sends the confirmation letter with the plan."""
    from domain.affordability import TIGHT, Budget

    budget = None
    if income is not None or fixed_costs is not None:
        if income is None or fixed_costs is None:
            fail("budget: give both --income and --fixed-costs")
        budget = Budget(income, fixed_costs, people)
    _, verdict = rt.app.arrange(rt.actor, case_id, instalments=instalments, first_date=first_date, on=on,
                                amount_cents=amount, budget=budget)
    if verdict is None:
        click.echo("warning: no budget given (--income, --fixed-costs): affordability not checked", err=True)
    elif verdict.verdict == TIGHT:
        click.echo(f"warning: {verdict.reason}", err=True)
    click.echo(f"arrangement of {instalments} instalments agreed"
               + (f" ({verdict.verdict})" if verdict is not None else ""))


@case.command("object-to-signal")
@_case_id_arg
@click.option("--date", "on", type=DATE, default=None)
@pass_runtime
@guarded
def case_object(rt: Runtime, case_id: str, on: date | None) -> None:
    """Record the tenant's objection to the municipal signal."""
    rt.app.object_to_signal(rt.actor, case_id, on=on)
    click.echo("objection recorded: no municipal signal will be sent")


@case.command("approve-bailiff")
@_case_id_arg
@click.option("--date", "on", type=DATE, default=None)
@pass_runtime
@guarded
def case_bailiff(rt: Runtime, case_id: str, on: date | None) -> None:
    """Approve the bailiff hand-over of an eligible case (team lead)."""
    rt.app.approve_bailiff(rt.actor, case_id, on=on)
    click.echo("bailiff hand-over approved")


@case.command("decide-legal-action")
@_case_id_arg
@click.option("--by", "by_name", default=None, help="staff id; must be the actor's own id (kept for old scripts)")
@click.option("--reason", required=True, type=REASON)
@click.option("--date", "on", type=DATE, default=None)
@pass_runtime
@guarded
def case_legal(rt: Runtime, case_id: str, by_name: str | None, reason: str, on: date | None) -> None:
    """Record a legal-action decision; filing needs two different team leads.

    The decision is recorded for the actor (--as, or the signed-in user of a
    multi-user installation); nobody can decide in another person's name."""
    from domain.validation import staff_id

    actor = rt.actor
    if by_name is not None and staff_id(by_name) != staff_id(actor.id):
        fail(f"by: {by_name!r} is not the actor {actor}; a decision is recorded for the person who makes it")
    case_ = rt.app.decide_legal_action(actor, case_id, reason=reason, on=on)
    state = "approved by two people" if case_.legal_action_approved else "needs a second, different decision"
    click.echo(f"legal-action decision recorded; {state}")


# --------------------------------------------------------------- day, worklist


@cli.group()
def day() -> None:
    """The daily run of the playbook."""


@day.command("run")
@click.option("--date", "on", required=True, type=DATE)
@click.option("--through", type=DATE, default=None)
@click.option("--allow-future", is_flag=True, help="allow days after today (simulations and tests only)")
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
def day_run(rt: Runtime, on: date, through: date | None, allow_future: bool, as_json: bool) -> None:
    """Run the playbook for DATE (and each day through --through); skipped days are caught up.

    Needs the run_day right (system, team_lead, or the single-user admin); the run's
    record names the actor. Days after today are refused unless --allow-future."""
    from application import daily_run
    from domain.validation import check_run_day

    if through is not None and through < on:
        fail(f"through: {through} is before --date {on}")
    actor = rt.actor
    rt.app.access.check(actor, "run_day")
    today = rt.app.today()
    check_run_day(on, today, allow_future=allow_future, field="date")
    if through is not None:
        check_run_day(through, today, allow_future=allow_future, field="through")
    reports = daily_run.run(rt.app, on, through=through, actor=actor)
    if as_json:
        echo_json([r.as_dict() for r in reports])
        return
    for r in reports:
        acts = ", ".join(f"{k} {v}" for k, v in sorted(r.actions.items())) or "nothing due"
        click.echo(f"{r.day}: opened {r.cases_opened}, checked {r.cases_evaluated}; {acts}")
        for e in r.errors:
            click.echo(f"  warning: {e}", err=True)


@cli.command("worklist")
@click.option("--date", "on", type=DATE, default=None)
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
def worklist(rt: Runtime, on: date | None, as_json: bool) -> None:
    """Officer tasks due (default: on the store's day), by priority (track, days late);
    with playbook.risk_enabled and enough history, the risk score breaks ties."""
    rt.use_store_day()
    day_ = on or rt.app.today()
    from adapters.risk import SklearnRisk
    from application.risk import RiskScorer, order_worklist

    if as_json:
        echo_json(order_worklist(rt.app, RiskScorer(SklearnRisk), day_, rt.app.worklist(rt.actor, day_)))
        return
    from adapters.cli.humans import print_worklist

    print_worklist(rt.app, rt.actor, day_)


@cli.group()
def policy() -> None:
    """The playbook policy (defaults from PLAYBOOK.md, overridden by a TOML file)."""


@policy.command("show")
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
def policy_show(rt: Runtime, as_json: bool) -> None:
    """Print the effective policy."""
    import os

    from adapters.bootstrap import ConfigError, check_adapter_sections
    from application.policy import PolicyError, load_policy, policy_as_dict

    try:
        pf = load_policy(rt.policy or os.environ.get("VANGNET_POLICY") or None)
        check_adapter_sections(pf)
    except (PolicyError, ConfigError) as e:
        fail(str(e))
    rt.require("read")
    data = policy_as_dict(pf)
    if as_json:
        echo_json(data)
        return
    for section, values in data.items():
        click.echo(f"[{section}]")
        tables = {k: v for k, v in (values or {}).items() if isinstance(v, dict)}
        for k, v in (values or {}).items():
            if k not in tables:
                click.echo(f"{k} = {v!r}".replace("'", '"').replace("True", "true").replace("False", "false"))
        click.echo()
        for k, table in tables.items():
            click.echo(f"[{section}.{k}]")
            for code, value in table.items():
                click.echo(f'{code} = "{value}"')
            click.echo()


# ---------------------------------------------------- plug-in command groups

for _module in (
    "adapters.cli.ledger",
    "adapters.cli.privacy",
    "adapters.cli.telephony",
    "adapters.cli.letters",
    "adapters.cli.audit",
    "adapters.cli.simulate",
    "adapters.cli.calibrate",
    "adapters.cli.web",
    "adapters.cli.store",
):
    try:
        _mod = importlib.import_module(_module)
    except ModuleNotFoundError as _e:
        if _e.name != _module:
            raise
        continue
    for _cmd in getattr(_mod, "COMMANDS", []):
        cli.add_command(_cmd)


def main() -> None:
    """The ``vangnet`` command: a closed pipe (``vangnet case list | head``) ends quietly."""
    import os
    import sys

    try:
        cli()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # nothing more to flush at exit
        sys.exit(141)
