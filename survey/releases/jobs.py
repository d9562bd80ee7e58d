"""Building a wave's release in the background: ask, claim, build, report the stage.

- `request_build` (in the caller's transaction) puts the wave's claim row in `queued`;
  after the commit `survey.jobs.enqueue_build` tells the queue. Closing a wave does this,
  the wave page's button does it for a rebuild or a retry, and the worker's sweep does it
  for every wave that finished by date.
- `run_build` is what a worker does with the message: claim the row in one UPDATE
  (survey/models/jobs.py), build in ONE transaction that also marks the row `done`, and
  renew the claim's lease from a second thread while it works. A worker killed mid-build
  commits nothing: no release, no parts, no audit event; its lease lapses and the sweep
  queues the wave again, and the next claim counts a new attempt.
- Failures: a refusal (`ReleaseError`: no responses, the audit cannot protect the release)
  stops at once with its message; anything else is retried after a pause, up to
  RELEASE_BUILD_ATTEMPTS attempts in all (killed attempts count too), then stops. The row
  and the log say so with our own words and the exception's type, never its text.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import traceback
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from survey import audit
from survey.models import Response, Wave
from survey.models.jobs import ReleaseBuild
from survey.models.releases import Release

log = logging.getLogger("survey.jobs")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
# the build's stages in order, in the words the wave page uses
STAGES = {
    "queued": "Waiting for a worker",
    "aggregating": "Adding up the answers",
    "protecting": "Protecting small numbers (the exact check of every hidden number)",
    "storing": "Storing the results",
    "writing": "Writing the files (the Excel workbook)",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def worker_name() -> str:
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{threading.get_ident()}"


# --- asking ---------------------------------------------------------------------------------

def request_build(session: Session, wave: Wave, *, rebuild: bool, actor_id: int | None) -> tuple[ReleaseBuild, bool]:
    """Queue the wave's release (a new version if `rebuild`), in the caller's transaction;
    the caller commits and then calls survey.jobs.enqueue_build. Returns (row, queued):
    queued is False when a build is queued or running already (it is left alone)."""
    row = session.get(ReleaseBuild, wave.id, with_for_update=True)
    now = utcnow()
    if row is not None and row.state in (QUEUED, RUNNING):
        return row, False
    if row is None:
        row = ReleaseBuild(wave_id=wave.id)
        session.add(row)
    row.state, row.rebuild, row.attempts = QUEUED, rebuild, 0
    row.requested_at, row.requested_by, row.enqueued_at = now, actor_id, now
    row.started_at = row.finished_at = row.lease_until = None
    row.worker = row.error = None
    audit.record(session, actor_id, "release.queue", "wave", wave.id, {"rebuild": rebuild})
    return row, True


def due_waves(session: Session, today: dt.date) -> list[Wave]:
    """Finished waves with responses that have neither a release nor a build row: a wave
    that closed by date (nobody pressed anything), or one from before builds were queued."""
    has_release = exists().where(Release.wave_id == Wave.id)
    has_row = exists().where(ReleaseBuild.wave_id == Wave.id)
    has_answers = exists().where(Response.wave_id == Wave.id)
    candidates = session.scalars(select(Wave).where(~has_release, ~has_row, has_answers))
    return [w for w in candidates if w.is_finished(today)]


def sweep(session: Session, today: dt.date, lease_s: float) -> list[int]:
    """Waves whose build should be (re)sent to the queue; the caller commits, then sends.
    New: finished waves nobody asked for. Again: a queued row the queue was told about
    longer than a lease ago (its message lost, e.g. taken by a worker that was killed before
    it claimed), and a running row whose lease lapsed (its worker died)."""
    now = utcnow()
    out = []
    for wave in due_waves(session, today):
        request_build(session, wave, rebuild=False, actor_id=None)
        out.append(wave.id)
    stale = now - dt.timedelta(seconds=lease_s)
    rows = session.scalars(select(ReleaseBuild).where(or_(
        and_(ReleaseBuild.state == QUEUED, ReleaseBuild.enqueued_at < stale),
        and_(ReleaseBuild.state == RUNNING, ReleaseBuild.lease_until < now))))
    for row in rows:
        row.enqueued_at = now
        out.append(row.wave_id)
    return out


# --- the stage, kept in the queue's store ------------------------------------------------------

@dataclass(frozen=True)
class Status:
    """What the wave page shows about the wave's build."""
    state: str | None              # None: never asked
    stage: str | None = None       # a key of STAGES while running
    attempts: int = 0
    error: str | None = None
    rebuild: bool = False
    started_at: dt.datetime | None = None
    version: int | None = None

    @property
    def active(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    @property
    def stage_words(self) -> str:
        return STAGES.get(self.stage or "queued", STAGES["queued"])


def build_status(session: Session, wave_id: int, read_stage: Callable[[int], dict | None]) -> Status:
    row = session.get(ReleaseBuild, wave_id)
    if row is None:
        return Status(None)
    stage = None
    if row.state == RUNNING:
        seen = read_stage(wave_id) or {}
        # a stage left by a worker that died is not this attempt's
        stage = seen.get("stage") if seen.get("worker") == row.worker else "queued"
    return Status(row.state, stage, row.attempts, row.error, row.rebuild, row.started_at, row.version)


# --- building --------------------------------------------------------------------------------

def claim(maker: sessionmaker, wave_id: int, worker: str, lease_s: float, max_attempts: int) -> ReleaseBuild | None:
    """Take the wave's build for `worker`, or None if it is not ours to take (done, failed,
    running under a live lease, or out of attempts: see stop_exhausted)."""
    now = utcnow()
    with maker() as s:
        got = s.execute(update(ReleaseBuild)
                        .where(ReleaseBuild.wave_id == wave_id, ReleaseBuild.attempts < max_attempts, _takeable(now))
                        .values(state=RUNNING, worker=worker, started_at=now, attempts=ReleaseBuild.attempts + 1,
                                lease_until=now + dt.timedelta(seconds=lease_s)))
        if got.rowcount != 1:
            return None
        s.commit()
        return s.get(ReleaseBuild, wave_id)


def _takeable(now: dt.datetime):
    return or_(ReleaseBuild.state == QUEUED, and_(ReleaseBuild.state == RUNNING, ReleaseBuild.lease_until < now))


def stop_exhausted(maker: sessionmaker, wave_id: int, max_attempts: int) -> bool:
    """Turn the build to `failed` if its last allowed attempt died (its lease lapsed with
    every attempt used); True if this call stopped it."""
    now = utcnow()
    with maker() as s:
        dead = s.execute(update(ReleaseBuild)
                         .where(ReleaseBuild.wave_id == wave_id, ReleaseBuild.attempts >= max_attempts,
                                _takeable(now))
                         .values(state=FAILED, worker=None, lease_until=None, finished_at=now,
                                 error=f"Stopped after {max_attempts} attempts: the last one did not finish "
                                       "(the worker running it stopped). Nothing was released."))
        s.commit()
        if dead.rowcount != 1:
            return False
    log.error("release build stopped", extra={"fields": {"wave_id": wave_id, "attempts": max_attempts,
                                                       "error": "worker stopped"}})
    return True


class _Lease(threading.Thread):
    """Renews the claim's lease while the build runs, on a session of its own."""

    def __init__(self, maker: sessionmaker, wave_id: int, worker: str, lease_s: float):
        super().__init__(name=f"lease-{wave_id}", daemon=True)
        self.maker, self.wave_id, self.worker, self.lease_s = maker, wave_id, worker, lease_s
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(max(self.lease_s / 4, 0.5)):
            try:
                with self.maker() as s:
                    s.execute(update(ReleaseBuild).where(
                        ReleaseBuild.wave_id == self.wave_id, ReleaseBuild.state == RUNNING,
                        ReleaseBuild.worker == self.worker).values(
                        lease_until=utcnow() + dt.timedelta(seconds=self.lease_s)))
                    s.commit()
            except SQLAlchemyError as exc:
                log.warning("release build lease not renewed", extra={"fields": {
                    "wave_id": self.wave_id, "error": type(exc).__name__}})

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=60)


def _finish(maker: sessionmaker, wave_id: int, worker: str, **values) -> None:
    with maker() as s:
        s.execute(update(ReleaseBuild).where(ReleaseBuild.wave_id == wave_id, ReleaseBuild.worker == worker,
                                             ReleaseBuild.state == RUNNING)
                  .values(worker=None, lease_until=None, **values))
        s.commit()


def _where(exc: BaseException) -> str:
    """file:line of the innermost frame in this application (and of the innermost frame
    when it is in a library): enough to find the fault, and no values."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    ours = [f for f in frames if f"{os.sep}survey{os.sep}" in f.filename]
    out = [f"{os.path.basename(f.filename)}:{f.lineno}" for f in ([ours[-1]] if ours else []) + [frames[-1]]]
    return " > ".join(dict.fromkeys(out))


def _end_reading(session: Session) -> None:
    """End the build's reading transaction before it starts writing. On SQLite (WAL) a
    transaction that has read cannot start writing once another connection has committed
    since (the lease renewals do, every lease/4 seconds): it fails at once, whatever the
    busy timeout. Nothing has been written yet, so nothing is lost by committing here, and
    everything from here to the end is still one transaction."""
    if not (session.new or session.dirty or session.deleted):
        session.commit()


@dataclass
class Outcome:
    state: str                     # done, queued (to retry), failed, or skipped (not claimed)
    version: int | None = None
    retry: bool = False


def run_build(maker: sessionmaker, wave_id: int, build: Callable[[Session, Wave, ReleaseBuild, Callable], int], *,
              tell: Callable[[int, str | None, str], None], lease_s: float, max_attempts: int) -> Outcome:
    """Claim and build the wave's release. `build(session, wave, row, progress)` builds it in
    `session` and returns the version; this marks the row done in the same transaction and
    commits once. `tell(wave_id, stage, worker)` records the stage (None: finished)."""
    from survey.releases.build import ReleaseError

    worker = worker_name()
    row = claim(maker, wave_id, worker, lease_s, max_attempts)
    if row is None:
        if stop_exhausted(maker, wave_id, max_attempts):
            return Outcome(FAILED)
        log.info("release build not claimed: done, stopped, or held by a live worker",
                 extra={"fields": {"wave_id": wave_id}})
        return Outcome("skipped")
    attempt = row.attempts
    log.info("release build started", extra={"fields": {"wave_id": wave_id, "attempt": attempt,
                                                        "rebuild": row.rebuild}})
    tell(wave_id, "aggregating", worker)
    lease = _Lease(maker, wave_id, worker, lease_s)
    lease.start()
    try:
        with maker() as s:
            try:
                wave = s.get(Wave, wave_id)
                def progress(stage: str) -> None:
                    if stage == "storing":          # build_wave_release: nothing written before this
                        _end_reading(s)
                    tell(wave_id, stage, worker)

                version = build(s, wave, row, progress)
                done = s.execute(update(ReleaseBuild).where(
                    ReleaseBuild.wave_id == wave_id, ReleaseBuild.worker == worker, ReleaseBuild.state == RUNNING)
                    .values(state=DONE, version=version, finished_at=utcnow(), error=None, worker=None,
                            lease_until=None))
                if done.rowcount != 1:
                    # our lease lapsed and another worker took the build: keep nothing of ours
                    s.rollback()
                    log.warning("release build lost its claim", extra={"fields": {"wave_id": wave_id}})
                    return Outcome("skipped")
                s.commit()
            except BaseException:
                s.rollback()
                raise
        log.info("release build done", extra={"fields": {"wave_id": wave_id, "attempt": attempt, "version": version}})
        return Outcome(DONE, version)
    except ReleaseError as exc:
        # a refusal: the same data gives the same answer, so no retry. Our own words, no data.
        _finish(maker, wave_id, worker, state=FAILED, finished_at=utcnow(), error=str(exc))
        log.error("release build refused", extra={"fields": {"wave_id": wave_id, "attempt": attempt,
                                                             "error": "ReleaseError"}})
        return Outcome(FAILED)
    except Exception as exc:       # noqa: BLE001 - anything else is retried, its text never shown
        kind, where = type(exc).__name__, _where(exc)
        fields = {"wave_id": wave_id, "attempt": attempt, "of": max_attempts, "error": kind, "where": where}
        if attempt < max_attempts:
            _finish(maker, wave_id, worker, state=QUEUED, enqueued_at=utcnow(),
                    error=f"Attempt {attempt} of {max_attempts} stopped with an internal error ({kind}); "
                          "it will be tried again.")
            log.warning("release build failed, will retry", extra={"fields": fields})
            return Outcome(QUEUED, retry=True)
        _finish(maker, wave_id, worker, state=FAILED, finished_at=utcnow(),
                error=f"Stopped after {max_attempts} attempts: the last one failed with an internal error "
                      f"({kind}). Nothing was released. The service log has where it stopped.")
        log.error("release build stopped", extra={"fields": fields})
        return Outcome(FAILED)
    finally:
        lease.stop()
        tell(wave_id, None, worker)


# --- telling those who asked ---------------------------------------------------------------

def watch(session: Session, wave_id: int, staff_id: int) -> bool:
    """Ask for an e-mail when the wave's build ends; False if asked already. Caller commits."""
    from survey.models.jobs import ReleaseWatcher
    if session.get(ReleaseWatcher, (wave_id, staff_id)) is not None:
        return False
    session.add(ReleaseWatcher(wave_id=wave_id, staff_id=staff_id))
    return True


def is_watching(session: Session, wave_id: int, staff_id: int) -> bool:
    from survey.models.jobs import ReleaseWatcher
    return session.get(ReleaseWatcher, (wave_id, staff_id)) is not None


def tell_watchers(session: Session, config, wave_id: int, state: str) -> int:
    """E-mail everyone who asked that the wave's build ended (`done` or `failed`), with a
    link and nothing else: no wave name, no figures. Sent once, then forgotten; with mail
    off, or if sending fails (logged by type), the requests stay for the next build's end.
    Returns how many were sent; the caller commits."""
    from email.message import EmailMessage
    import smtplib
    from sqlalchemy import delete
    from survey.models import StaffUser
    from survey.models.jobs import ReleaseWatcher
    from survey.notify import send

    rows = session.execute(select(ReleaseWatcher.staff_id, StaffUser.email).join(
        StaffUser, StaffUser.id == ReleaseWatcher.staff_id).where(
        ReleaseWatcher.wave_id == wave_id, StaffUser.is_active.is_(True))).all()
    if not rows or not config.get("MAIL_SERVER"):
        return 0
    msg = EmailMessage()
    ready = state == DONE
    msg["Subject"] = "Staff voice: survey results are ready" if ready else "Staff voice: survey results could not be prepared"
    msg["From"] = config.get("MAIL_FROM", "ftsu-noreply@localhost")
    link = f"{(config.get('BASE_URL') or '').rstrip('/')}/reports/waves/{wave_id}"
    msg.set_content(("The results you asked about are ready." if ready else
                     "The results you asked about could not be prepared; the page says why and how to try again.")
                    + f"\n\nSign in to see them: {link}\n\nThis e-mail contains no results on purpose.\n")
    try:
        sent = send(config, [email for _id, email in rows], msg)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("results e-mail failed", extra={"fields": {"wave_id": wave_id, "error": type(exc).__name__}})
        return 0
    session.execute(delete(ReleaseWatcher).where(ReleaseWatcher.wave_id == wave_id))
    return sent
