"""`demo`: an instance full of example data; `demo-code EMAIL`: a demo account's TOTP code."""
from __future__ import annotations

import logging
import time
from pathlib import Path
from urllib.parse import urlsplit

import click
import pyotp
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect, select

from survey.cli.setup import ensure_instance
from survey.db import engine, session_scope
from survey.demo import PASSWORD, build_demo, totp_uri
from survey.extensions import hash_token, keyring, password_hasher
from survey.models import StaffUser


def _prepare_instance(app) -> list[str]:
    """Create the instance if needed and make sure it is a demo instance."""
    config_file = Path(app.instance_path) / "config.py"
    fresh = not config_file.exists()
    if app.config.get("TESTING") and inspect(engine()).has_table("organisations"):
        done = []          # a test built the schema itself
    else:
        done = ensure_instance(app)
    if fresh:
        if config_file.exists():
            with config_file.open("a") as fh:
                fh.write("\n# Written by `flask --app survey demo`: this instance holds example data only.\nDEMO = True\n")
            done.append(f"marked {config_file} as a demo instance (DEMO = True)")
        app.config["DEMO"] = True
    elif not app.config.get("DEMO"):
        raise click.ClickException(
            f"The instance at {app.instance_path} is not a demo instance (its config.py has no DEMO = True), so "
            "demo data would mix with real data. Use another folder: "
            "SURVEY_INSTANCE_PATH=/tmp/staff-voice-demo flask --app survey demo")
    return done


def _run_command(base: str) -> str:
    """The `flask run` that serves the printed links: its port, and every interface if the
    links name another host (a phone on the same network)."""
    parts = urlsplit(base)
    args = ["flask --app survey run"]
    if parts.hostname not in (None, "localhost", "127.0.0.1"):
        args.append("--host 0.0.0.0")
    if parts.port and parts.port != 5000:
        args.append(f"--port {parts.port}")
    return " ".join(args)


@click.command("demo")
@click.option("--base-url", "base", default=None, metavar="URL",
              help="The address the links will be opened at, e.g. http://192.168.1.20:5000 to try them on a phone "
                   "on the same network (default: BASE_URL, else http://localhost:5000).")
@with_appcontext
def demo_command(base):
    """Create (or top up) a demo instance: example ICS, surveys, waves, responses, staff sign-ins.

    Running it again tops up the demo data (and prints fresh links); it never touches the
    results, which the job queue builds per closed wave (survey/jobs.py), or `report`."""
    from survey.config import base_url
    started = time.monotonic()
    app = current_app._get_current_object()
    base = (base or "").rstrip("/") or base_url(app.config)
    for line in _prepare_instance(app):
        click.echo(line)
    # The operations log each audited step as a JSON line; here a person reads the output.
    survey_log = logging.getLogger("survey")
    level = survey_log.level
    survey_log.setLevel(logging.WARNING)
    try:
        with session_scope() as session:
            result = build_demo(session, ring=keyring(), hasher=password_hasher(), hash_token=hash_token,
                                base_url=base, resolution=app.config["RESPONSE_DATE_RESOLUTION"])
    finally:
        survey_log.setLevel(level)
    click.echo(f"Organisations: {result.orgs}")
    for name in result.created_waves:
        click.echo(f"Created the wave '{name}'.")
    if result.kept_waves:
        click.echo(f"Kept the existing waves: {', '.join(result.kept_waves)}.")
    if result.responses:
        click.echo(f"Added {result.responses} synthetic responses and {result.comments} comments.")
    click.echo("")
    click.echo(f"Staff sign-ins (password for all three: {PASSWORD}):")
    for email, role, secret, _created in result.accounts:
        click.echo(f"  {role:9} {email}  TOTP secret {secret}")
        click.echo(f"            {totp_uri(email, secret)}")
    click.echo("  Current code: flask --app survey demo-code EMAIL (or add the secret to an authenticator app).")
    click.echo("")
    click.echo("Unused invitation links for the open wave (each works once):")
    for name, link in result.links:
        click.echo(f"  {link}   ({name})")
    if result.case:
        click.echo("")
        click.echo("A demo speak-up case to follow up at /speakup/followup (shown this once):")
        click.echo(f"  reference {result.case.reference}   access key {result.case.access_key}")
    click.echo("")
    click.echo(f"Done in {time.monotonic() - started:.1f} s. Start the app with: {_run_command(base)}")
    click.echo(f"and open {base}/ . The closed waves' results build themselves in the background once it "
               "runs (a minute or two); the EDI lead's page of each wave shows how far they have got.")


@click.command("demo-code")
@click.argument("email")
@with_appcontext
def demo_code_command(email):
    """Print the current TOTP code of a demo account (demo instances only)."""
    if not current_app.config.get("DEMO"):
        raise click.ClickException("This is not a demo instance (no DEMO = True in its config.py); "
                                   "use the account's authenticator app.")
    with session_scope() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
        if user is None or user.totp_secret is None:
            raise click.ClickException(f"No set-up account for {email}; run `flask --app survey demo` first.")
        secret = keyring().decrypt(user.totp_secret)
    totp = pyotp.TOTP(secret)
    left = totp.interval - int(time.time()) % totp.interval
    click.echo(totp.now())
    click.echo(f"(valid for {left} more seconds; each code signs in once)", err=True)


commands = [demo_command, demo_code_command]
