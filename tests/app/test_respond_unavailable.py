"""The database cannot be reached: a clear 503 page that keeps the person's answers,
nothing half-stored, and trying again later works."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from survey.extensions import hash_token
from survey.models import Comment, Draft, Invitation, Response
from tests.conftest import csrf_from, post_form
from tests.respond_support import make_token, make_wave, fresh_client

COMMENT = "Nobody covers the phones at lunchtime."


@pytest.fixture
def client(app):
    return fresh_client(app)


@pytest.fixture
def journey(app, client, db, forbid_in_logs):
    wave, org = make_wave(db)
    token = make_token(db, wave, org)
    forbid_in_logs(token, hash_token(token), COMMENT)
    client.get(f"/respond/t/{token}")
    return wave, token


def test_saving_a_page_while_the_database_is_unreachable(client, db, journey, database_down):
    page = client.get("/respond/page/5")
    csrf = csrf_from(page.get_data(as_text=True))
    database_down.down()
    resp = client.post("/respond/page/5", data={"csrf_token": csrf, "comment": COMMENT, "shown": "comment"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503
    assert "not saved yet" in html and "Try again in a few minutes" in html
    assert COMMENT in html                                   # still in the form
    assert client.get("/respond/page/1").status_code == 503  # any page: a plain 503
    database_down.up()
    resp = client.post("/respond/page/5", data={"csrf_token": csrf_from(html), "comment": COMMENT})
    assert resp.status_code == 302
    assert COMMENT in client.get("/respond/page/5").get_data(as_text=True)


def test_radio_answers_are_kept_when_unreachable(client, journey, database_down):
    csrf = csrf_from(client.get("/respond/page/1").get_data(as_text=True))
    database_down.down()
    resp = client.post("/respond/page/1", data={"csrf_token": csrf, "q11d": "1", "shown": "q11d"})
    assert resp.status_code == 503
    assert 'name="q11d" type="radio" value="1" checked' in resp.get_data(as_text=True)


def test_submit_fails_at_commit_then_succeeds(client, db, journey, monkeypatch):
    wave, token = journey
    post_form(client, "/respond/page/3", {"q14a": "2"})
    post_form(client, "/respond/page/5", {"comment": COMMENT})
    real_commit = Session.commit

    def failing_commit(self):
        if any(isinstance(obj, Response) for obj in self.new):
            raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
        return real_commit(self)

    monkeypatch.setattr(Session, "commit", failing_commit)
    resp = post_form(client, "/respond/submit", {}, get_url="/respond/check")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503
    assert "have not been submitted yet" in html and "not lost" in html and "Try submitting again" in html
    monkeypatch.setattr(Session, "commit", real_commit)

    db.rollback()
    key = hash_token(token)
    assert not db.get(Invitation, key).is_used               # both or neither: neither
    assert db.get(Draft, key) is not None                    # the answers are still there
    assert db.scalars(select(Response)).all() == [] and db.scalars(select(Comment)).all() == []
    assert "Nobody covers the phones" in client.get("/respond/check").get_data(as_text=True)

    resp = client.post("/respond/submit", data={"csrf_token": csrf_from(html)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/respond/done")
    db.rollback()
    assert db.get(Invitation, key).is_used and db.get(Draft, key) is None
    assert db.scalars(select(Response).where(Response.wave_id == wave.id)).one().q14a == 2
    assert len(db.scalars(select(Comment)).all()) == 1


def test_submit_while_the_database_is_unreachable(client, db, journey, database_down):
    wave, token = journey
    post_form(client, "/respond/page/3", {"q14a": "4"})
    csrf = csrf_from(client.get("/respond/check").get_data(as_text=True))
    database_down.down()
    resp = client.post("/respond/submit", data={"csrf_token": csrf})
    assert resp.status_code == 503 and "not lost" in resp.get_data(as_text=True)
    database_down.up()
    resp = client.post("/respond/submit", data={"csrf_token": csrf})
    assert resp.headers["Location"].endswith("/respond/done")
    db.rollback()
    assert db.scalars(select(Response).where(Response.wave_id == wave.id)).one().q14a == 4
