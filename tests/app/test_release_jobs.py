"""Releases built in the background (survey/releases/jobs.py, survey/jobs.py), in process:
the worker's part is run by calling `build_now` as the huey task does.

- Closing a wave in the admin pages queues its release; the request builds nothing.
- The wave page shows the stage while a build is queued or running and refreshes itself
  with <meta http-equiv="refresh"> (no script, the CSP unchanged), which the reader can
  stop; once built it shows the results and a rebuild button, which queues a new version.
- The claim: one holder at a time, also for two threads racing; a lapsed lease is taken
  over as a new attempt; a third lapsed attempt stops the build.
- A build that fails three times stops and says so on the page and in the log, with the
  exception's type only: the text (here a made-up respondent's words) appears nowhere.
  A refusal (no responses) stops at once. "Try again" queues it afresh.
- The sweep queues waves that finished by date and re-sends lost or orphaned builds.
- The report command builds under the same claim, with plain progress lines off a terminal
  and a tqdm bar on one.
- "E-mail me when they are ready": one e-mail with a link and nothing else, once.
"""
from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from sqlalchemy import func, select, update

from survey.jobs import build_now, sweep_now
from survey.models import AuditEvent, Wave
from survey.models.jobs import ReleaseBuild
from survey.models.releases import Release
from survey.releases.jobs import claim, request_build, stop_exhausted
from tests.support.mail import smtp_server  # noqa: F401 - the fake SMTP server fixture
from tests.conftest import post_form
from tests.releases_helpers import add_random_responses, make_orgs, make_wave

SECRET = "I told my manager about the rota and she laughed"


@pytest.fixture
def world(app, db):
    orgs = make_orgs(db, {"ICSJ": {"PCNJ": ["J1", "J2", "J3"]}})
    practices = [orgs[c] for c in ("J1", "J2", "J3")]
    closed = make_wave(db, "Jobs closed 2024", orgs.values(), invited={"J1": 40, "J2": 30, "J3": 30})
    add_random_responses(db, closed, practices, [30, 22, 20], seed=4)
    running = make_wave(db, "Jobs open 2025", orgs.values(), closed=False, invited={"J1": 40, "J2": 30, "J3": 30})
    add_random_responses(db, running, practices, [25, 20, 20], seed=5)
    empty = make_wave(db, "Jobs empty 2025", orgs.values(), closed=False)
    db.commit()
    return {"closed": closed.id, "open": running.id, "empty": empty.id, "practices": practices}


@pytest.fixture
def edi(app, db, make_staff, sign_in):
    client = app.test_client()
    sign_in(client, make_staff("edi_lead"))
    return client


def _row(db, wave_id) -> ReleaseBuild | None:
    db.rollback()
    return db.get(ReleaseBuild, wave_id)


def _releases(db, wave_id) -> list[int]:
    db.rollback()
    return list(db.scalars(select(Release.version).where(Release.wave_id == wave_id).order_by(Release.version)))


def _queue(db, wave_id, rebuild=False):
    row, queued = request_build(db, db.get(Wave, wave_id), rebuild=rebuild, actor_id=None)
    db.commit()
    return queued


def test_closing_a_wave_in_the_admin_pages_queues_its_release_and_builds_nothing(app, db, world, make_staff,
                                                                                  sign_in):
    admin = app.test_client()
    sign_in(admin, make_staff("admin"))
    for key in ("open", "empty"):
        resp = post_form(admin, f"/admin/waves/{world[key]}/close", {})
        assert resp.status_code == 302
    row = _row(db, world["open"])
    assert row.state == "queued" and row.attempts == 0 and row.requested_by is not None
    assert _releases(db, world["open"]) == []                        # the request built nothing
    assert _row(db, world["empty"]) is None                          # nobody answered: nothing to build
    assert build_now(app, world["open"]).state == "done"
    assert _releases(db, world["open"]) == [1]
    assert _row(db, world["open"]).version == 1


def test_wave_page_shows_the_stage_refreshes_without_script_and_then_the_results(app, db, world, edi):
    w = world["closed"]
    page = edi.get(f"/reports/waves/{w}").get_data(as_text=True)
    assert "Prepare the results" in page and 'http-equiv="refresh"' not in page
    resp = post_form(edi, f"/reports/waves/{w}/prepare", {}, get_url=f"/reports/waves/{w}")
    assert resp.status_code == 302 and _releases(db, w) == []
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "release.queue")) == 1
    assert "Being prepared" in edi.get("/reports/").get_data(as_text=True)
    resp = edi.get(f"/reports/waves/{w}")
    page = resp.get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="5">' in page
    assert "The results are being prepared" in page and "Waiting for a worker" in page
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"] and "<script>" not in page
    stopped = edi.get(f"/reports/waves/{w}?updates=off").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in stopped and "Check again" in stopped
    again = post_form(edi, f"/reports/waves/{w}/prepare", {}, get_url=f"/reports/waves/{w}")
    assert again.status_code == 302 and _row(db, w).state == "queued"
    assert "being prepared already" in edi.get(f"/reports/waves/{w}").get_data(as_text=True)

    # a worker at the protecting stage: the page names it
    db.execute(update(ReleaseBuild).where(ReleaseBuild.wave_id == w).values(
        state="running", worker="h:1:1", attempts=1, lease_until=dt.datetime.now(dt.timezone.utc)))
    db.commit()
    from survey.jobs import queue, stage_key
    queue(app).put(stage_key(w), {"stage": "protecting", "worker": "h:1:1"})
    assert "Protecting small numbers" in edi.get(f"/reports/waves/{w}").get_data(as_text=True)
    db.execute(update(ReleaseBuild).where(ReleaseBuild.wave_id == w).values(state="queued", worker=None, attempts=0))
    db.commit()

    assert build_now(app, w).state == "done"
    page = edi.get(f"/reports/waves/{w}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page and "Version 1" in page and "Build a new version" in page
    # the rebuild button queues a new version; the old one stays readable meanwhile
    post_form(edi, f"/reports/waves/{w}/prepare", {}, get_url=f"/reports/waves/{w}")
    page = edi.get(f"/reports/waves/{w}").get_data(as_text=True)
    assert "A new version of the results is being prepared" in page and "Version 1" in page
    assert _row(db, w).rebuild is True
    assert build_now(app, w).state == "done" and _releases(db, w) == [1, 2]


def test_an_open_wave_cannot_be_queued(app, db, world, edi):
    o = world["open"]
    resp = post_form(edi, f"/reports/waves/{o}/prepare", {}, get_url=f"/reports/waves/{world['closed']}")
    assert resp.status_code == 409 and _row(db, o) is None


def test_one_claim_at_a_time_and_lapsed_leases(app, db, world):
    w = world["closed"]
    _queue(db, w)
    maker = app.extensions["survey.sessionmaker"]
    got = []
    barrier = threading.Barrier(4)

    def race(i):
        barrier.wait(timeout=30)
        got.append(claim(maker, w, f"racer:{i}", 60, 3))

    threads = [threading.Thread(target=race, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    holders = [r for r in got if r is not None]
    assert len(got) == 4 and len(holders) == 1, got
    assert claim(maker, w, "late", 60, 3) is None                    # a live lease is not taken over
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    for attempt in (2, 3):
        db.execute(update(ReleaseBuild).where(ReleaseBuild.wave_id == w).values(lease_until=past))
        db.commit()
        taken = claim(maker, w, f"heir:{attempt}", 60, 3)
        assert taken is not None and taken.attempts == attempt and taken.worker == f"heir:{attempt}"
    db.execute(update(ReleaseBuild).where(ReleaseBuild.wave_id == w).values(lease_until=past))
    db.commit()
    assert claim(maker, w, "fourth", 60, 3) is None
    assert stop_exhausted(maker, w, 3) is True and stop_exhausted(maker, w, 3) is False
    row = _row(db, w)
    assert row.state == "failed" and "Stopped after 3 attempts" in row.error and "worker" in row.error


def test_a_build_failing_three_times_stops_and_says_so_without_its_text(app, db, world, edi, monkeypatch,
                                                                        forbid_in_logs, caplog):
    forbid_in_logs(SECRET)
    w = world["closed"]
    _queue(db, w)

    def broken(*args, **kwargs):
        raise ValueError(f"could not parse answer {SECRET!r}")
    monkeypatch.setattr("survey.releases.build.profile_counts", broken)
    outcomes = []
    for attempt in (1, 2, 3):
        outcomes.append(build_now(app, w))
        row = _row(db, w)
        assert row.attempts == attempt and SECRET not in (row.error or "")
    assert [o.state for o in outcomes] == ["queued", "queued", "failed"] and outcomes[0].retry
    row = _row(db, w)
    assert row.state == "failed" and "Stopped after 3 attempts" in row.error and "ValueError" in row.error
    assert build_now(app, w).state == "skipped"                        # it stays stopped
    assert any(r.getMessage() == "release build stopped" and r.levelname == "ERROR" for r in caplog.records)
    page = edi.get(f"/reports/waves/{w}").get_data(as_text=True)
    assert "The results could not be prepared" in page and "Stopped after 3 attempts" in page
    assert "Try again" in page and 'http-equiv="refresh"' not in page and SECRET not in page
    assert "Could not be prepared" in edi.get("/reports/").get_data(as_text=True)
    assert _releases(db, w) == []

    monkeypatch.undo()
    post_form(edi, f"/reports/waves/{w}/prepare", {}, get_url=f"/reports/waves/{w}")
    row = _row(db, w)
    assert row.state == "queued" and row.attempts == 0 and row.error is None and row.rebuild is False
    assert build_now(app, w).state == "done" and _releases(db, w) == [1]


def test_a_refusal_stops_at_once_with_its_reason(app, db, world, edi):
    e = world["empty"]
    db.execute(update(Wave).where(Wave.id == e).values(is_closed=True))
    db.commit()
    _queue(db, e)
    assert build_now(app, e).state == "failed"
    row = _row(db, e)
    assert row.attempts == 1 and "has no responses" in row.error
    assert "has no responses" in edi.get(f"/reports/waves/{e}").get_data(as_text=True)


def test_the_sweep_queues_finished_waves_and_resends_lost_builds(app, db, world):
    w, o = world["closed"], world["open"]
    assert sweep_now(app) == [w]                       # finished by date, nobody asked
    assert _row(db, w).state == "queued" and _row(db, o) is None
    assert sweep_now(app) == []                        # just sent: not again
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    db.execute(update(ReleaseBuild).where(ReleaseBuild.wave_id == w).values(enqueued_at=long_ago))
    db.commit()
    assert sweep_now(app) == [w]                       # its message was lost: sent again
    db.execute(update(ReleaseBuild).where(ReleaseBuild.wave_id == w).values(
        state="running", worker="dead:1:1", attempts=1, lease_until=long_ago))
    db.commit()
    assert sweep_now(app) == [w]                       # its worker died: sent again
    assert build_now(app, w).state == "done" and _row(db, w).attempts == 2
    assert sweep_now(app) == []


def test_report_command_builds_under_the_claim_with_plain_progress_lines(app, db, world, tmp_path):
    w = world["closed"]
    runner = app.test_cli_runner()
    _queue(db, w)
    maker = app.extensions["survey.sessionmaker"]
    assert claim(maker, w, "busy-worker", 60, 3) is not None
    res = runner.invoke(args=["report", "--wave", "Jobs closed 2024", "--out", str(tmp_path / "a")])
    assert res.exit_code == 1 and "A worker is building" in res.output and _releases(db, w) == []
    db.execute(update(ReleaseBuild).where(ReleaseBuild.wave_id == w).values(state="failed", worker=None))
    db.commit()
    res = runner.invoke(args=["report", "--wave", "Jobs closed 2024", "--out", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    for line in ("Adding up the answers...", "Protecting small numbers", "Storing the results...",
                 "Writing the files", "indicators.xlsx", "response_rates.csv", "Built release version 1"):
        assert line in res.output, res.output
    assert _row(db, w).state == "done" and _releases(db, w) == [1]


def test_progress_on_a_terminal_is_a_bar():
    from survey.cli.report import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out = Terminal()
    progress = Progress(out)
    for stage in ("aggregating", "protecting", "storing"):
        progress.stage(stage)
    progress.files(4)
    for name in ("charts/a.svg", "charts/b.svg", "indicators.xlsx", "response_rates.csv"):
        progress.step(name)
    progress.close()
    text = out.getvalue()
    assert "Building" in text and "Writing" in text and "100%" in text and "4/4" in text
    assert "Adding up the answers..." not in text          # no plain lines on a terminal


def test_the_queue_setting_names_what_it_accepts(tmp_path):
    from survey import create_app
    from survey.jobs import queue
    from tests.conftest import base_test_config
    app = create_app(base_test_config(tmp_path, JOBS_URL="postgresql://db/queue"))
    with pytest.raises(RuntimeError, match="JOBS_URL must start with redis://"):
        queue(app)
    app = create_app(base_test_config(tmp_path, JOBS_URL=f"sqlite:///{tmp_path / 'q' / 'jobs.db'}"))
    queue(app).put("probe", {"stage": "storing"})
    assert queue(app).get("probe", peek=True) == {"stage": "storing"} and (tmp_path / "q" / "jobs.db").exists()


def test_the_edi_lead_can_ask_for_an_e_mail_when_the_results_are_ready(app, db, world, edi, smtp_server):
    w = world["closed"]
    _queue(db, w)
    assert "E-mail me when they are ready" not in edi.get(f"/reports/waves/{w}").get_data(as_text=True)  # mail off
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.server_address[1],
                      BASE_URL="https://voice.example")
    resp = post_form(edi, f"/reports/waves/{w}/notify-me", {}, get_url=f"/reports/waves/{w}")
    assert resp.status_code == 302
    page = edi.get(f"/reports/waves/{w}").get_data(as_text=True)
    assert "You will get an e-mail" in page and "E-mail me when they are ready" not in page
    assert build_now(app, w).state == "done"
    assert len(smtp_server.received) == 1
    message = smtp_server.received[0]
    from survey.models import StaffUser
    edi_email = db.scalar(select(StaffUser.email).where(StaffUser.role == "edi_lead"))
    assert message["to"] == [edi_email]
    assert f"https://voice.example/reports/waves/{w}" in message["data"] and "are ready" in message["data"]
    assert "Jobs closed 2024" not in message["data"]                     # a link, nothing about the wave
    _queue(db, w, rebuild=True)
    assert build_now(app, w).state == "done" and len(smtp_server.received) == 1   # asked once, told once


@pytest.mark.parametrize("command, params, reloader_child, setting, runs", [
    ("run", {"reload": False}, False, "auto", True),      # the README's demo server
    ("run", {"reload": None}, False, "auto", True),       # no --debug: no reloader
    ("run", {"reload": True}, False, "auto", False),      # the reloader's parent serves nothing...
    ("run", {"reload": True}, True, "auto", True),        # ...its child does
    ("worker", {}, False, True, False),                   # a worker has its own consumer
    ("demo", {}, False, True, False),                     # a command's threads would die with it
    (None, {}, False, "auto", False),                     # gunicorn
    (None, {}, False, True, True),                        # a server told to
    ("run", {"reload": False}, False, False, False),
])
def test_which_processes_run_a_consumer_in_threads(app, monkeypatch, command, params, reloader_child, setting,
                                                   runs):
    import click
    from survey.jobs import _serve_jobs_here
    monkeypatch.setitem(app.config, "JOBS_IN_PROCESS", setting)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    if reloader_child:
        monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    else:
        monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    if command is None:
        assert _serve_jobs_here(app) is runs
        return
    with click.Context(click.Command(command), info_name=command) as ctx:
        ctx.params.update(params)
        assert _serve_jobs_here(app) is runs


def test_an_unreachable_queue_leaves_the_build_queued_for_the_sweep(app, db, world, caplog, make_staff, sign_in):
    from survey.jobs import enqueue_build
    app.config["JOBS_URL"] = "redis://127.0.0.1:1/0"          # nothing listens there
    app.extensions["survey.huey"] = None
    admin = app.test_client()
    sign_in(admin, make_staff("admin"))
    resp = post_form(admin, f"/admin/waves/{world['open']}/close", {})
    assert resp.status_code == 302                              # closing the wave still works
    assert _row(db, world["open"]).state == "queued"
    assert any(r.getMessage().startswith("job queue unavailable") for r in caplog.records)
    assert enqueue_build(app, world["open"]) is False
