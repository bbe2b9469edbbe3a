"""The JSON API /api/v1 as another front-end uses it: same commands, same roles, errors
as {"error": {"field", "reason"}}; and schemathesis's generated requests against the served
OpenAPI document never get a server error."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from adapters.bootstrap import Settings, build
from adapters.memory import FixedClock, RecordingLetters, RecordingSignals
from adapters.web.app import WebSettings, create_app
from tests.e2e.workbench_story import PASSWORD, seed


def _web(tmp: Any) -> tuple[Any, Any]:
    clock = FixedClock(date(2026, 1, 1))
    app = build(Settings(db=str(tmp / "api.db"), out_dir=str(tmp / "out")), clock=clock,
                letters=RecordingLetters(), signals=RecordingSignals())
    seed(app, clock)
    return app, create_app(app, WebSettings(secret_key="k" * 48))


@pytest.fixture(scope="module")
def world(tmp_path_factory: Any) -> tuple[Any, Any]:
    return _web(tmp_path_factory.mktemp("api"))


def client(web: Any, name: str | None = None) -> tuple[TestClient, dict[str, str]]:
    c = TestClient(web, base_url="https://testserver")
    if name is None:
        return c, {}
    r = c.post("/api/v1/session", json={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c, {"X-CSRF-Token": r.json()["csrf"]}


def test_openapi_is_served_with_the_resources(world):
    _, web = world
    doc = TestClient(web).get("/api/v1/openapi.json").json()
    paths = set(doc["paths"])
    assert {"/api/v1/worklist", "/api/v1/tenancies/{ref}", "/api/v1/tenancies/{ref}/contact", "/api/v1/cases/{case}",
            "/api/v1/cases/{case}/contacts", "/api/v1/cases/{case}/arrangements", "/api/v1/suspense"} <= paths


def test_worklist_tenancy_and_a_contact_with_a_promise(world):
    app, web = world
    c, h = client(web, "olaf")
    rows = c.get("/api/v1/worklist").json()
    assert [r["ref"] for r in rows][:1] == ["T1"] and rows[0]["name"] == "J. Jansen" and rows[0]["days_late"] == 6
    t1 = c.get("/api/v1/tenancies/T1").json()
    version = t1["case"]["version"]
    r = c.post("/api/v1/cases/T1/contacts", headers=h, json={
        "channel": "phone", "outcome": "reached", "promise_date": "2026-04-24", "version": version})
    assert r.status_code == 200, r.text
    case = c.get("/api/v1/cases/T1").json()
    assert case["promises"][-1]["pay_by"] == "2026-04-24" and case["contacts"][-1]["by"] == "officer:olaf"
    # the same form again, from the version before: refused, nothing saved
    r = c.post("/api/v1/cases/T1/contacts", headers=h, json={
        "channel": "phone", "outcome": "no_answer", "version": version})
    assert r.status_code == 409 and r.json()["error"]["field"] == "version"
    assert len(app.get_case("T1").contacts) == len(case["contacts"])


def test_errors_name_the_field_and_reason(world):
    _, web = world
    c, h = client(web, "otto")
    r = c.post("/api/v1/cases/T2/arrangements", headers=h, json={"instalments": 0, "first_date": "2026-05-01"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "instalments"
    r = c.post("/api/v1/cases/T2/arrangements", headers=h, json={"instalments": 2, "first_date": "2026-01-01"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "first_date"
    r = c.get("/api/v1/tenancies/NOPE")
    assert r.status_code == 404 and r.json()["error"] == {"field": "tenancy", "reason": "tenancy: 'NOPE' does not exist"}
    r = c.put("/api/v1/tenancies/T2/contact", headers=h, json={"phone": "12"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "phone"


def test_roles_session_and_csrf(world):
    app, web = world
    anon, _ = client(web)
    assert anon.get("/api/v1/worklist").status_code == 401
    c, h = client(web, "audrey")
    assert c.get("/api/v1/tenancies/T1").json()["contact"] is None  # auditors see no personal data
    before = app.get_case("T2").version
    r = c.post("/api/v1/cases/T2/contacts", headers=h, json={"channel": "phone", "outcome": "reached"})
    assert r.status_code == 403 and r.json()["error"]["field"] == "role"
    o, _ = client(web, "olaf")
    r = o.post("/api/v1/cases/T2/contacts", json={"channel": "phone", "outcome": "reached"})  # no token
    assert r.status_code == 403 and r.json()["error"]["field"] == "csrf"
    assert app.get_case("T2").version == before


# -------------------------------------------------------------- schemathesis


@pytest.fixture(scope="module")
def api_world(tmp_path_factory: Any) -> tuple[Any, Any, dict[str, str], dict[str, str]]:
    app, web = _web(tmp_path_factory.mktemp("fuzz"))
    c, h = client(web, "tess")
    return app, web, h, dict(c.cookies)


def _fuzz(operation: Any, headers: dict[str, str], cookies: dict[str, str], seen: set[int]) -> Any:
    from hypothesis import given

    @given(case=operation.as_strategy())
    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def run(case: Any) -> None:
        response = case.call(headers=headers, cookies=cookies)
        seen.add(response.status_code)
        assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])

    return run


def test_generated_requests_never_get_a_server_error(api_world: Any) -> None:
    """Every operation of the served OpenAPI document, a few generated requests each,
    signed in as a team lead (writes carry the CSRF token)."""
    _, web, headers, cookies = api_world
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", web)
    statuses: dict[str, set[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        bucket = statuses.setdefault(f"{operation.method.upper()} {operation.path}", set())
        _fuzz(operation, headers, cookies, bucket)()
    assert len(statuses) >= 9
    assert 200 in statuses["GET /api/v1/worklist"]  # signed in: the requests reached the application
