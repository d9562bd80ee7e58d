"""`flask --app survey users ...`: staff accounts (guardian, EDI lead, admin)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from survey.auth import accounts
from survey.db import session_scope
from survey.models import StaffUser


def _setup_link(token: str) -> str:
    from survey.config import base_url
    return base_url(current_app.config) + "/auth/setup/" + token


def _user(session, email: str) -> StaffUser:
    user = session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No account for {email}. `flask --app survey users list` shows them.")
    return user


@click.group("users")
def users():
    """Staff accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["guardian", "edi_lead", "admin"]))
@with_appcontext
def create(email, role):
    """Create an account and print its one-time set-up link (password and TOTP)."""
    try:
        with session_scope() as session:
            _user_obj, token = accounts.create_user(session, current_app.config["TOKEN_PEPPER"], email, role)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {role} account {email.strip().lower()}.")
    click.echo(f"Send this one-time set-up link to its owner (valid {accounts.SETUP_LINK_HOURS} hours; it is not stored):")
    click.echo(_setup_link(token))


@users.command("reset")
@click.option("--email", required=True)
@with_appcontext
def reset(email):
    """Clear password and TOTP, sign the account out everywhere, print a new set-up link."""
    with session_scope() as session:
        token = accounts.reset_factors(session, current_app.config["TOKEN_PEPPER"], _user(session, email), None)
    click.echo("Factors cleared. New set-up link:")
    click.echo(_setup_link(token))


@users.command("disable")
@click.option("--email", required=True)
@with_appcontext
def disable(email):
    """Disable an account (signs it out everywhere)."""
    with session_scope() as session:
        accounts.set_active(session, _user(session, email), False, None)
    click.echo(f"Disabled {email}.")


@users.command("enable")
@click.option("--email", required=True)
@with_appcontext
def enable(email):
    with session_scope() as session:
        accounts.set_active(session, _user(session, email), True, None)
    click.echo(f"Enabled {email}.")


@users.command("list")
@with_appcontext
def list_users():
    with session_scope() as session:
        for u in session.scalars(select(StaffUser).order_by(StaffUser.email)):
            state = "active" if u.is_active else "disabled"
            setup = "set up" if u.is_set_up else "awaiting set-up"
            click.echo(f"{u.email}\t{u.role.value}\t{state}\t{setup}")


commands = [users]
