"""A token admits exactly one response, even when many submits race.

Twenty browsers hold the same token and press Submit at the same moment; each request
runs in its own thread with its own database session and connection (SQLite through
the app's engine; PostgreSQL when SURVEY_TEST_DATABASE_URL is set).
"""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from survey.extensions import hash_token
from survey.models import Comment, Draft, Invitation, Response
from tests.conftest import PG_URL, csrf_from, post_form
from tests.respond_support import fresh_client, make_token, make_wave

RACERS = 20
COMMENT = "Racing comment that must be stored once."


def test_racing_submits_store_exactly_one_response(app, db, forbid_in_logs):
    wave, org = make_wave(db)
    token = make_token(db, wave, org)
    forbid_in_logs(token, hash_token(token), COMMENT)

    clients, tokens = [], []
    for i in range(RACERS):
        c = fresh_client(app)
        assert c.get(f"/respond/t/{token}").status_code == 302
        if i == 0:
            post_form(c, "/respond/page/3", {"q14a": "5"})
            post_form(c, "/respond/page/5", {"comment": COMMENT})
        tokens.append(csrf_from(c.get("/respond/check").get_data(as_text=True)))
        clients.append(c)

    barrier = threading.Barrier(RACERS)
    results: list[tuple[int, str]] = [None] * RACERS  # type: ignore[list-item]
    errors: list[BaseException] = []

    def race(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            resp = clients[i].post("/respond/submit", data={"csrf_token": tokens[i]})
            results[i] = (resp.status_code, resp.get_data(as_text=True))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    statuses = sorted(code for code, _ in results)
    assert statuses == [302] + [410] * (RACERS - 1), statuses
    assert all("has already been used" in html for code, html in results if code == 410)

    db.rollback()
    assert db.scalar(select(func.count()).select_from(Response).where(Response.wave_id == wave.id)) == 1
    assert db.scalar(select(func.count()).select_from(Comment).where(Comment.wave_id == wave.id)) == 1
    assert db.scalars(select(Response)).one().q14a == 5
    assert db.get(Invitation, hash_token(token)).is_used
    assert db.get(Draft, hash_token(token)) is None


def test_racing_direct_submits_with_separate_sessions(app, db):
    """The operation itself, without HTTP: separate sessions from the app's sessionmaker."""
    from survey.definitions.model import SurveyDefinition
    from survey.extensions import keyring
    from survey.respond.drafts import save_draft
    from survey.respond.submission import Outcome, submit

    wave, org = make_wave(db)
    token = make_token(db, wave, org)
    key = hash_token(token)
    save_draft(db, keyring(), key, wave.id, {"q14a": "1"}, wave.opens_on)
    db.commit()
    definition = SurveyDefinition.from_json(wave.definition_json)
    maker = app.extensions["survey.sessionmaker"]
    ring = keyring()
    barrier = threading.Barrier(RACERS)
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def race() -> None:
        session = maker()
        try:
            barrier.wait(timeout=30)
            out = submit(session, ring, kind="token", key=key, wave_id=wave.id, org_id=org.id,
                         definition=definition, today=wave.opens_on, resolution="day")
            with lock:
                outcomes.append(out)
        finally:
            session.close()

    threads = [threading.Thread(target=race) for _ in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(o.value for o in outcomes) == ["stored"] + ["used"] * (RACERS - 1)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Response)) == 1


def test_backend_in_use(app):
    """Say which database the race ran on (the suite runs once per backend)."""
    assert app.extensions["survey.engine"].dialect.name == ("postgresql" if PG_URL else "sqlite")
