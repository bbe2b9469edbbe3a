"""``vangnet telephony``: collect call-list vendor results; serve Twilio webhooks."""

from __future__ import annotations

from pathlib import Path

import click

from adapters.cli.common import Runtime, echo_json, fail, guarded, pass_runtime


@click.group()
def telephony() -> None:
    """Robocall and SMS providers (call-list vendor, Twilio)."""


@telephony.command("collect")
@click.argument("inbox", type=click.Path(file_okay=False), required=False)
@click.option("--json", "as_json", is_flag=True)
@pass_runtime
@guarded
def telephony_collect(rt: Runtime, inbox: str | None, as_json: bool) -> None:
    """Record the vendor's result files from INBOX (default OUT/calls/inbox).

    A file with any malformed row is refused whole (line, field, value) and
    nothing of it is recorded; a result is never recorded twice."""
    from adapters.telephony.vendor import collect

    sink = rt.app.fact_sink(rt.actor)  # the actor's record_facts right, checked before any file is read
    folder = Path(inbox) if inbox else Path(rt.settings().out_dir) / "calls" / "inbox"
    if not folder.is_dir():
        fail(f"inbox: {str(folder)!r} is not a folder")
    report = collect(folder, sink, folder / "processed")
    if as_json:
        echo_json({"recorded": report.recorded, "duplicates": list(report.duplicates),
                   "rejected": {k: [str(e) for e in v] for k, v in report.rejected.items()}})
    else:
        for line in report.lines():
            click.echo(line)
        if not report.recorded and not report.rejected and not report.duplicates:
            click.echo("no result files in the inbox")
    if report.rejected:
        fail(None, details=[f"{name}: {e}" for name, errs in report.rejected.items() for e in errs])


@telephony.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--auth-token", "token", envvar="VANGNET_TWILIO_AUTH_TOKEN", show_envvar=True, default=None,
              metavar="TOKEN", help="Twilio auth token that signs the requests; give it in the environment "
                                    "(a value on the command line is visible to other users of the machine)")
@pass_runtime
@guarded
def telephony_serve(rt: Runtime, host: str, port: int, token: str | None) -> None:
    """Serve the Twilio webhooks (TwiML IVR, status callbacks); unsigned requests get 403."""
    from adapters.cli.ledger import app_sections
    from adapters.telephony.twilio_adapter import make_webhook_app, serve

    rt.app.access.check(rt.actor, "record_facts")  # the webhooks record provider facts
    cfg = app_sections(rt).get("telephony", {})
    if not token:
        fail("telephony: VANGNET_TWILIO_AUTH_TOKEN is not set")
    if not cfg.get("public_url"):
        fail("telephony.public_url: required in the policy file to check request signatures")
    app = make_webhook_app(token, cfg["public_url"], rt.app, officer_line=cfg.get("officer_line"))
    click.echo(f"serving Twilio webhooks on http://{host}:{port} for {cfg['public_url']}")
    serve(app, host, port)


COMMANDS = [telephony]
