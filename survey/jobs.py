"""The job queue: huey, with its queue in SQLite beside the app or in Redis.

- `JOBS_URL` unset: SqliteHuey in `instance/jobs.db` (one host; nothing to install).
  `redis://...`: RedisHuey, shared by any number of workers on any number of hosts.
- Workers: `flask --app survey worker` (a supervised service in production,
  docs/deploy.md). Under `flask --app survey run` (the demo) a consumer runs in threads of
  the server process instead (`JOBS_IN_PROCESS`, "auto"), so the README's first command
  needs no second one. gunicorn never runs one: a web request never builds a release.
- Tasks: `build_release(wave_id)` (survey/releases/jobs.py does the work and holds the
  claim); periodic, on the consumer's scheduler: the sweep every minute (waves that
  finished by date, builds whose worker died or whose message was lost) and, unless
  `JOBS_PERIODIC_MAINTENANCE` is off (then cron runs them), `maintenance` 02:15,
  `purge` 02:30, `speakup notify` every 15 minutes 07:00-19:45 Monday to Friday (times in
  UTC). Each periodic task holds a huey lock, so a slow run is never overlapped.
- The stage of a running build is kept in the queue's key-value store
  (`release-stage:<wave id>`), read by the wave page.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

import click
from huey import RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

log = logging.getLogger("survey.jobs")

EXT = "survey.huey"
_making = threading.Lock()


def init_app(app) -> None:
    app.extensions[EXT] = None      # built on first use: `init` may not have made instance/ yet
    if _serve_jobs_here(app):
        start_in_process(app)


def queue(app):
    """The app's huey instance, with its tasks."""
    huey = app.extensions.get(EXT)
    if huey is None:
        with _making:                       # the first requests of a threaded server may race here
            huey = app.extensions.get(EXT)
            if huey is None:
                huey = app.extensions[EXT] = _make_huey(app)
    return huey


def _make_huey(app):
    url = app.config.get("JOBS_URL")
    if url and str(url).startswith(("redis://", "rediss://", "unix://")):
        huey = RedisHuey(app.config["JOBS_NAME"], url=url, results=False)
    elif url and not str(url).startswith("sqlite:///"):
        raise RuntimeError(f"JOBS_URL must start with redis://, rediss://, unix:// or sqlite:///, not "
                           f"{str(url).split(':', 1)[0]}: (or leave it unset for instance/jobs.db).")
    else:
        path = Path(str(url)[len("sqlite:///"):]) if url else Path(app.instance_path) / "jobs.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey(app.config["JOBS_NAME"], filename=str(path), results=False, timeout=30)
    _register(huey, app)
    return huey


def _settings(app) -> dict:
    c = app.config
    return {"lease_s": float(c["RELEASE_BUILD_LEASE_SECONDS"]), "max_attempts": int(c["RELEASE_BUILD_ATTEMPTS"])}


def _register(huey, app) -> None:
    @huey.task(name="build_release")
    def build_release(wave_id: int):
        outcome = build_now(app, int(wave_id))
        if outcome.retry:
            build_release.schedule((wave_id,), delay=float(app.config["RELEASE_BUILD_RETRY_SECONDS"]))

    huey.survey_tasks = {"build_release": build_release}

    @huey.periodic_task(crontab(minute="*"), name="sweep_releases")
    def sweep_releases():
        sweep_now(app)

    if app.config.get("JOBS_PERIODIC_MAINTENANCE"):
        @huey.periodic_task(crontab(minute="15", hour="2"), name="maintenance")
        @huey.lock_task("maintenance")
        def maintenance():
            from survey.maintenance import scrub_physical_order
            with app.app_context():
                from survey.db import engine
                result = scrub_physical_order(engine())
            log.info("maintenance done", extra={"fields": {"backend": result.backend}})

        @huey.periodic_task(crontab(minute="30", hour="2"), name="purge")
        @huey.lock_task("purge")
        def purge():
            from survey.concerns import today
            from survey.concerns.retention import purge as purge_cases
            from survey.db import session_scope
            with app.app_context(), session_scope() as session:
                result = purge_cases(session, today(), int(app.config.get("RETENTION_MONTHS", 12)))
            log.info("purge done", extra={"fields": {"purged": result.purged}})

        @huey.periodic_task(crontab(minute="*/15", hour="7-19", day_of_week="1-5"), name="notify_guardians")
        @huey.lock_task("notify_guardians")
        def notify_guardians():
            if not app.config.get("MAIL_SERVER"):
                return
            from survey.db import session_scope
            from survey.extensions import keyring
            from survey.notify import notify_guardians as notify, notify_reporters
            with app.app_context(), session_scope() as session:
                digest = notify(session, app.config)
                told = notify_reporters(session, keyring(), app.config)
            log.info("guardian notification done", extra={"fields": {"sent": digest.sent, "reporters": told}})


def huey_task(app, name: str):
    return queue(app).survey_tasks[name]


# --- what the tasks do ----------------------------------------------------------------------

def stage_key(wave_id: int) -> str:
    return f"release-stage:{wave_id}"


def read_stage(app, wave_id: int) -> dict | None:
    try:
        return queue(app).get(stage_key(wave_id), peek=True)
    except Exception as exc:       # noqa: BLE001 - the page still shows the state from the database
        log.warning("job queue unavailable", extra={"fields": {"error": type(exc).__name__}})
        return None


def _tell(app):
    def tell(wave_id: int, stage: str | None, worker: str) -> None:
        huey = queue(app)
        try:
            if stage is None:
                huey.delete(stage_key(wave_id))
            else:
                huey.put(stage_key(wave_id), {"stage": stage, "worker": worker,
                                              "at": dt.datetime.now(dt.timezone.utc).isoformat()})
        except Exception as exc:   # noqa: BLE001 - a missing stage is shown as "waiting"
            log.warning("build stage not recorded", extra={"fields": {"error": type(exc).__name__}})
    return tell


def build_now(app, wave_id: int):
    """Claim and build one wave's release in this process (what the task runs)."""
    from survey.releases.build import build_wave_release, params_from_config
    from survey.releases.jobs import run_build
    from survey.releases.words import Labels
    from survey.releases.xlsx import stored_workbook

    def build(session, wave, row, progress):
        built = build_wave_release(session, wave, params_from_config(app.config), rebuild=row.rebuild,
                                   built_by=row.requested_by, progress=progress)
        progress("writing")
        stored_workbook(session, wave, built.release, Labels.load())    # kept with the release
        return built.release.version

    with app.app_context():
        maker = app.extensions["survey.sessionmaker"]
        outcome = run_build(maker, wave_id, build, tell=_tell(app), **_settings(app))
        if outcome.state in ("done", "failed"):
            from survey.releases.jobs import tell_watchers
            with maker() as session:
                tell_watchers(session, app.config, wave_id, outcome.state)
                session.commit()
        return outcome


def sweep_now(app) -> list[int]:
    """Queue what the sweep finds (survey.releases.jobs.sweep)."""
    from survey.releases.jobs import sweep
    with app.app_context():
        with app.extensions["survey.sessionmaker"]() as session:
            ids = sweep(session, dt.date.today(), _settings(app)["lease_s"])
            session.commit()
    for wave_id in ids:
        enqueue_build(app, wave_id)
    return ids


def enqueue_build(app, wave_id: int) -> bool:
    """Tell the queue about a build already requested (and committed). If the queue is
    unreachable the request stays queued in the database and the sweep sends it later."""
    try:
        huey_task(app, "build_release")(wave_id)
        return True
    except Exception as exc:       # noqa: BLE001
        log.warning("job queue unavailable; the build stays queued", extra={"fields": {
            "wave_id": wave_id, "error": type(exc).__name__}})
        return False


# --- consumers ----------------------------------------------------------------------------------

class _InProcessConsumer(Consumer):
    """huey's consumer in daemon threads of the web server's process: the server's own
    signal handling (Ctrl+C) stays as it is."""

    def _set_signal_handlers(self):
        pass


def start_in_process(app) -> None:
    def run():
        try:
            sweep_now(app)
        except Exception as exc:   # noqa: BLE001 - the minute's sweep tries again
            log.warning("sweep failed", extra={"fields": {"error": type(exc).__name__}})
        _InProcessConsumer(queue(app), workers=1, worker_type="thread", periodic=True,
                           check_worker_health=False).start()
        log.info("job worker running in this process")
    threading.Thread(target=run, name="jobs-start", daemon=True).start()


def _serve_jobs_here(app) -> bool:
    """Whether this process runs a consumer in threads: never in a command other than `run`
    (its threads would die with the command, and `worker` has its own); in a server, as
    JOBS_IN_PROCESS says ("auto": only under `flask run`)."""
    setting = app.config.get("JOBS_IN_PROCESS", "auto")
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.info_name != "run":
        return False
    if setting != "auto":
        return bool(setting)
    if ctx is None:
        return False
    from werkzeug.serving import is_running_from_reloader
    if is_running_from_reloader():
        return True                 # the reloader's child, which serves
    reload = ctx.params.get("reload")
    if reload is None:
        from flask.helpers import get_debug_flag
        reload = get_debug_flag()
    return not reload               # with the reloader, its child runs the consumer


def run_worker(app, workers: int, periodic: bool) -> None:
    """`flask --app survey worker`: huey's consumer until SIGTERM/SIGINT (graceful: a build
    under way finishes first; SIGKILL loses nothing but time, see survey/releases/jobs.py)."""
    sweep_now(app)
    huey = queue(app)
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=periodic)
    log.info("job worker started", extra={"fields": {
        "workers": workers, "periodic": periodic, "queue": type(huey.storage).__name__,
        "tasks": sorted(t.rsplit(".", 1)[-1] for t in huey._registry._registry)}})
    consumer.run()
    log.info("job worker stopped")

