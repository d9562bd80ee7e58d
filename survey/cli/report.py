"""`report --wave NAME --out DIR`: build (once) and write a closed wave's release files."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from survey import csvsafe
from survey.db import session_scope
from survey.extensions import keyring
from survey.releases.build import ReleaseError, build_wave_release, params_from_config
from survey.releases.comments import comment_organisations, read_comments
from survey.releases.outputs import write_release_files
from survey.waves import WaveError, wave_by_name


@click.command("report")
@click.option("--wave", "wave_name", required=True, help="The wave's name (see `waves list`).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for indicators.csv, indicators.xlsx, response_rates.csv and charts/.")
@click.option("--rebuild", is_flag=True,
              help="Build a new version (e.g. after importing late responses); every earlier suppression is kept.")
@click.option("--with-comments", is_flag=True,
              help="Also write comments.csv (decrypted free text, only for organisations with enough answers).")
@with_appcontext
def report_command(wave_name: str, out_dir: Path, rebuild: bool, with_comments: bool):
    """Write a closed wave's disclosure-controlled results (built once, then frozen)."""
    today = dt.date.today()
    try:
        with session_scope() as session:
            wave = wave_by_name(session, wave_name)
            built = build_wave_release(session, wave, params_from_config(current_app.config), today=today,
                                       rebuild=rebuild)
            release = built.release
            paths = write_release_files(session, wave, release, out_dir)
            if with_comments:
                paths.append(_write_comments(session, wave, out_dir, today))
    except (WaveError, ReleaseError) as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"Could not write to {out_dir}: {exc.strerror or exc}. "
                                   "Choose a folder you can write to.") from None
    what = "Built" if built.created else "Using"
    click.echo(f"{what} release version {release.version} of '{wave_name}' (built {release.built_at.date()}).")
    click.echo(f"Wrote {len(paths)} files to {out_dir}.")


def _write_comments(session, wave, out_dir: Path, today: dt.date) -> Path:
    min_cell = int(current_app.config["MIN_CELL"])
    path = out_dir / "comments.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csvsafe.writer(fh)
        out.writerow(["wave", "org_level", "org_code", "org_name", "question", "comment"])
        for node in comment_organisations(session, wave, min_cell, today):
            for qid, text in read_comments(session, wave, node.code, min_cell, today, keyring()):
                out.writerow([wave.name, node.level, node.code, node.name, qid, text])
    return path


commands = [report_command]
