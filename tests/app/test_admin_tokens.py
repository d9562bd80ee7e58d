"""Admin token batches: the links are shown once (CSV from the POST, or a QR sheet), are valid
invitations, and appear in plain nowhere else: not in the database file, the logs or the session."""
import base64
import csv
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from survey.extensions import hash_token
from survey.models import AuditEvent, Invitation, WaveOrganisation
from tests.support.admin import admin_client, fresh, fresh_g_per_request  # noqa: F401
from tests.support.admin import create, get_wave, orgs  # noqa: F401  (orgs: a fixture)
from tests.conftest import PG_URL, post_form

TOKEN_RE = re.compile(r"/respond/t/([A-Za-z0-9_\-]+)")


def issue(client, wave, org="P001", count="5", output="csv"):
    return post_form(client, f"/admin/waves/{wave.id}/tokens", {"org": org, "count": count, "output": output},
                     get_url=f"/admin/waves/{wave.id}")


@pytest.fixture
def wave(admin_client, orgs, db):  # noqa: F811
    assert create(admin_client).status_code == 302
    return get_wave(db)


def assert_nowhere_in_plain(app, client, tokens):
    if not PG_URL:
        db_file = Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
        blobs = b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))
        for t in tokens:
            assert t.encode() not in blobs
    with client.session_transaction() as sess:
        stored = json.dumps(dict(sess), default=str)
    for t in tokens:
        assert t not in stored


def test_csv_batch_holds_valid_invitations_stored_only_as_hashes(app, admin_client, wave, db, forbid_in_logs):
    resp = issue(admin_client, wave)
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert resp.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0] == ["link"] and len(rows) == 6
    tokens = [TOKEN_RE.search(r[0]).group(1) for r in rows[1:]]
    assert len(set(tokens)) == 5
    forbid_in_logs(*tokens)
    fresh(db)
    hashes = set(db.scalars(select(Invitation.token_hash).where(Invitation.wave_id == wave.id)))
    assert {hash_token(t) for t in tokens} == hashes
    assert db.scalar(select(func.sum(WaveOrganisation.invited)).where(WaveOrganisation.wave_id == wave.id)) == 5
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "tokens.issue"))
    assert event.actor_id == admin_client.admin.id
    assert not any(t in (event.detail or "") for t in tokens)
    assert_nowhere_in_plain(app, admin_client, tokens)
    # The wave page never shows them again.
    page = admin_client.get(f"/admin/waves/{wave.id}").get_data(as_text=True)
    assert not any(t in page for t in tokens)
    # A link opens the survey (the invitation is live).
    first = app.test_client().get(f"/respond/t/{tokens[0]}")
    assert first.status_code in (200, 302)


def test_qr_sheet_is_printable_under_the_csp(app, admin_client, wave, db, forbid_in_logs):
    resp = issue(admin_client, wave, count="3", output="qr")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert html.count('src="data:image/svg+xml') == 3
    assert "style=" not in html and "<style" not in html
    assert "'unsafe-inline'" not in resp.headers["Content-Security-Policy"]
    tokens = sorted(set(TOKEN_RE.findall(html)))
    assert len(tokens) == 3
    forbid_in_logs(*tokens)
    # The same links as a CSV data: link on the page.
    uri = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', html).group(1)
    rows = list(csv.reader(io.StringIO(base64.b64decode(uri).decode())))
    assert sorted(TOKEN_RE.search(r[0]).group(1) for r in rows[1:]) == tokens
    fresh(db)
    hashes = set(db.scalars(select(Invitation.token_hash)))
    assert {hash_token(t) for t in tokens} <= hashes
    assert_nowhere_in_plain(app, admin_client, tokens)


@pytest.mark.parametrize("data, message", [
    ({"count": "0"}, "from 1 to"),
    ({"count": "many"}, "whole number"),
    ({"count": "999999"}, "from 1 to"),
    ({"count": "301", "output": "qr"}, "at most 300 links"),
    ({"org": "P003"}, "Choose one of this wave&#39;s organisations"),   # not in this wave
    ({"org": "PCN1"}, "Choose one of this wave&#39;s organisations"),   # a parent, not one of the wave's practices
    ({"count": ""}, "Enter how many links to issue"),
])
def test_bad_batches_issue_nothing(admin_client, wave, db, data, message):
    """Shown on the wave's page with an error summary beside the form, as sent (issue 21
    item 20: it was an information banner after a redirect)."""
    args = {"org": "P001", "count": "5", "output": "csv"}
    args.update(data)
    resp = issue(admin_client, wave, **args)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert message in page and "There is a problem" in page and "No links were issued" in page
    assert "app-flash" not in page
    fresh(db)
    assert db.scalar(select(func.count()).select_from(Invitation)) == 0


def test_a_closed_wave_gets_no_tokens(admin_client, wave, db):
    post_form(admin_client, f"/admin/waves/{wave.id}/close", {})
    resp = issue(admin_client, wave)
    page = admin_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "is closed" in page
    fresh(db)
    assert db.scalar(select(func.count()).select_from(Invitation)) == 0


def test_an_open_link_wave_gets_no_tokens(admin_client, orgs, db):  # noqa: F811
    create(admin_client, mode="open_link", name="Open")
    wave = get_wave(db, "Open")
    resp = issue(admin_client, wave, org="P001")
    page = admin_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "open-link" in page
    assert db.scalar(select(func.count()).select_from(Invitation)) == 0


def test_token_post_without_csrf_is_refused(admin_client, wave, db):
    resp = admin_client.post(f"/admin/waves/{wave.id}/tokens", data={"org": "P001", "count": "5", "output": "csv"})
    assert resp.status_code == 400
    fresh(db)
    assert db.scalar(select(func.count()).select_from(Invitation)) == 0


def test_without_base_url_links_use_the_address_the_page_was_reached_at(app, admin_client, wave):
    """Issue 21 item 22: links always said localhost:5000 whatever the address."""
    assert not app.config.get("BASE_URL")
    links = issue(admin_client, wave, count="2").get_data(as_text=True).splitlines()[1:]
    assert len(links) == 2 and all(link.startswith("http://localhost/respond/t/") for link in links), links
    app.config["BASE_URL"] = "https://staffvoice.example.nhs.uk/"
    links = issue(admin_client, wave, count="1").get_data(as_text=True).splitlines()[1:]
    assert links[0].startswith("https://staffvoice.example.nhs.uk/respond/t/"), links
