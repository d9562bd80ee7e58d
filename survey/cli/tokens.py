"""`tokens issue --wave NAME --org CODE --count N --out FILE.csv [--qr DIR]`."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from survey.db import session_scope
from survey.definitions.model import SurveyDefinition
from survey.extensions import hash_token
from survey.invitations import issue_tokens, token_link, write_links_csv, write_qr_slips
from survey.waves import WaveError, org_or_error, wave_by_name


@click.group("tokens")
def tokens_group():
    """One-time invitation links."""


@tokens_group.command("issue")
@click.option("--wave", "wave_name", required=True, help="Wave name.")
@click.option("--org", "org_code", required=True, help="Organisation code (one taking part in the wave).")
@click.option("--count", required=True, type=int, help="How many links.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="CSV file to write (must not exist).")
@click.option("--qr", "qr_dir", type=click.Path(file_okay=False), help="Also write one SVG QR code per link and slips.html here.")
@click.option("--base-url", "base", default=None, metavar="URL",
              help="The address people open the links at, e.g. https://staffvoice.example.nhs.uk "
                   "(default: BASE_URL, else http://localhost:5000).")
@with_appcontext
def issue_command(wave_name, org_code, count, out, qr_dir, base):
    """Issue one-time links; the database keeps only their keyed hashes."""
    from survey.config import base_url
    base = (base or "").rstrip("/") or base_url(current_app.config)
    out_path = Path(out)
    if out_path.exists():
        raise click.ClickException(f"{out} exists already; choose a new file name (the links in an existing file "
                                   "cannot be issued again, so it is never overwritten).")
    try:
        with session_scope() as session:
            wave = wave_by_name(session, wave_name)
            tokens = issue_tokens(session, hash_token, wave, org_code, count)
            links = [token_link(base, t) for t in tokens]
            # Written inside the transaction: if a file cannot be written, no hash is kept.
            write_links_csv(out_path, links)
            sheet = None
            if qr_dir:
                org = org_or_error(session, org_code)
                title = SurveyDefinition.from_json(wave.definition_json).title
                try:
                    sheet = write_qr_slips(Path(qr_dir), links, title, org, wave.closes_on)
                except BaseException:
                    out_path.unlink(missing_ok=True)
                    raise
    except WaveError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Wrote {count} one-time link{'s' if count != 1 else ''} for {org_code} in '{wave_name}' to {out}.")
    if sheet:
        click.echo(f"Wrote {count} QR code{'s' if count != 1 else ''} and a printable sheet: {sheet}")
    click.echo("Keep the file private and delete it once the links are handed out: they cannot be shown again.")


commands = [tokens_group]
