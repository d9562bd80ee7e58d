"""`surveys list` and `surveys check FILE`."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from survey.definitions import DefinitionError, available_surveys, load_definition


@click.group("surveys")
def surveys_group():
    """Survey definitions (shipped, and your own in <instance>/surveys/*.yaml)."""


@surveys_group.command("list")
@with_appcontext
def list_command():
    """List the surveys that can be used for a wave: id, version and title."""
    errors: list[DefinitionError] = []
    surveys = available_surveys(current_app.instance_path, errors=errors)
    for sid, definition in sorted(surveys.items()):
        click.echo(f"{sid}  (version {definition.version}, {len(definition.questions())} questions)  {definition.title}")
    for error in errors:
        click.echo(f"Not usable: {error}", err=True)
    if errors:
        raise click.ClickException(f"{len(errors)} survey file{'s' if len(errors) != 1 else ''} in "
                                   f"{current_app.instance_path}/surveys need fixing (see above).")


@surveys_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def check_command(file):
    """Validate one survey definition file; say what is wrong and where."""
    try:
        definition = load_definition(file)
    except DefinitionError as exc:
        found = exc.all
        head = f"{len(found)} problems found:\n" if len(found) > 1 else ""
        raise click.ClickException(head + "\n".join(str(p) for p in found)) from None
    click.echo(f"{file}: OK: '{definition.id}' version {definition.version}, {len(definition.sections)} sections, "
               f"{len(definition.questions())} questions.")


commands = [surveys_group]
