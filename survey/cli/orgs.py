"""`orgs import FILE.csv` and `orgs list`."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from survey.csvfile import InvalidFile
from survey.db import session_scope
from survey.orgs import COLUMNS, import_orgs_file, tree


@click.group("orgs")
def orgs_group():
    """Organisations: ICS > place > PCN > practice."""


@orgs_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def import_command(file):
    """Import or update organisations from a CSV file with the columns code,name,level,parent_code.

    Nothing is imported unless every line is right; re-importing updates names."""
    try:
        with session_scope() as session:
            summary = import_orgs_file(session, file)
    except InvalidFile as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(str(summary))


@orgs_group.command("list")
@with_appcontext
def list_command():
    """Show every organisation as a tree."""
    with session_scope() as session:
        rows = tree(session)
        if not rows:
            click.echo(f"No organisations yet. Import them with `flask --app survey orgs import FILE.csv` "
                       f"(columns {','.join(COLUMNS)}).")
            return
        for depth, org in rows:
            click.echo(f"{'  ' * depth}{org.code}  {org.name}  ({org.level.value})")


commands = [orgs_group]
