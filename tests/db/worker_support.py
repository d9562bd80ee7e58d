"""Helpers for the tests that run real job workers (`flask --app survey worker`).

- `jobs_env(inst)`: the instance's environment plus the queue: SQLite in the instance
  folder, or Redis (SURVEY_TEST_REDIS_URL, default db 15 on 127.0.0.1) with a queue name
  of its own when SURVEY_TEST_DATABASE_URL is set.
- `seed_wave(inst, ...)`: an open wave with random responses over `practices` practices,
  made in a subprocess with the instance's own secrets.
- `Worker`: a worker process whose output goes to a file; `kill()` is SIGKILL.
- `build_row`, `release_rows`, `stage`: what the database and the queue's store hold.

Run as `python -m tests.db.worker_support seed NAME PRACTICES PER_PRACTICE` it prints
{"wave": id} as JSON.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

from tests.db.gunicorn_support import PG_URL, ROOT, VENV_BIN, Instance

REDIS_URL = os.environ.get("SURVEY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def queue_settings(inst: Instance) -> dict[str, str]:
    """The SURVEY_* settings of the instance's queue and of short leases and retries."""
    env = {"SURVEY_RELEASE_BUILD_LEASE_SECONDS": "10", "SURVEY_RELEASE_BUILD_RETRY_SECONDS": "1"}
    if PG_URL:
        env["SURVEY_JOBS_URL"] = REDIS_URL
        env["SURVEY_JOBS_NAME"] = getattr(inst, "jobs_name", "survey")
    return env


def jobs_env(inst: Instance, **extra: str) -> dict[str, str]:
    return inst.env(**{**queue_settings(inst), **extra})


def with_queue(inst: Instance) -> Instance:
    """Give the instance a queue name of its own (on a shared Redis)."""
    inst.jobs_name = f"survey-test-{uuid.uuid4().hex[:8]}"
    return inst


def seed_wave(inst: Instance, name: str, practices: int, per_practice: int) -> int:
    out = subprocess.run([sys.executable, "-m", "tests.db.worker_support", "seed", name, str(practices),
                          str(per_practice)], cwd=ROOT, env=jobs_env(inst), capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])["wave"]


def flask(inst: Instance, *args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "flask"), "--app", "survey", *args], cwd=ROOT,
                          env=jobs_env(inst, **env), capture_output=True, text=True, timeout=timeout)


class Worker:
    def __init__(self, inst: Instance, name: str = "worker", *args: str, **env: str):
        self.log_path = inst.path.parent / f"{name}-{uuid.uuid4().hex[:6]}.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen([str(VENV_BIN / "flask"), "--app", "survey", "worker", *args], cwd=ROOT,
                                     env=jobs_env(inst, **env), stdout=self._log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)     # graceful: huey lets the task under way finish
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        return self.log_path.read_text(errors="replace")


def _query(inst: Instance, sql: str, **params):
    from sqlalchemy import create_engine, text
    engine = create_engine(inst.database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).mappings().all()
    finally:
        engine.dispose()


def build_row(inst: Instance, wave_id: int) -> dict | None:
    rows = _query(inst, "SELECT state, attempts, error, version, worker FROM release_builds WHERE wave_id = :w",
                  w=wave_id)
    return dict(rows[0]) if rows else None


def release_rows(inst: Instance, wave_id: int) -> dict[str, int]:
    """Releases, their parts and their audit events of the wave, counted with plain SQL."""
    q = lambda sql: _query(inst, sql, w=wave_id)[0]["n"]  # noqa: E731
    return {
        "releases": q("SELECT count(*) AS n FROM releases WHERE wave_id = :w"),
        "parts": q("SELECT count(*) AS n FROM release_parts p JOIN releases r ON r.id = p.release_id "
                   "WHERE r.wave_id = :w"),
        "built_events": q("SELECT count(*) AS n FROM audit_events WHERE action = 'release.build' "
                          "AND object_id = CAST(:w AS VARCHAR(64))"),
    }


def drop_queue(inst: Instance) -> None:
    """Remove the instance's queue from the shared Redis (SQLite's goes with the folder)."""
    if PG_URL:
        from huey import RedisHuey
        RedisHuey(inst.jobs_name, url=REDIS_URL).storage.flush_all()


def stage(inst: Instance, wave_id: int) -> str | None:
    """The running build's stage as the wave page reads it (from the queue's store)."""
    huey = getattr(inst, "_huey", None)
    if huey is None:
        from huey import RedisHuey, SqliteHuey
        huey = inst._huey = (RedisHuey(inst.jobs_name, url=REDIS_URL) if PG_URL else
                             SqliteHuey("survey", filename=str(inst.path / "jobs.db"), timeout=30))
    seen = huey.get(f"release-stage:{wave_id}", peek=True)
    return None if seen is None else seen.get("stage")


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _seed_main(name: str, practices: int, per_practice: int) -> None:
    from survey import create_app
    from tests.releases_helpers import add_random_responses, make_orgs, make_wave

    app = create_app()
    with app.app_context():
        db = app.extensions["survey.sessionmaker"]()
        tag = uuid.uuid4().hex[:4].upper()
        spec = {f"ICS{tag}": {f"PCN{tag}{p}": [f"P{tag}{p}{i:02d}" for i in range(practices // 4 + 1)]
                              for p in range(4)}}
        orgs = make_orgs(db, spec)
        leaves = [o for code, o in orgs.items() if code.startswith("P") and not code.startswith("PCN")][:practices]
        wave = make_wave(db, name, orgs.values(), closed=False, invited={o.code: per_practice + 10 for o in leaves})
        add_random_responses(db, wave, leaves, [per_practice] * len(leaves), seed=5)
        db.commit()
        print(json.dumps({"wave": wave.id}))


def enqueue(inst: Instance, wave_id: int, times: int) -> None:
    """Send the queue `times` messages to build the wave (as a lost-and-resent or doubled
    message would)."""
    out = subprocess.run([sys.executable, "-m", "tests.db.worker_support", "enqueue", str(wave_id), str(times)],
                         cwd=ROOT, env=jobs_env(inst), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]


def _enqueue_main(wave_id: int, times: int) -> None:
    from survey import create_app
    from survey.jobs import enqueue_build

    app = create_app()
    for _ in range(times):
        assert enqueue_build(app, wave_id)


if __name__ == "__main__":  # pragma: no cover - run by seed_wave() and enqueue()
    if sys.argv[1:2] == ["seed"]:
        _seed_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1:2] == ["enqueue"]:
        _enqueue_main(int(sys.argv[2]), int(sys.argv[3]))
