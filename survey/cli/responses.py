"""`responses import FILE.csv --wave NAME [--append]`."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from survey.csvfile import InvalidFile
from survey.db import session_scope
from survey.extensions import keyring
from survey.response_import import import_responses
from survey.waves import WaveError, wave_by_name


@click.group("responses")
def responses_group():
    """Survey responses."""


@responses_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--wave", "wave_name", required=True, help="The wave the responses belong to.")
@click.option("--append", is_flag=True, help="Add to a wave that has responses already.")
@with_appcontext
def import_command(file, wave_name, append):
    """Import microdata: one row per respondent, an 'org' column and one column per question id.

    Codes as in the question bank ("1" and "01" are the same); empty = not answered; several
    codes of a multiple choice joined with ';'. Nothing is imported unless every cell is valid."""
    try:
        with session_scope() as session:
            wave = wave_by_name(session, wave_name)
            result = import_responses(session, keyring(), wave, file,
                                      current_app.config["RESPONSE_DATE_RESOLUTION"], append=append)
    except (InvalidFile, WaveError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Imported {result.responses} responses into '{wave_name}' (dated {result.submitted_on})"
               + (f" and {result.comments} comments (encrypted)" if result.comments else "") + ".")


commands = [responses_group]
