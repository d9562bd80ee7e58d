"""Real job workers (`flask --app survey worker`, huey) building releases, on SQLite with the
queue in the instance folder, or on PostgreSQL with the queue in Redis when
SURVEY_TEST_DATABASE_URL is set (SURVEY_TEST_REDIS_URL, default db 15 on 127.0.0.1).

- Closing a wave from the command line queues its release; a worker builds it.
- A worker SIGKILLed while it writes the workbook (the release's rows already flushed in
  its transaction) leaves no release, no part and no audit event; once its lease lapses
  another worker builds the release, as attempt 2, exactly once.
- Two workers given the same wave several times build it once.
- `flask --app survey run` (the README's demo server) builds a closed wave's release
  with no worker started beside it.
"""
from __future__ import annotations

import time

import pytest

from tests.db.gunicorn_support import Server, make_instance
from tests.db.worker_support import (Worker, build_row, drop_queue, enqueue, flask, queue_settings, release_rows,
                                     seed_wave, stage, wait_for, with_queue)

pytestmark = pytest.mark.slow

LEASE_S = 10         # SURVEY_RELEASE_BUILD_LEASE_SECONDS in jobs_env: renewed every 2.5 s, so a
                     # worker busy in a long LP or numba kernel under load keeps its claim


@pytest.fixture
def instance(tmp_path):
    inst = with_queue(make_instance(tmp_path))
    yield inst
    inst.drop()
    drop_queue(inst)


def _done(inst, wave_id):
    row = build_row(inst, wave_id)
    return row if row and row["state"] in ("done", "failed") else None


def _no_traceback(*logs: str) -> None:
    for log in logs:
        assert "Traceback" not in log, log[-3000:]


def test_closing_a_wave_gets_its_release_built_by_a_worker(instance):
    wave = seed_wave(instance, "Worker 2025", practices=12, per_practice=20)
    worker = Worker(instance)
    try:
        out = flask(instance, "waves", "close", "Worker 2025")
        assert out.returncode == 0, out.stderr
        assert build_row(instance, wave)["state"] in ("queued", "running", "done")
        row = wait_for(lambda: _done(instance, wave), 300, "the worker to build the release", interval=0.2)
    finally:
        log = worker.stop()
    assert row["state"] == "done" and row["attempts"] == 1 and row["version"] == 1, (row, log[-2000:])
    counted = release_rows(instance, wave)
    assert counted["releases"] == 1 and counted["built_events"] == 1, counted
    assert counted["parts"] > 4, counted          # a table per indicator, gaps, pattern, rates and the workbook
    _no_traceback(log)


def test_a_worker_killed_mid_build_leaves_nothing_and_the_build_runs_again(instance):
    wave = seed_wave(instance, "Killed 2025", practices=150, per_practice=25)
    out = flask(instance, "waves", "close", "Killed 2025")
    assert out.returncode == 0, out.stderr
    first = Worker(instance, "first")
    try:
        # "writing": build_wave_release has flushed the release and its parts in the
        # worker's transaction, and the workbook is being written into it
        wait_for(lambda: stage(instance, wave) == "writing", 300, "the build to reach the workbook", interval=0.02)
        first.kill()
    finally:
        first_log = first.stop()
    assert release_rows(instance, wave) == {"releases": 0, "parts": 0, "built_events": 0}
    row = build_row(instance, wave)
    assert row["state"] == "running" and row["attempts"] == 1, row      # held by a dead worker until its lease lapses
    time.sleep(LEASE_S + 1)
    second = Worker(instance, "second")
    try:
        row = wait_for(lambda: _done(instance, wave), 300, "a second worker to build the release", interval=0.2)
    finally:
        second_log = second.stop()
    assert row["state"] == "done" and row["attempts"] == 2 and row["version"] == 1, (row, second_log[-2000:])
    counted = release_rows(instance, wave)
    assert counted["releases"] == 1 and counted["built_events"] == 1 and counted["parts"] > 3, counted
    assert '"attempt": 2' in second_log
    _no_traceback(first_log, second_log)


def test_two_workers_given_the_same_wave_build_it_once(instance):
    wave = seed_wave(instance, "Twice 2025", practices=40, per_practice=20)
    workers = [Worker(instance, "a"), Worker(instance, "b")]
    try:
        out = flask(instance, "waves", "close", "Twice 2025")
        assert out.returncode == 0, out.stderr
        enqueue(instance, wave, 4)                   # five messages for one build
        row = wait_for(lambda: _done(instance, wave), 300, "the release to be built", interval=0.2)
        # let the other messages reach the workers
        time.sleep(3)
    finally:
        logs = [w.stop() for w in workers]
    assert row["state"] == "done" and row["attempts"] == 1, row
    both = "\n".join(logs)
    assert both.count("release build started") == 1, both[-3000:]
    assert both.count("release build not claimed") >= 1, both[-3000:]
    assert release_rows(instance, wave)["releases"] == 1 and release_rows(instance, wave)["built_events"] == 1
    _no_traceback(*logs)


def test_the_demo_server_builds_releases_without_a_separate_worker(instance):
    wave = seed_wave(instance, "Demo server 2025", practices=12, per_practice=20)
    out = flask(instance, "waves", "close", "Demo server 2025")
    assert out.returncode == 0, out.stderr
    server = Server(instance, "flask", **queue_settings(instance))
    try:
        row = wait_for(lambda: _done(instance, wave), 300, "flask run's own consumer to build the release",
                       interval=0.2)
    finally:
        log = server.stop()
    assert row["state"] == "done" and row["version"] == 1, (row, log[-2000:])
    assert "job worker running in this process" in log
    _no_traceback(log)
