"""Faults: the database goes away, a process dies mid-submit. On SQLite, and on PostgreSQL
when SURVEY_TEST_DATABASE_URL is set.

- Database unreachable while raising a concern: a clear 503 page with what was written
  still in the form, nothing stored, and sending again later works. (The survey side is
  in tests/app/test_respond_unavailable.py; one end-to-end check of it is repeated here.)
- A process killed between the token UPDATE and the COMMIT (a subprocess whose commit is
  replaced by SIGKILL, after every statement of the submit has reached the database):
  no response, the token still unused, the answers still there; submitting again works.
- gunicorn workers (the deployment's settings) SIGKILLed by a test hook between the
  token UPDATE and the COMMIT while other submissions are in flight: afterwards, used
  invitations == responses for the wave, and every person can finish by trying again.
"""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from survey.extensions import hash_token
from survey.models import Concern, Draft, Invitation, Response
from tests.conftest import csrf_from, post_form
from tests.db.gunicorn_support import ROOT, Server, counts, make_instance, seed, start_survey
from tests.respond_support import fresh_client, make_token, make_wave

CONCERN = "The fire exit at the back marker-c0a1 has been blocked for weeks"
CONTACT = "Sam, 07700 900123 marker-c0a2"


# --- the database is unreachable -------------------------------------------------------------

def _count(db, model) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(model))


def test_raising_a_concern_while_the_database_is_unreachable(app, db, database_down, forbid_in_logs):
    forbid_in_logs(CONCERN, CONTACT)
    from tests.respond_support import make_org
    org = make_org(db)
    db.commit()
    client = fresh_client(app)
    csrf = csrf_from(client.get("/speakup/raise").get_data(as_text=True))
    form = {"csrf_token": csrf, "text": CONCERN, "elements": ["patient_safety", "bullying"], "org": str(org.id),
            "contact_mode": "confidential", "contact": CONTACT, "website": ""}
    database_down.down()
    resp = client.post("/speakup/raise", data=form)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503
    assert "has not been sent yet" in html and "Try again in a few minutes" in html
    assert CONCERN in html and CONTACT in html                          # still in the form
    assert 'value="patient_safety" checked' in html.replace("\n", " ") or 'value="patient_safety"' in html
    assert f'<option value="{org.id}" selected>' in html                # the organisation chosen
    assert 'value="confidential" checked' in html
    # the start of the form, too, answers with a clear page rather than a 500
    assert client.get("/speakup/raise").status_code == 503
    database_down.up()
    assert _count(db, Concern) == 0                                     # nothing half-stored
    resp = client.post("/speakup/raise", data={**form, "csrf_token": csrf_from(html)})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/speakup/raised")
    assert _count(db, Concern) == 1


def test_raising_a_concern_when_the_commit_fails(app, db, monkeypatch, forbid_in_logs):
    """The database goes away between the INSERTs and the COMMIT."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session
    forbid_in_logs(CONCERN)
    client = fresh_client(app)
    real_commit = Session.commit

    def failing(self):
        self.flush()
        if any(isinstance(o, Concern) for o in self.identity_map.values()):
            raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
        return real_commit(self)

    monkeypatch.setattr(Session, "commit", failing)
    resp = post_form(client, "/speakup/raise", {"text": CONCERN, "org": "none", "contact_mode": "anonymous"})
    assert resp.status_code == 503 and CONCERN in resp.get_data(as_text=True)
    monkeypatch.setattr(Session, "commit", real_commit)
    assert _count(db, Concern) == 0
    resp = post_form(client, "/speakup/raise", {"text": CONCERN, "org": "none", "contact_mode": "anonymous"})
    assert resp.status_code == 303 and _count(db, Concern) == 1


def test_survey_submit_while_the_database_is_unreachable(app, db, database_down):
    wave, org = make_wave(db)
    token = make_token(db, wave, org)
    client = fresh_client(app)
    client.get(f"/respond/t/{token}")
    post_form(client, "/respond/page/3", {"q14a": "3"})
    csrf = csrf_from(client.get("/respond/check").get_data(as_text=True))
    database_down.down()
    resp = client.post("/respond/submit", data={"csrf_token": csrf})
    assert resp.status_code == 503 and "not lost" in resp.get_data(as_text=True)
    database_down.up()
    assert _count(db, Response) == 0 and not db.get(Invitation, hash_token(token)).is_used
    resp = client.post("/respond/submit", data={"csrf_token": csrf})
    assert resp.headers["Location"].endswith("/respond/done")
    assert _count(db, Response) == 1


# --- a process killed between the token UPDATE and the COMMIT ---------------------------------

KILLER = r'''
import json, os, signal, sys
from sqlalchemy.orm import Session
import survey.respond.submission as submission
from survey import create_app
from tests.respond_support import fresh_client
from tests.conftest import post_form

config = json.loads(sys.stdin.read())
token = config.pop("_token")
app = create_app(config)
real_store = submission.store_response

def store_then_die(session, *args, **kwargs):
    real_store(session, *args, **kwargs)
    session.flush()                          # every statement of the submit has run
    print("statements sent; killing myself before COMMIT", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

submission.store_response = store_then_die
with app.app_context():
    client = fresh_client(app)
    assert client.get("/respond/t/" + token).status_code == 302
    assert post_form(client, "/respond/page/3", {"q14a": "4"}).status_code == 302
    post_form(client, "/respond/submit", {}, get_url="/respond/check")
print("NOT KILLED", flush=True)
'''


def test_process_killed_between_token_update_and_commit(app, app_config, db):
    wave, org = make_wave(db)
    token = make_token(db, wave, org)
    config = {k: v for k, v in app_config.items()}
    config["_token"] = token
    proc = subprocess.run([sys.executable, "-c", KILLER], input=json.dumps(config), cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == -9, (proc.returncode, proc.stdout, proc.stderr[-2000:])
    assert "statements sent" in proc.stdout and "NOT KILLED" not in proc.stdout
    db.rollback()
    key = hash_token(token)
    # neither: no response, the token unused, the answers still saved
    assert db.scalar(select(func.count()).select_from(Response).where(Response.wave_id == wave.id)) == 0
    assert not db.get(Invitation, key).is_used
    assert db.get(Draft, key) is not None
    # the person opens the link again: the answers are there, and submitting works
    client = fresh_client(app)
    assert client.get(f"/respond/t/{token}").status_code == 302
    resp = post_form(client, "/respond/submit", {}, get_url="/respond/check")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/respond/done")
    db.rollback()
    assert db.get(Invitation, key).is_used and db.get(Draft, key) is None
    assert db.scalars(select(Response).where(Response.wave_id == wave.id)).one().q14a == 4


# --- gunicorn workers killed while submissions are in flight ----------------------------------

# The deployment's settings, plus a test hook in each worker: a submission whose answer to
# q14a is "5" SIGKILLs its worker after every statement has reached the database and
# before the COMMIT. gunicorn replaces the worker; the client sees the connection drop.
KILL_CONF = """
import os, signal
exec(open(os.path.join({root!r}, "gunicorn.conf.py")).read())

def post_worker_init(worker):
    import survey.respond.submission as submission
    real = submission.store_response

    def store_then_die(session, keyring, wave, org_id, answers, *args, **kwargs):
        real(session, keyring, wave, org_id, answers, *args, **kwargs)
        if str(answers.get("q14a")) == "5":
            session.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    submission.store_response = store_then_die
"""
TOKENS = 48


@pytest.mark.slow
def test_workers_killed_mid_submit_leave_no_half_stored_response(tmp_path):
    inst = make_instance(tmp_path)
    conf = tmp_path / "gunicorn-kill.conf.py"
    conf.write_text(KILL_CONF.format(root=str(ROOT)))
    server = None
    try:
        data = seed(inst, TOKENS)
        server = Server(inst, "gunicorn", workers=3, conf=str(conf))
        doomed = set(data["tokens"][::8])

        def submit(token: str) -> str:
            c = server.client(timeout=60)
            csrf = start_survey(c, token, q14a="5" if token in doomed else "2")
            try:
                r = c.post("/respond/submit", {"csrf_token": csrf})
            except OSError as exc:                            # the worker died under us
                return f"dropped: {type(exc).__name__}"
            return "stored" if r.status == 302 and r.location.endswith("/respond/done") else f"status {r.status}"

        with ThreadPoolExecutor(max_workers=8) as pool:
            first = dict(zip(data["tokens"], pool.map(submit, data["tokens"], timeout=240)))
        assert all(first[t].startswith("dropped") for t in doomed), first
        assert all(first[t] == "stored" for t in data["tokens"] if t not in doomed), first
        after = counts(inst, data["wave"])
        # both or neither, for every submission: the killed ones stored nothing, used nothing
        assert after == {"used": TOKENS - len(doomed), "unused": len(doomed), "responses": TOKENS - len(doomed),
                         "comments": 0, "drafts": len(doomed)}, after

        # The people whose submit failed open their link again: their answers are still
        # there, and they change q14a and submit.
        def retry(token: str) -> str:
            c = server.client(timeout=60)
            csrf = start_survey(c, token, q14a="3")
            r = c.post("/respond/submit", {"csrf_token": csrf})
            return "stored" if r.status == 302 and r.location.endswith("/respond/done") else f"status {r.status}"

        assert [retry(t) for t in sorted(doomed)] == ["stored"] * len(doomed)
        assert counts(inst, data["wave"]) == {"used": TOKENS, "unused": 0, "responses": TOKENS, "comments": 0, "drafts": 0}
        log = server.stop()
        server = None
        assert log.count("was sent SIGKILL") >= len(doomed), log[-2000:]
        assert "Traceback" not in log, log[-3000:]
    finally:
        if server is not None:
            server.stop()
        inst.drop()


# --- the shared rate-limit store (Redis) is unreachable -----------------------------------------

def test_rate_limit_store_unreachable(app, app_config, db, forbid_in_logs):
    """SURVEY_REDIS_URL points at nothing: the forms that count attempts answer 503 with a
    clear page (the concern form keeps the text), never a 500; nothing is stored."""
    from survey import create_app
    forbid_in_logs(CONCERN)
    broken = create_app({**app_config, "REDIS_URL": "redis://127.0.0.1:1/0", "RENDER_500_IN_TESTS": True})
    c = broken.test_client()
    csrf = csrf_from(c.get("/speakup/raise").get_data(as_text=True))
    resp = c.post("/speakup/raise", data={"csrf_token": csrf, "text": CONCERN, "org": "none", "contact_mode": "anonymous"})
    assert resp.status_code == 503 and CONCERN in resp.get_data(as_text=True)
    assert "has not been sent yet" in resp.get_data(as_text=True)
    for url, data in (("/speakup/followup", {"reference": "ABCD-EFGH", "key": "ABCD-EFGH-JKMN-PQRS-TVWX"}),
                      ("/auth/sign-in", {"email": "someone@example.nhs.uk", "password": "x", "code": "123456"})):
        resp = c.post(url, data={"csrf_token": csrf, **data})
        assert resp.status_code == 503, url
        assert "The service is not available just now" in resp.get_data(as_text=True)
    assert _count(db, Concern) == 0
