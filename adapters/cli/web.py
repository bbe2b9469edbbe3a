"""``vangnet serve`` (the workbench) and ``vangnet user`` (its accounts)."""

from __future__ import annotations

import sys

import click

from adapters.cli.common import Runtime, echo_json, fail, guarded, pass_runtime


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--sso-header", default=None, metavar="NAME", envvar="VANGNET_SSO_HEADER", show_envvar=True,
              help="trust this request header (set by your single-sign-on proxy) as the signed-in user; "
                   "off by default")
@click.option("--insecure-cookies", is_flag=True,
              help="session cookies without the Secure flag (plain HTTP, not on localhost)")
@pass_runtime
@guarded
def serve(rt: Runtime, host: str, port: int, sso_header: str | None, insecure_cookies: bool) -> None:
    """Start the officer's workbench (web pages and the JSON API under /api/v1)."""
    import uvicorn

    from adapters.web.app import WebSettings, create_app, secret_for
    from application.workbench import has_users

    rt.require("read")  # who starts the server (each request then acts as its signed-in user)
    rt.use_store_day()  # the workbench's "today" is the store's day (its last daily run)
    app = rt.app
    sso = sso_header or None
    settings = WebSettings(secret_key=secret_for(app), secure_cookies=not insecure_cookies, sso_header=sso,
                           out_dir=rt.settings().out_dir)
    web = create_app(app, settings)
    if not has_users(app) and not sso:
        click.echo("no users yet: add one with `vangnet user add NAME --role officer`", err=True)
    click.echo(f"Vangnet workbench on http://{host}:{port}/  (API: /api/v1, OpenAPI: /api/v1/openapi.json)")
    uvicorn.run(web, host=host, port=port, log_level="warning", access_log=False)


@click.group("user")
def user() -> None:
    """Workbench accounts (name, role, argon2 password hash)."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["officer", "team_lead", "letting", "auditor"]))
@click.option("--password-stdin", is_flag=True, help="read the password from standard input (first line)")
@pass_runtime
@guarded
def user_add(rt: Runtime, name: str, role: str, password_stdin: bool) -> None:
    """Create user NAME with ROLE (or give an existing user a new role and password)."""
    from adapters.web.accounts import AccountError, add_user

    _admin_only(rt)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        add_user(rt.app.store, name, role, password, on=rt.app.today())
    except AccountError as e:
        fail(str(e))
    click.echo(f"user {name} ({role}) saved")


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
def user_list(rt: Runtime, as_json: bool) -> None:
    """List workbench users (never their hashes)."""
    from application.workbench import list_users

    rows = list_users(rt.app, rt.actor)  # who may act in this installation: for auditors and the admin
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['name']:<20} {r['role']:<10} {'active' if r['active'] else 'disabled'}  since {r['created_on']}")


@user.command("disable")
@click.argument("name")
@pass_runtime
@guarded
def user_disable(rt: Runtime, name: str) -> None:
    """Disable user NAME (their sessions stop working at the next request)."""
    from adapters.web.accounts import AccountError, deactivate

    _admin_only(rt)
    try:
        deactivate(rt.app.store, name)
    except AccountError as e:
        fail(str(e))
    click.echo(f"user {name} disabled")


def _admin_only(rt: Runtime) -> None:
    from application.workbench import check_manages_users

    check_manages_users(rt.actor)  # AccessDenied: one line, exit 3 (guarded)


COMMANDS = [serve, user]
