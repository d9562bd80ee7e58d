"""The answering pages reuse the signed CSRF token of a session (survey.respond.forms):
it must stay valid for Flask-WTF, be the session's own, and be signed afresh whenever a
time limit makes the signing time matter."""
from __future__ import annotations

from flask import g, session
from flask_wtf.csrf import validate_csrf

from survey.respond import forms
from tests.conftest import csrf_from
from tests.respond_support import fresh_client, make_token, make_wave


def _page_token(client) -> str:
    return csrf_from(client.get("/respond/page/1").get_data(as_text=True))


def _journey(app, db):
    wave, org = make_wave(db)
    client = fresh_client(app)
    assert client.get(f"/respond/t/{make_token(db, wave, org)}").status_code == 302
    return client


def test_one_signed_token_per_session_and_posts_still_checked(app, db, monkeypatch):
    # every signing a second later than the one before: a token signed again would differ
    from itsdangerous.timed import TimestampSigner
    clock = iter(range(1_800_000_000, 1_900_000_000))
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: next(clock))
    first, other = _journey(app, db), _journey(app, db)
    token = _page_token(first)
    assert _page_token(first) == token                     # kept for the session
    assert _page_token(other) != token                     # another session, another token
    assert first.post("/respond/page/1", data={"csrf_token": token, "q11d": "2"}).status_code == 302
    assert other.post("/respond/page/1", data={"csrf_token": token, "q11d": "2"}).status_code == 400
    assert first.post("/respond/page/1", data={"q11d": "2"}).status_code == 400


def test_kept_token_is_valid_for_flask_wtf(app):
    with app.test_request_context():
        session["csrf_token"] = "a" * 40
        token = forms.csrf_token()
        del g.csrf_token
        assert forms.csrf_token() == token
        validate_csrf(token)                                   # raises if not valid


def test_signed_afresh_under_a_time_limit(app, monkeypatch):
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    signed = []
    real = forms.generate_csrf
    monkeypatch.setattr(forms, "generate_csrf", lambda: signed.append(1) or real())
    try:
        for _ in range(2):
            with app.test_request_context():
                session["csrf_token"] = "b" * 40
                forms.csrf_token()
        assert len(signed) == 2
    finally:
        app.config["WTF_CSRF_TIME_LIMIT"] = None
