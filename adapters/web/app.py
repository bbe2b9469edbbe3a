"""The workbench web application (FastAPI + Jinja2), server-rendered, no JavaScript needed.

Every page reads through ``application.workbench``; every action calls the same
application command as the CLI, as the signed-in user (``Actor(role, name)``).
Sessions are signed cookies (HttpOnly, SameSite=Lax, Secure unless turned off for
plain-HTTP development); every form carries the session's CSRF token; a case form
carries the case version it was rendered from (``expecting_version``).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import attrs
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from adapters.web import accounts
from adapters.web.describe import N_, describe_event, reason_text
from adapters.web.i18n import DEFAULT, LANGUAGES, gettext_for
from application import workbench
from application.access import AccessDenied
from application.ports import Contact
from application.risk import RiskScorer
from application.service import (
    CommandError,
    ConcurrencyConflict,
    NotFound,
    StaleVersion,
    Vangnet,
    expecting_version,
)
from domain import validation
from domain.values import Actor, Channel, InvalidValue, Outcome, Partner

HERE = Path(__file__).parent
SESSION_HOURS = 8


@attrs.frozen
class WebSettings:
    secret_key: str
    secure_cookies: bool = True
    sso_header: str | None = None  # e.g. "X-Remote-User", set only by a trusted proxy
    out_dir: str = "./vangnet-out"


class NotSignedIn(Exception):
    pass


class CsrfFailed(Exception):
    pass


def _risk_learner() -> Any:
    """scikit-learn, imported when the score is first trained (not at start-up)."""
    from adapters.risk import SklearnRisk

    return SklearnRisk()


def create_app(app: Vangnet, settings: WebSettings) -> FastAPI:
    web = FastAPI(title="Vangnet", version="1", docs_url="/api/docs", redoc_url=None,
                  openapi_url="/api/v1/openapi.json",
                  description="The Vangnet workbench API: tenancies, cases, worklist, contacts, "
                              "arrangements, suspense. Sign in with POST /api/v1/session; send the "
                              "returned csrf token as X-CSRF-Token on every change.")
    web.state.vangnet = app
    web.state.settings = settings
    # the risk score's model, trained once per store position and day (application.risk.RiskScorer)
    web.state.risk = RiskScorer(_risk_learner)
    web.add_middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie="vangnet_session",
                       max_age=SESSION_HOURS * 3600, same_site="lax", https_only=settings.secure_cookies)
    web.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["LANGUAGES"] = LANGUAGES
    templates.env.filters["eur"] = _eur_cents

    # ------------------------------------------------------------- plumbing
    def user_of(request: Request) -> accounts.User | None:
        name = None
        if settings.sso_header:
            name = request.headers.get(settings.sso_header)
        if not name:
            name = request.session.get("user")
        return accounts.active_user(app.store, name)

    def actor_of(request: Request) -> Actor:
        user = user_of(request)
        if user is None:
            raise NotSignedIn()
        return user.actor

    def csrf_token(request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = secrets.token_urlsafe(32)
            request.session["csrf"] = token
        return str(token)

    async def form_of(request: Request) -> dict[str, str]:
        form = await request.form()
        data = {k: v for k, v in form.items() if isinstance(v, str)}
        sent = data.get("csrf", "")
        if not sent or not hmac.compare_digest(sent, str(request.session.get("csrf", ""))):
            raise CsrfFailed()
        return data

    def lang_of(request: Request) -> str:
        lang = request.session.get("lang") or DEFAULT
        return lang if lang in LANGUAGES else DEFAULT

    def flash(request: Request, kind: str, text: str) -> None:
        request.session.setdefault("flash", []).append([kind, text])

    def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        lang = lang_of(request)
        _ = gettext_for(lang)
        user = user_of(request)
        messages = request.session.pop("flash", [])
        return templates.TemplateResponse(request, name, {
            "_": _, "lang": lang, "user": user, "csrf": csrf_token(request), "messages": messages,
            "today": app.today(), "may": (lambda p: user is not None and workbench.may(app, user.actor, p)),
            "describe": lambda item: describe_event(item, _), "reason": lambda r: reason_text(r, _),
            "sso": bool(settings.sso_header), **ctx,
        }, status_code=status)

    def back(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    def error_text(request: Request, e: Exception) -> str:
        _ = gettext_for(lang_of(request))
        if isinstance(e, StaleVersion):
            return _("This case was changed by someone else while you were working on it. Nothing was saved: "
                     "reload the page and try again.")
        if isinstance(e, AccessDenied):
            return _("Your role may not do this.") + f" ({e})"
        return str(e)

    def act(request: Request, where: str, fn: Callable[[], Any], done: str) -> RedirectResponse:
        _ = gettext_for(lang_of(request))
        try:
            fn()
        except AccessDenied:
            raise
        except (CommandError, NotFound, InvalidValue, ConcurrencyConflict, ValueError) as e:
            flash(request, "error", error_text(request, e))
            return back(where)
        flash(request, "ok", _(done))
        return back(where)

    @web.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if request.url.path.startswith("/api/"):
            from adapters.web.api import json_error

            return json_error(401, "session", "sign in first (POST /api/v1/session)")
        return back("/login?next=" + quote(request.url.path))

    @web.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        if request.url.path.startswith("/api/"):
            from adapters.web.api import json_error

            return json_error(403, "csrf", "missing or wrong X-CSRF-Token")
        _ = gettext_for(lang_of(request))
        return render(request, "error.html", status=403,
                      message=_("The form was too old or did not come from this site. Reload the page and try again."))

    @web.exception_handler(AccessDenied)
    async def _denied(request: Request, exc: AccessDenied) -> Response:
        if request.url.path.startswith("/api/"):
            from adapters.web.api import json_error

            return json_error(403, "role", str(exc))
        return render(request, "error.html", status=403, message=error_text(request, exc))

    @web.exception_handler(NotFound)
    async def _missing(request: Request, exc: NotFound) -> Response:
        if request.url.path.startswith("/api/"):
            from adapters.web.api import json_error

            return json_error(404, str(exc).split(":", 1)[0], str(exc))
        return render(request, "error.html", status=404, message=str(exc))

    # ---------------------------------------------------------- sign in/out
    @web.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        return back("/worklist")

    @web.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, next: str = "/worklist") -> Response:
        return render(request, "login.html", next=_safe_next(next), error=None)

    @web.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        data = await form_of(request)
        user = accounts.authenticate(app.store, data.get("name", ""), data.get("password", ""))
        if user is None:
            _ = gettext_for(lang_of(request))
            return render(request, "login.html", status=401, next=_safe_next(data.get("next", "")),
                          error=_("Unknown name or wrong password."))
        lang = lang_of(request)
        request.session.clear()  # a new session on sign-in (no fixation)
        request.session.update({"user": user.name, "lang": lang, "csrf": secrets.token_urlsafe(32)})
        return back(_safe_next(data.get("next", "")))

    @web.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        await form_of(request)
        lang = lang_of(request)
        request.session.clear()
        request.session["lang"] = lang
        return back("/login")

    @web.post("/language", include_in_schema=False)
    async def language(request: Request) -> Response:
        data = await form_of(request)
        if data.get("lang") in LANGUAGES:
            request.session["lang"] = data["lang"]
        return back(_safe_next(data.get("next", "")))

    # -------------------------------------------------------------- worklist
    @web.get("/worklist", response_class=HTMLResponse, include_in_schema=False)
    def worklist_page(request: Request, track: str = "", kind: str = "", officer: str = "",
                      page: int = 1) -> Response:
        actor = actor_of(request)
        day = app.today()
        page = max(1, min(page, 10_000))
        size = 50
        rows = workbench.ranked_worklist(app, actor, day, web.state.risk, track=track or None, kind=kind or None,
                                         officer=officer or None, limit=size + 1, offset=(page - 1) * size)
        more = len(rows) > size
        query = {k: v for k, v in (("track", track), ("kind", kind), ("officer", officer)) if v}
        return render(request, "worklist.html", rows=rows[:size], day=day, track=track, kind=kind, officer=officer,
                      page=page, more=more, query=urlencode(query), actor=actor)

    @web.post("/cases/{case_id}/take", include_in_schema=False)
    async def take(request: Request, case_id: str) -> Response:
        data = await form_of(request)
        actor = actor_of(request)
        return act(request, _safe_next(data.get("next", "/worklist")),
                   lambda: workbench.take_case(app, actor, case_id), N_("You work this case now."))

    # --------------------------------------------------------------- tenancy
    @web.get("/tenancy", include_in_schema=False)
    def find_tenancy(request: Request, ref: str = "") -> Response:
        actor_of(request)
        ref = ref.strip()
        if not ref:
            return back("/worklist")
        if not app.tenancy_exists(ref):
            try:  # a case id or prefix finds its tenancy too
                case = app.get_case(ref)
                return back("/tenancy/" + quote(app.get_tenancy_by_id(case.tenancy_id).ref, safe=""))
            except NotFound:
                _ = gettext_for(lang_of(request))
                flash(request, "error", _("No tenancy or case {ref}.").format(ref=ref))
                return back("/worklist")
        return back("/tenancy/" + quote(ref, safe=""))

    @web.get("/tenancy/{ref}", response_class=HTMLResponse, include_in_schema=False)
    def tenancy_page(request: Request, ref: str) -> Response:
        actor = actor_of(request)
        screen = workbench.tenancy_screen(app, actor, ref)
        return render(request, "tenancy.html", s=screen, t=screen["tenancy"], case=screen["case"],
                      ref=ref, actor=actor, channels=["phone", "home_visit"],
                      outcomes=["reached", "no_answer", "not_home", "refused"],
                      partners=[p.value for p in Partner])

    def tenancy_url(ref: str) -> str:
        return "/tenancy/" + quote(ref, safe="")

    @web.post("/tenancy/{ref}/contact-details", include_in_schema=False)
    async def update_contact(request: Request, ref: str) -> Response:
        data = await form_of(request)
        actor = actor_of(request)

        def run() -> None:
            phone = _clean_phone(data.get("phone", ""))
            iban = _clean_iban(data.get("iban", ""))
            app.update_contact(actor, ref, Contact(
                tenancy_id=None, name=_optional(data, "name"), phone=phone,  # type: ignore[arg-type]
                address=_optional(data, "address", validation.ADDRESS_MAX), iban=iban,
                municipality=_optional(data, "municipality")))

        return act(request, tenancy_url(ref), run, N_("Contact details saved."))

    @web.post("/tenancy/{ref}/worry", include_in_schema=False)
    async def worry(request: Request, ref: str) -> Response:
        data = await form_of(request)
        actor = actor_of(request)
        return act(request, tenancy_url(ref),
                   lambda: app.raise_worry(actor, ref, reason=_required(data, "reason")), N_("Worry raised."))

    def case_action(name: str, done: str, run: Callable[[Actor, str, dict[str, str]], Any]) -> None:
        async def endpoint(request: Request, case_id: str) -> Response:
            data = await form_of(request)
            actor = actor_of(request)
            ref = data.get("ref", "")
            where = _safe_next(data["next"]) if data.get("next") else tenancy_url(ref) if ref else "/worklist"
            version = _int_or_none(data.get("version"))

            def go() -> None:
                with expecting_version(version):
                    run(actor, case_id, data)

            return act(request, where, go, done)

        web.add_api_route(f"/cases/{{case_id}}/{name}", endpoint, methods=["POST"], include_in_schema=False,
                          name=f"case_{name}")

    case_action("contact", N_("Contact recorded."), lambda a, c, d: app.record_contact(
        a, c, channel=Channel(_choice(d, "channel", ("phone", "home_visit"))),
        outcome=Outcome(_choice(d, "outcome", ("reached", "no_answer", "not_home", "refused"))),
        promise_date=_date_or_none(d.get("promise_date"), "promise_date"), task_id=d.get("task_id") or None))
    case_action("refer", N_("Referral recorded."), lambda a, c, d: app.refer(
        a, c, partner=Partner(_choice(d, "partner", tuple(p.value for p in Partner))),
        consent=d.get("consent") == "yes"))
    case_action("arrange", N_("Arrangement agreed."), lambda a, c, d: app.agree_arrangement(
        a, c, instalments=_int(d, "instalments"), first_date=_date(d, "first_date"),
        amount_cents=validation.parse_amount(d["amount"]) if d.get("amount", "").strip() else None))
    case_action("object", N_("Objection to the municipal signal recorded."), lambda a, c, d: app.object_to_signal(a, c))
    case_action("complete-task", N_("Task completed."), lambda a, c, d: app.close_task(
        a, c, _required(d, "task_id", 120), outcome=_optional(d, "outcome") or "done"))
    case_action("approve-bailiff", N_("Bailiff hand-over approved."), lambda a, c, d: app.approve_bailiff(a, c))
    case_action("decide-legal", N_("Legal-action decision recorded."), lambda a, c, d: app.decide_legal_action(
        a, c, reason=_required(d, "reason")))

    @web.get("/cases/{case_id}/dossier.pdf", include_in_schema=False)
    def dossier_pdf(request: Request, case_id: str) -> Response:
        from adapters.audit.dossier import render_pdf
        from application.audit import dossier

        actor = actor_of(request)
        data = dossier(app, actor, case_id)
        return Response(render_pdf(data), media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="dossier-{data["tenancy"]["ref"]}-{data["case"]["period"]}.pdf"'})

    @web.get("/cases/{case_id}/letters/{kind}.pdf", include_in_schema=False)
    def letter_pdf(request: Request, case_id: str, kind: str) -> Response:
        actor = actor_of(request)
        app.access.check(actor, "read")
        case = app.get_case(case_id)
        letter = case.letters.get(kind)
        if letter is None:
            raise NotFound(f"letter: case {case.id} has no {kind!r} letter")
        from adapters.letters.outbox import file_stem
        from application.service import attempt_id

        stem = file_stem(attempt_id(case.id, letter["letter_id"]))
        path = Path(settings.out_dir) / "letters" / letter["posted_on"].isoformat() / f"{stem}.pdf"
        if not path.is_file():
            raise NotFound(f"letter: {stem}.pdf is not in the outbox folder")
        return Response(path.read_bytes(), media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{stem}.pdf"'})

    # ------------------------------------------------- team lead, suspense
    @web.get("/approvals", response_class=HTMLResponse, include_in_schema=False)
    def approvals_page(request: Request) -> Response:
        actor = actor_of(request)
        return render(request, "approvals.html", rows=workbench.approvals(app, actor, app.today()), actor=actor)

    @web.get("/suspense", response_class=HTMLResponse, include_in_schema=False)
    def suspense_page(request: Request) -> Response:
        actor = actor_of(request)
        return render(request, "suspense.html", rows=workbench.suspense(app, actor))

    @web.post("/suspense/{item_id}/assign", include_in_schema=False)
    async def suspense_assign(request: Request, item_id: str) -> Response:
        data = await form_of(request)
        actor = actor_of(request)
        return act(request, "/suspense",
                   lambda: workbench.assign_suspense(app, actor, item_id, _required(data, "ref", 64)),
                   N_("Bank item booked on the tenancy."))

    @web.get("/report", response_class=HTMLResponse, include_in_schema=False)
    def report_page(request: Request, first: str = "", last: str = "") -> Response:
        from adapters.simulation import kpi

        actor = actor_of(request)
        app.access.check(actor, "read")
        first, last = _month(first), _month(last)
        doc = kpi.compute(app, first=first or None, last=last or None)
        q = urlencode({k: v for k, v in (("first", first), ("last", last)) if v})
        return render(request, "report.html", doc=doc, first=first, last=last, q=q)

    @web.get("/report/chart.svg", include_in_schema=False)
    def report_chart(request: Request, first: str = "", last: str = "") -> Response:
        from adapters.simulation import kpi
        from adapters.simulation import render as sim_render

        actor = actor_of(request)
        app.access.check(actor, "read")
        doc = kpi.compute(app, first=_month(first) or None, last=_month(last) or None)
        if not doc["months"]:
            raise NotFound("report: no events in this period")
        return Response(sim_render.dashboard_bytes({"store": doc}, "svg"), media_type="image/svg+xml")

    from adapters.web.api import install_error_handlers, router

    web.include_router(router)
    install_error_handlers(web)
    web.state.actor_of = actor_of
    web.state.user_of = user_of
    return web


# ------------------------------------------------------------------ helpers


def _safe_next(url: str) -> str:
    return url if url.startswith("/") and not url.startswith("//") else "/worklist"


def _eur_cents(cents: int | None) -> str:
    from domain.values import format_cents

    return format_cents(cents or 0)


# Form fields go through the shared validation layer (domain.validation): one line naming
# the field and the (shortened, escaped) value.


def _required(d: dict[str, str], field: str, max_len: int = validation.REASON_MAX) -> str:
    return validation.check_text(d.get(field, ""), field, max_len=max_len)


def _optional(d: dict[str, str], field: str, max_len: int = validation.TEXT_MAX) -> str | None:
    return validation.check_optional_text(d.get(field), field, max_len=max_len)


def _int(d: dict[str, str], field: str, low: int = 1, high: int = 60) -> int:
    text = _required(d, field, 10)
    if not text.isascii() or not text.isdigit():
        raise InvalidValue(f"{field}: {validation.show(text)} must be a whole number")
    return validation.check_int(int(text), field, low, high)


def _int_or_none(v: str | None) -> int | None:
    try:
        return int(v) if v and v.isascii() and v.isdigit() else None
    except ValueError:
        return None


def _date(d: dict[str, str], field: str) -> date:
    return validation.parse_date(_required(d, field, 10), field)


def _date_or_none(v: str | None, field: str) -> date | None:
    if not v or not v.strip():
        return None
    return validation.parse_date(v.strip(), field)


def _choice(d: dict[str, str], field: str, choices: tuple[str, ...]) -> str:
    return validation.check_choice(d.get(field, ""), field, choices)


def _month(v: str) -> str:
    import re

    v = (v or "").strip()
    return v if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", v) else ""


def _clean_phone(v: str) -> str | None:
    v = v.strip()
    if not v:
        return None
    from adapters.telephony.numbers import InvalidNumber, normalise

    try:
        return normalise(v)
    except InvalidNumber:
        raise CommandError("phone: the given number is not a valid phone number") from None


def _clean_iban(v: str) -> str | None:
    v = v.strip()
    if not v:
        return None
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        return str(IBAN(v).compact)
    except SchwiftyException:
        raise CommandError("iban: the given IBAN is not valid (checksum or format)") from None


def new_secret() -> str:
    return secrets.token_urlsafe(48)


def secret_for(app: Vangnet) -> str:
    """The session-signing key: VANGNET_WEB_SECRET, else one kept in the store's meta table
    (made on first use, so sessions survive a restart and every worker agrees)."""
    import os

    from application.store import Upsert

    env = os.environ.get("VANGNET_WEB_SECRET")
    if env:
        return env
    key = app.store.get_meta("web_secret")
    if key is None:
        app.store.apply([Upsert("meta", ("key",), {"key": "web_secret", "value": new_secret()})])
        key = app.store.get_meta("web_secret")
    return str(key)


__all__ = ["WebSettings", "create_app", "secret_for"]
