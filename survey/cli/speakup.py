"""Freedom to Speak Up commands:

    flask --app survey speakup return --quarter 2025Q1 --out FILE.csv
    flask --app survey speakup notify      (cron, e.g. twice a day: e-mail digest to guardians)
    flask --app survey purge               (cron, daily: erase text of long-closed cases)
"""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from survey import audit
from survey.concerns import today
from survey.concerns.quarterly import parse_quarter, quarterly_return, to_csv
from survey.concerns.retention import purge
from survey.db import session_scope
from survey.extensions import keyring
from survey.notify import notify_guardians, notify_reporters


@click.group("speakup")
def speakup_group():
    """Freedom to Speak Up: the quarterly return and guardian notifications."""


@speakup_group.command("return")
@click.option("--quarter", required=True, help="Financial quarter, e.g. 2025Q1 (April to June 2025).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True), help="CSV file to write.")
@with_appcontext
def return_command(quarter: str, out: str):
    """Write the quarterly return (small counts suppressed) as CSV."""
    try:
        q = parse_quarter(quarter)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    path = Path(out)
    if not path.parent.exists():
        raise click.ClickException(f"The folder {path.parent} does not exist: create it or choose another --out.")
    with session_scope() as session:
        cfg = current_app.config
        table = quarterly_return(session, q, int(cfg["SPEAKUP_RETURN_MIN_COUNT"]), float(cfg.get("PROTECTION_LEVEL", 2)))
        audit.record(session, None, "concern.return_export", "return", q.label, {"via": "cli"})
    path.write_text(to_csv(table))
    suppressed = int((table["status"] != "ok").sum())
    click.echo(f"Wrote the return for {q.label} ({q.describe()}) to {path}: {len(table)} rows, {suppressed} suppressed.")


@speakup_group.command("notify")
@with_appcontext
def notify_command():
    """E-mail guardians if a case or reply arrived since the last run, and confidential
    reporters who asked for it that the guardian has replied (never any case content)."""
    if not current_app.config.get("MAIL_SERVER"):
        click.echo("E-mail is off (MAIL_SERVER is not set): nothing sent.")
        return
    with session_scope() as session:
        digest = notify_guardians(session, current_app.config)
        told = notify_reporters(session, keyring(), current_app.config)
    click.echo(f"{digest.new_cases} new case(s), {digest.updates} update(s); {digest.sent} e-mail(s) sent.")
    click.echo(f"{told} reporter(s) told that the guardian has replied.")


@click.command("purge")
@with_appcontext
def purge_command():
    """Erase the text of cases closed or withdrawn longer than RETENTION_MONTHS ago (safe daily)."""
    months = int(current_app.config.get("RETENTION_MONTHS", 12))
    try:
        with session_scope() as session:
            result = purge(session, today(), months)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Erased the text of {result.purged} case(s) closed before {result.cutoff.isoformat()}; "
               "their dates, elements and outcomes are kept.")


commands = [speakup_group, purge_command]
