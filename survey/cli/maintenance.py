"""`flask --app survey maintenance`: nightly, before the backup (see survey/maintenance.py)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError

from survey.db import engine
from survey.maintenance import scrub_physical_order


@click.command("maintenance")
@with_appcontext
def maintenance_command():
    """Remove physical traces (transaction ids, row order) that could link a response to its invitation."""
    try:
        result = scrub_physical_order(engine())
    except OperationalError as exc:
        raise click.ClickException(f"The database could not be maintained ({type(exc.orig).__name__}); "
                                   "nothing was changed. Check it is reachable and not busy, then run this again.") from None
    for table, n in result.rewritten.items():
        click.echo(f"  {table}: {n} row(s) rewritten")
    for step in result.steps:
        click.echo(f"{result.backend}: {step}")


commands = [maintenance_command]
