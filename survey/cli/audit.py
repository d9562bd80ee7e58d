"""`flask --app survey audit verify`: recompute the hash chain of the audit trail."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from survey import audit as audit_trail
from survey.db import session_scope


@click.group("audit")
def audit_group():
    """The append-only audit trail."""


@audit_group.command("verify")
@with_appcontext
def verify_command():
    """Check every event's hash and link; report the first broken one (exit 1)."""
    with session_scope() as session:
        result = audit_trail.verify(session)
    if result.ok:
        click.echo(f"Audit trail intact: {result.checked} events checked.")
        return
    click.echo(f"Audit trail BROKEN at event {result.first_broken_id} (event {result.checked} in order): {result.reason}.", err=True)
    sys.exit(1)


commands = [audit_group]
