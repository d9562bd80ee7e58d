"""`report --wave NAME --out DIR`: build (once) and write a closed wave's release files.

The build runs here in the foreground, under the same database claim as a worker's
(survey/releases/jobs.py): if a worker is building the wave's release just then, the
command says so and stops rather than build it twice. Progress goes to stderr: a bar
(tqdm) on a terminal, one plain line per stage otherwise (cron, scripts, logs).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from survey import csvsafe
from survey.db import session_scope
from survey.extensions import keyring
from survey.releases.build import (ReleaseError, build_wave_release, latest_release, params_from_config,
                                   require_finished)
from survey.releases.comments import comment_organisations, read_comments
from survey.releases.jobs import DONE, STAGES, request_build, run_build
from survey.releases.outputs import report_steps, write_release_files
from survey.waves import WaveError, wave_by_name

BUILD_STAGES = ["aggregating", "protecting", "storing"]


class Progress:
    """Stages of the build, then the files: a tqdm bar on a terminal, plain lines otherwise."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.bar = None
        self.last = None
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def logs_around_bar(self):
        """On a terminal, the app's log lines are printed above the bar instead of through it."""
        if not self.tty:
            return contextlib.nullcontext()
        from tqdm.contrib.logging import logging_redirect_tqdm
        return logging_redirect_tqdm(loggers=[logging.getLogger("survey")])

    def _bar(self, total: int, unit: str, desc: str):
        from tqdm import tqdm
        self.close()
        self.bar = tqdm(total=total, unit=unit, desc=desc, file=self.stream, leave=True, dynamic_ncols=True)

    def stage(self, stage: str) -> None:
        if stage == self.last:
            return
        self.last = stage
        if self.tty:
            if self.bar is None:
                self._bar(len(BUILD_STAGES), "stage", "Building")
            done = BUILD_STAGES.index(stage) if stage in BUILD_STAGES else len(BUILD_STAGES)
            self.bar.update(done - self.bar.n)
            self.bar.set_postfix_str(stage)
        else:
            click.echo(f"{STAGES.get(stage, stage)}...", err=True)

    def files(self, total: int) -> None:
        if self.bar is not None:
            self.bar.update(self.bar.total - self.bar.n)     # the build is done
        self._steps = 0
        self._total = total
        if self.tty:
            self._bar(total, "file", "Writing")
        else:
            click.echo(f"Writing the files ({total} steps)...", err=True)

    def step(self, name: str) -> None:
        self._steps += 1
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(name)
        else:
            click.echo(f"  {self._steps}/{self._total} {name}", err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


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
    progress = Progress()
    try:
        with progress.logs_around_bar():
            created = _build_here(wave_name, rebuild, today, progress)
        progress.close()
        with session_scope() as session:
            wave = wave_by_name(session, wave_name)
            release = latest_release(session, wave.id)
            progress.files(report_steps(release))
            paths = write_release_files(session, wave, release, out_dir, step=progress.step)
            progress.close()
            if with_comments:
                paths.append(_write_comments(session, wave, out_dir, today))
    except (WaveError, ReleaseError) as exc:
        progress.close()
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        progress.close()
        raise click.ClickException(f"Could not write to {out_dir}: {exc.strerror or exc}. "
                                   "Choose a folder you can write to.") from None
    what = "Built" if created else "Using"
    click.echo(f"{what} release version {release.version} of '{wave_name}' (built {release.built_at.date()}).")
    click.echo(f"Wrote {len(paths)} files to {out_dir}.")


def _build_here(wave_name: str, rebuild: bool, today: dt.date, progress: Progress) -> bool:
    """Build the wave's release in this process if it has none (or `rebuild`); True if built."""
    app = current_app._get_current_object()
    with session_scope() as session:
        wave = wave_by_name(session, wave_name)
        require_finished(wave, today)
        if latest_release(session, wave.id) is not None and not rebuild:
            return False
        _row, queued = request_build(session, wave, rebuild=rebuild, actor_id=None)
        if not queued:
            raise ReleaseError(f"A worker is building the release of '{wave.name}' now (or it is queued for one). "
                               "Run this again when the wave's page says the results are ready.")
        wave_id = wave.id

    def build(session, wave, row, tell):
        return build_wave_release(session, wave, params_from_config(app.config), today=today,
                                  rebuild=row.rebuild, progress=tell).release.version

    outcome = run_build(app.extensions["survey.sessionmaker"], wave_id, build,
                        tell=lambda _wave_id, stage, _worker: stage and progress.stage(stage),
                        lease_s=float(app.config["RELEASE_BUILD_LEASE_SECONDS"]), max_attempts=1)
    if outcome.state != DONE:
        from survey.models.jobs import ReleaseBuild
        with session_scope() as session:
            row = session.get(ReleaseBuild, wave_id)
            message = row.error if row is not None and row.error else "The build did not finish."
        raise ReleaseError(message)
    return True


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
