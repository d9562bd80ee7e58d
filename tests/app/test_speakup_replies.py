"""Reporters learn that the guardian has replied (issue 21, item 12): anonymous reporters
are told on the key page when to check back; confidential reporters may ask for one e-mail
per reply, with no content, to an address they give (encrypted, erased with the case)."""
from __future__ import annotations

import datetime as dt
import html

from sqlalchemy import select

from survey.concerns.queue import add_working_days
from survey.extensions import keyring
from survey.models import Concern
from tests.support.mail import smtp_server  # noqa: F401  (a fixture)
from tests.support.speakup import csrf_token_per_request, open_case, post_on_page  # noqa: F401
from tests.support.speakup import raise_concern, joined_keys
from tests.conftest import post_form

ADDRESS = "kim.private@example.org"


def _text(resp) -> str:
    return joined_keys(html.unescape(resp.get_data(as_text=True)))


def _nhs(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def test_an_anonymous_reporter_is_told_when_to_come_back(app, client, forbid_in_logs):
    today = dt.date.today()
    holiday = add_working_days(today, 1)
    app.config["GUARDIAN_HOLIDAYS"] = [holiday.isoformat()]          # a bank holiday moves the date on
    text = "Fire exit blocked by boxes rp01"
    forbid_in_logs(text)
    resp = post_form(client, "/speakup/raise", {"text": text, "org": "none", "contact_mode": "anonymous"})
    assert resp.status_code == 303
    page = _text(client.get("/speakup/raised"))
    due = add_working_days(today, app.config["GUARDIAN_ACK_WORKING_DAYS"], [holiday])
    assert due > add_working_days(today, app.config["GUARDIAN_ACK_WORKING_DAYS"])
    assert f"acknowledge your concern by <strong>{_nhs(due)}</strong>" in page
    assert "Because you are anonymous, nobody can tell you when the guardian replies" in page


def test_a_confidential_reporter_who_asked_gets_one_contentless_email_per_reply(
        app, runner, client, db, make_staff, sign_in, smtp_server, forbid_in_logs):  # noqa: F811
    text, reply = "Controlled drugs register not signed rp02", "Thanks, I will look today rp03"
    forbid_in_logs(text, reply, ADDRESS)
    reference, key = raise_concern(client, text, mode="confidential", contact="Kim, 07700 900555",
                                   notify_address=ADDRESS)
    forbid_in_logs(reference, key)
    concern = db.scalar(select(Concern).where(Concern.reference == reference))
    assert ADDRESS.encode() not in concern.notify_address and keyring().decrypt(concern.notify_address) == ADDRESS
    assert not concern.reporter_notify_pending

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.server_address[1], BASE_URL="https://ftsu.example")
    desk = app.test_client()
    sign_in(desk, make_staff("guardian"))
    url = f"/guardian/cases/{concern.id}"
    assert post_on_page(desk, url, url + "/reply", {"reply-body": reply}).status_code == 303
    out = runner.invoke(args=["speakup", "notify"])
    assert out.exit_code == 0 and "1 reporter(s) told" in out.output, out.output
    to_reporter = [m for m in smtp_server.received if ADDRESS in m["to"]]
    assert len(to_reporter) == 1
    import email
    import email.policy
    message = email.message_from_string(to_reporter[0]["data"], policy=email.policy.default)
    body = message["Subject"] + "\n" + message.get_content()
    assert "the guardian has replied" in body.lower() and "https://ftsu.example/speakup/followup" in body
    for secret in (reference, key, text, reply, "Kim"):
        assert secret not in body
    # Told once: the next run sends nothing more to them.
    assert "0 reporter(s) told" in runner.invoke(args=["speakup", "notify"]).output
    # Read before the next run: nothing to tell.
    assert post_on_page(desk, url, url + "/reply", {"reply-body": reply + " again"}).status_code == 303
    assert open_case(client, reference, key).status_code == 303
    assert client.get("/speakup/case").status_code == 200
    assert "0 reporter(s) told" in runner.invoke(args=["speakup", "notify"]).output
    # Withdrawing erases the address with the rest of the text.
    assert post_on_page(client, "/speakup/case/withdraw", "/speakup/case/withdraw", {"confirm": "y"}).status_code == 303
    db.expire_all()
    assert db.get(Concern, concern.id).notify_address is None


def test_the_address_is_checked_and_never_kept_for_anonymous_concerns(client, db, forbid_in_logs):
    text = "Sharps bin overflowing rp04"
    forbid_in_logs(text)
    bad = post_form(client, "/speakup/raise", {"text": text, "org": "none", "contact_mode": "confidential",
                                               "contact": "Kim", "notify_address": "not an address"})
    page = _text(bad)
    assert bad.status_code == 200 and "Enter an e-mail address like name@example.com, or leave it empty" in page
    assert text in page                                            # nothing typed is lost
    reference, key = raise_concern(client, text, mode="anonymous", notify_address=ADDRESS)
    forbid_in_logs(reference, key)
    assert db.scalar(select(Concern).where(Concern.reference == reference)).notify_address is None
