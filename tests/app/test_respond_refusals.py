"""Every refusal page: it says which refusal it is, and nothing more."""
from __future__ import annotations

import datetime as dt

import pytest

from survey.crypto import new_token
from survey.extensions import hash_token
from tests.conftest import csrf_from
from tests.respond_support import make_open_link, make_token, make_wave, fresh_client
from survey.models import Invitation, WaveMode

TODAY = dt.date.today()


@pytest.fixture
def client(app):
    return fresh_client(app)


def _refused(resp, status, text, wave=None):
    html = resp.get_data(as_text=True)
    assert resp.status_code == status, html[:300]
    assert text in html
    assert 'name="q11d"' not in html and "respond" not in resp.headers.get("Location", "")
    if wave is not None:
        assert wave.name not in html and "Test staff survey" not in html and "Test Practice" not in html
    return html


def test_unknown_token(client, forbid_in_logs):
    token = new_token()
    forbid_in_logs(token)
    _refused(client.get(f"/respond/t/{token}"), 404, "This survey link does not work")
    with client.session_transaction() as s:
        assert "respond" not in s


def test_used_token(client, db, forbid_in_logs):
    wave, org = make_wave(db)
    token = make_token(db, wave, org, used=True)
    forbid_in_logs(token)
    _refused(client.get(f"/respond/t/{token}"), 410, "has already been used", wave)


def test_not_yet_open(client, db, forbid_in_logs):
    wave, org = make_wave(db, opens=TODAY + dt.timedelta(days=5), closes=TODAY + dt.timedelta(days=20))
    token = make_token(db, wave, org)
    forbid_in_logs(token)
    html = _refused(client.get(f"/respond/t/{token}"), 403, "This survey is not open yet", wave)
    assert str((TODAY + dt.timedelta(days=5)).year) in html


@pytest.mark.parametrize("closed_early", [False, True])
def test_closed(client, db, forbid_in_logs, closed_early):
    if closed_early:
        wave, org = make_wave(db, closed=True)
    else:
        wave, org = make_wave(db, opens=TODAY - dt.timedelta(days=30), closes=TODAY - dt.timedelta(days=1))
    token = make_token(db, wave, org)
    forbid_in_logs(token)
    _refused(client.get(f"/respond/t/{token}"), 410, "This survey has closed", wave)


def test_closes_today_is_still_open(client, db, forbid_in_logs):
    wave, org = make_wave(db, opens=TODAY, closes=TODAY)
    token = make_token(db, wave, org)
    forbid_in_logs(token)
    assert client.get(f"/respond/t/{token}").status_code == 302


def test_wave_closing_mid_journey_refuses_the_pages(client, db, forbid_in_logs):
    wave, org = make_wave(db)
    token = make_token(db, wave, org)
    forbid_in_logs(token)
    client.get(f"/respond/t/{token}")
    first = client.get("/respond/page/1")
    assert first.status_code == 200
    csrf = csrf_from(first.get_data(as_text=True))
    wave.is_closed = True
    db.commit()
    _refused(client.get("/respond/page/1"), 410, "This survey has closed")
    _refused(client.post("/respond/page/1", data={"csrf_token": csrf, "q11d": "1"}), 410, "has closed")
    _refused(client.post("/respond/submit", data={"csrf_token": csrf}), 410, "has closed")


def test_token_used_elsewhere_mid_journey(client, db, forbid_in_logs):
    wave, org = make_wave(db)
    token = make_token(db, wave, org)
    forbid_in_logs(token)
    client.get(f"/respond/t/{token}")
    db.get(Invitation, hash_token(token)).is_used = True
    db.commit()
    _refused(client.get("/respond/check"), 410, "has already been used")


def test_no_journey_in_this_browser(client):
    for url in ("/respond/", "/respond/page/1", "/respond/check"):
        _refused(client.get(url), 400, "Open your survey link again")


def test_unknown_page_number(client, db, forbid_in_logs):
    wave, org = make_wave(db)
    token = make_token(db, wave, org)
    forbid_in_logs(token)
    client.get(f"/respond/t/{token}")
    assert client.get("/respond/page/99").status_code == 404
    assert client.get("/respond/page/0").status_code == 404


def test_open_link_refusals(client, db):
    _refused(client.get("/respond/o/no-such-link"), 404, "This survey link does not work")
    wave, org = make_wave(db, mode=WaveMode.open_link, opens=TODAY + dt.timedelta(days=2), closes=TODAY + dt.timedelta(days=9))
    _refused(client.get(f"/respond/o/{make_open_link(db, wave, org)}"), 403, "not open yet", wave)
    wave, org = make_wave(db, mode=WaveMode.open_link, closed=True)
    _refused(client.get(f"/respond/o/{make_open_link(db, wave, org)}"), 410, "has closed", wave)
