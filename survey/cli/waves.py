"""`waves create | list | close | links | invited`."""
from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext

from survey.db import session_scope
from survey.definitions import DefinitionError, find_survey
from survey.jobs import enqueue_build
from survey.invitations import ensure_open_links, open_link_url
from survey.waves import WaveError, close_wave, create_wave, list_waves, parse_date, set_invited, wave_by_name


@click.group("waves")
def waves_group():
    """Survey waves: one survey, a set of organisations, two dates."""


@waves_group.command("create")
@click.option("--survey", "survey_id", required=True, help="Survey id (see `surveys list`).")
@click.option("--name", required=True, help="A unique name, e.g. 'Staff experience 2025'.")
@click.option("--orgs", required=True, help="Organisation codes, comma separated; each includes everything below it.")
@click.option("--opens", required=True, help="First day, YYYY-MM-DD.")
@click.option("--closes", required=True, help="Last day, YYYY-MM-DD.")
@click.option("--open-link", is_flag=True, help="One shared link per organisation instead of one-time tokens.")
@with_appcontext
def create_command(survey_id, name, orgs, opens, closes, open_link):
    """Create a wave of a survey for organisations and everything below them."""
    try:
        definition = find_survey(current_app.instance_path, survey_id)
        opens_on, closes_on = parse_date(opens, "--opens"), parse_date(closes, "--closes")
        with session_scope() as session:
            wave = create_wave(session, definition, name, orgs.split(","), opens_on, closes_on, open_link)
            n, mode = len(wave.organisations), wave.mode.value.replace("_", "-")
    except (WaveError, LookupError, DefinitionError) as exc:
        raise click.ClickException(str(exc).strip("'\"")) from None
    click.echo(f"Created the {mode} wave '{name}' of '{survey_id}' (version {definition.version}) for {n} "
               f"organisation{'s' if n != 1 else ''}, open {opens_on} to {closes_on}.")
    if open_link:
        click.echo(f"Print its shared links with: flask --app survey waves links \"{name}\"")
    else:
        click.echo(f"Issue links with: flask --app survey tokens issue --wave \"{name}\" --org CODE --count N --out FILE.csv")


@waves_group.command("list")
@with_appcontext
def list_command():
    """List waves with their dates, status, invitations and responses."""
    today = dt.date.today()
    with session_scope() as session:
        summaries = list_waves(session)
        if not summaries:
            click.echo("No waves yet. Create one with `flask --app survey waves create`.")
        for s in summaries:
            mode = "open-link" if s.wave.mode.value == "open_link" else "invitation"
            click.echo(f"{s.wave.name}  [{s.wave.survey_id}, {mode}]  {s.wave.opens_on} to {s.wave.closes_on}  "
                       f"{s.status(today)}  {s.organisations} orgs  {s.invited} invited  {s.responses} responses")


@waves_group.command("close")
@click.argument("name")
@with_appcontext
def close_command(name):
    """Close a wave now (no more answers; results can be released)."""
    try:
        with session_scope() as session:
            wave_id = close_wave(session, name).id
    except WaveError as exc:
        raise click.ClickException(str(exc)) from None
    enqueue_build(current_app._get_current_object(), wave_id)
    click.echo(f"Closed the wave '{name}'. Its results are queued for a worker to prepare.")


@waves_group.command("links")
@click.argument("name")
@with_appcontext
def links_command(name):
    """Print the shared link of each organisation of an open-link wave."""
    from survey.config import base_url
    base = base_url(current_app.config)
    try:
        with session_scope() as session:
            pairs = ensure_open_links(session, wave_by_name(session, name))
            lines = [f"{org.code}\t{org.name}\t{open_link_url(base, slug)}" for org, slug in pairs]
    except WaveError as exc:
        raise click.ClickException(str(exc)) from None
    for line in lines:
        click.echo(line)


@waves_group.command("invited")
@click.argument("name")
@click.option("--org", "org_code", required=True, help="Organisation code.")
@click.option("--count", required=True, type=int, help="How many staff were invited.")
@with_appcontext
def invited_command(name, org_code, count):
    """Record how many staff an open-link wave invited at an organisation."""
    try:
        with session_scope() as session:
            set_invited(session, wave_by_name(session, name), org_code, count)
    except WaveError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Recorded {count} staff invited at {org_code} for '{name}'.")


commands = [waves_group]
