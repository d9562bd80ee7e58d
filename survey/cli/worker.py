"""`flask --app survey worker`: run the job queue's consumer (survey/jobs.py)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from survey.jobs import run_worker


@click.command("worker")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 16),
              help="Jobs run at once in this process (threads). Builds are CPU-bound: one per core at most.")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Run the scheduled jobs (the sweep, and maintenance, purge and notifications unless "
                   "JOBS_PERIODIC_MAINTENANCE is off). Give --no-periodic to every worker but one.")
@with_appcontext
def worker_command(workers: int, periodic: bool):
    """Build releases and run the scheduled jobs until stopped. SIGINT lets the job under way
    finish first; SIGTERM stops at once (a build cut short commits nothing and is built again)."""
    app = current_app._get_current_object()
    run_worker(app, workers, periodic)


commands = [worker_command]
