"""JSON API ``/api/v1`` for other front-ends: the same application commands and roles as
the pages. Errors are ``{"error": {"field": ..., "reason": ...}}``."""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from adapters.web import accounts
from application import workbench
from application.access import AccessDenied
from application.ports import Contact
from application.service import (
    CommandError,
    ConcurrencyConflict,
    NotFound,
    StaleVersion,
    expecting_version,
)
from domain.values import Actor, Channel, InvalidValue, Outcome

router = APIRouter(prefix="/api/v1", tags=["v1"])

class ErrorBody(BaseModel):
    field: str
    reason: str


class Error(BaseModel):
    error: ErrorBody


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Error, "description": text}
    for code, text in ((400, "refused: the field and the reason"), (401, "not signed in"),
                       (403, "role may not, or no CSRF token"), (404, "no such record"),
                       (409, "changed by someone else: reload"))
}


def json_error(status: int, field: str, reason: str) -> JSONResponse:
    return JSONResponse({"error": {"field": field, "reason": reason}}, status_code=status)


def _field_of(message: str) -> str:
    head = message.split(":", 1)[0].strip()
    return head if re.fullmatch(r"[a-z_][a-z0-9_ .]{0,40}", head) else "request"


def install_error_handlers(web: Any) -> None:
    @web.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": ["request"], "msg": "invalid"}
        loc = [str(x) for x in first.get("loc", []) if x not in ("body", "query", "path")]
        return json_error(422, ".".join(loc) or "request", str(first.get("msg", "invalid")))


# --------------------------------------------------------------------- auth


def actor(request: Request) -> Actor:
    from adapters.web.app import NotSignedIn

    user = request.app.state.user_of(request)
    if user is None:
        raise NotSignedIn()
    return user.actor  # type: ignore[no-any-return]


def writer(request: Request) -> Actor:
    """A change: signed in, and (with a session cookie) the session's CSRF token as
    X-CSRF-Token. Requests authenticated by the single-sign-on header need it too."""
    from adapters.web.app import CsrfFailed

    who = actor(request)
    sent = request.headers.get("x-csrf-token", "")
    if not sent or not hmac.compare_digest(sent, str(request.session.get("csrf", ""))):
        raise CsrfFailed()
    return who


class SignIn(BaseModel):
    name: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class Session(BaseModel):
    user: str
    role: str
    csrf: str


@router.post("/session", response_model=Session, responses={401: ERRORS[401]})
def sign_in(body: SignIn, request: Request) -> Any:
    """Sign in; the response's ``csrf`` goes into X-CSRF-Token on every change."""
    user = accounts.authenticate(request.app.state.vangnet.store, body.name, body.password)
    if user is None:
        return json_error(401, "password", "unknown name or wrong password")
    request.session.clear()
    token = secrets.token_urlsafe(32)
    request.session.update({"user": user.name, "csrf": token})
    return {"user": user.name, "role": user.role.value, "csrf": token}


@router.get("/session", response_model=Session, responses={401: ERRORS[401]})
def who_am_i(request: Request, who: Actor = Depends(actor)) -> Any:
    token = request.session.get("csrf") or secrets.token_urlsafe(32)
    request.session["csrf"] = token
    return {"user": who.id, "role": who.role.value, "csrf": token}


# ------------------------------------------------------------------ queries


def _app(request: Request) -> Any:
    return request.app.state.vangnet


def _guarded(fn: Any) -> Any:
    try:
        return fn()
    except StaleVersion as e:
        return json_error(409, "version", str(e))
    except ConcurrencyConflict as e:
        return json_error(409, "version", str(e))
    except AccessDenied as e:
        return json_error(403, "role", str(e))
    except NotFound as e:
        return json_error(404, _field_of(str(e)), str(e))
    except (CommandError, InvalidValue, ValueError) as e:
        return json_error(400, _field_of(str(e)), str(e))


class WorklistRow(BaseModel):
    task_id: str
    case_id: str
    ref: str
    name: str | None
    kind: str
    rule: str
    due_on: str
    track: str
    days_late: int
    amount: str
    amount_cents: int
    officer: str | None
    risk: float | None = Field(None, description="probability still unpaid on the robocall day; breaks ties only "
                                                 "(null when the policy has the score off)")


@router.get("/worklist", response_model=list[WorklistRow], responses={401: ERRORS[401], 403: ERRORS[403]})
def worklist(request: Request, who: Actor = Depends(actor), day: date | None = Query(None, alias="date"),
             track: Literal["prevention", "worry", "standard"] | None = None, kind: str | None = Query(None, max_length=40),
             officer: str | None = Query(None, max_length=64), limit: int = Query(200, ge=1, le=1000),
             offset: int = Query(0, ge=0, le=1_000_000)) -> Any:
    """Open tasks due by ``date`` (default: today), by priority (track, days late; with the
    policy's risk score on, the score breaks ties)."""
    app = _app(request)
    scorer = request.app.state.risk
    return _guarded(lambda: workbench.ranked_worklist(app, who, day or app.today(), scorer, track=track, kind=kind,
                                                      officer=officer, limit=limit, offset=offset))


@router.get("/tenancies/{ref}", responses={k: ERRORS[k] for k in (401, 403, 404)})
def tenancy(ref: str, request: Request, who: Actor = Depends(actor)) -> Any:
    """The tenancy screen's data: tenancy, contact details and history (roles that may
    see them), cases, the open case in full, and the timeline."""
    app = _app(request)

    def run() -> Any:
        if not app.tenancy_exists(ref):
            raise NotFound(f"tenancy: {ref!r} does not exist")
        return workbench.tenancy_screen(app, who, ref)

    return _guarded(run)


class ContactDetails(BaseModel):
    name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=400)
    iban: str | None = Field(None, max_length=40)
    municipality: str | None = Field(None, max_length=100)


class Done(BaseModel):
    ok: bool
    version: int | None = None


@router.put("/tenancies/{ref}/contact", response_model=Done, responses={k: ERRORS[k] for k in (400, 401, 403, 404)})
def update_contact(ref: str, body: ContactDetails, request: Request, who: Actor = Depends(writer)) -> Any:
    """Change contact details (fields left out keep their value); the change is kept in the history."""
    from adapters.web.app import _clean_iban, _clean_phone

    app = _app(request)

    def run() -> Any:
        if not app.tenancy_exists(ref):
            raise NotFound(f"tenancy: {ref!r} does not exist")
        app.update_contact(who, ref, Contact(
            tenancy_id=None, name=(body.name or "").strip() or None,  # type: ignore[arg-type]
            phone=_clean_phone(body.phone or ""), address=(body.address or "").strip() or None,
            iban=_clean_iban(body.iban or ""), municipality=(body.municipality or "").strip() or None))
        return {"ok": True}

    return _guarded(run)


@router.get("/cases/{case}", responses={k: ERRORS[k] for k in (401, 403, 404)})
def case(case: str, request: Request, who: Actor = Depends(actor)) -> Any:
    """A case by id, unique id prefix or tenancy reference."""
    app = _app(request)
    return _guarded(lambda: app.case_view(who, case))


class ContactAttempt(BaseModel):
    channel: Literal["phone", "home_visit"]
    outcome: Literal["reached", "no_answer", "not_home", "refused"]
    promise_date: date | None = None
    task_id: str | None = Field(None, max_length=120)
    version: int | None = Field(None, ge=0, description="the case version you saw; 409 if it changed")


@router.post("/cases/{case}/contacts", response_model=Done, responses={k: ERRORS[k] for k in (400, 401, 403, 404, 409)})
def record_contact(case: str, body: ContactAttempt, request: Request, who: Actor = Depends(writer)) -> Any:
    """Record an officer's contact attempt (and a promise to pay)."""
    app = _app(request)

    def run() -> Any:
        with expecting_version(body.version):
            c = app.record_contact(who, case, channel=Channel(body.channel), outcome=Outcome(body.outcome),
                                   promise_date=body.promise_date, task_id=body.task_id)
        return {"ok": True, "version": c.version}

    return _guarded(run)


class Arrangement(BaseModel):
    instalments: int = Field(ge=1, le=60)
    first_date: date
    amount_cents: int | None = Field(None, ge=1, le=10**9)
    version: int | None = Field(None, ge=0)


@router.post("/cases/{case}/arrangements", response_model=Done,
             responses={k: ERRORS[k] for k in (400, 401, 403, 404, 409)})
def arrange(case: str, body: Arrangement, request: Request, who: Actor = Depends(writer)) -> Any:
    """Agree a payment arrangement in monthly instalments (default total: the arrears)."""
    app = _app(request)

    def run() -> Any:
        with expecting_version(body.version):
            c = app.agree_arrangement(who, case, instalments=body.instalments, first_date=body.first_date,
                                      amount_cents=body.amount_cents)
        return {"ok": True, "version": c.version}

    return _guarded(run)


@router.get("/suspense", responses={k: ERRORS[k] for k in (401, 403)})
def suspense(request: Request, who: Actor = Depends(actor),
             status: Literal["open", "assigned"] | None = "open") -> Any:
    """Bank items no tenancy could be matched to."""
    app = _app(request)
    return _guarded(lambda: workbench.suspense(app, who, status=status))


class Assign(BaseModel):
    ref: str = Field(min_length=1, max_length=64)


@router.post("/suspense/{item_id}/assign", response_model=Done,
             responses={k: ERRORS[k] for k in (400, 401, 403, 404)})
def assign(item_id: str, body: Assign, request: Request, who: Actor = Depends(writer)) -> Any:
    """Book a suspense item on a tenancy (team lead)."""
    app = _app(request)

    def run() -> Any:
        workbench.assign_suspense(app, who, item_id, body.ref)
        return {"ok": True}

    return _guarded(run)
