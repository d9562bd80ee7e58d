"""The whole journey through the test client with real CSRF tokens: raise, save the key,
follow up, guardian reply, reply back, close, feedback; then the audit chain holds."""
from __future__ import annotations

import html

from sqlalchemy import select

from survey import audit
from survey.extensions import keyring
from survey.models import AuditEvent, Concern, ConcernStatus
from tests.support.speakup import csrf_token_per_request, joined_keys, open_case, post_on_page, raise_concern  # noqa: F401

TEXT = "The fridge alarm for vaccines at the branch surgery has been taped over for weeks zq41"
REPLY = "Thank you. Which branch surgery, and since when? gx77"
ANSWER = "The Elm Road branch, since early March kv93"
MORE = "Also the log book is not being filled in mp28"
LESSONS = "Alarms must never be silenced; weekly check added qw55"
FEEDBACK = "It took a while but it was sorted ht62"


def test_whole_journey(app, client, db, make_staff, sign_in, forbid_in_logs):
    forbid_in_logs(TEXT, REPLY, ANSWER, MORE, LESSONS, FEEDBACK)
    start = client.get("/speakup/")
    assert start.status_code == 200
    body = html.unescape(start.get_data(as_text=True))
    for words in ("Openly", "Confidentially", "Anonymously", "What happens next", app.config["DEFAULT_GUARDIAN_CONTACT"]):
        assert words in body

    reference, key = raise_concern(client, TEXT, elements=("patient_safety", "worker_safety"))
    forbid_in_logs(reference, key, key.replace("-", ""))
    assert len(key.replace("-", "")) == 20 and key.count("-") == 4
    # Shown once: a reload shows "already shown" and never the key.
    again = joined_keys(client.get("/speakup/raised").get_data(as_text=True))
    assert "already been shown" in again and key not in again

    # Follow up, typing the reference in lower case without the dash.
    resp = open_case(client, reference.lower().replace("-", " "), key.lower())
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/speakup/case")
    page = client.get("/speakup/case").get_data(as_text=True)
    assert TEXT in page and "New" in page

    # The guardian signs in with two factors, sees the case in the queue and replies.
    guardian = make_staff("guardian")
    desk = app.test_client()
    sign_in(desk, guardian)
    queue = desk.get("/guardian/").get_data(as_text=True)
    assert reference in queue and "1 unread" in queue
    concern = db.scalar(select(Concern).where(Concern.reference == reference))
    case_url = f"/guardian/cases/{concern.id}"
    assert TEXT in desk.get(case_url).get_data(as_text=True)
    resp = post_on_page(desk, case_url, case_url + "/reply", {"reply-body": REPLY})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]

    # The person reads the reply and answers, twice.
    page = client.get("/speakup/case").get_data(as_text=True)
    assert REPLY in page and "Acknowledged" in page
    for text in (ANSWER, MORE):
        resp = post_on_page(client, "/speakup/case", "/speakup/case/message", {"body": text})
        assert resp.status_code == 303
    assert ANSWER in client.get("/speakup/case").get_data(as_text=True)

    # The guardian sees the unread replies, sets status, adds a note, closes.
    assert "2 unread" in desk.get("/guardian/").get_data(as_text=True)
    page = desk.get(case_url).get_data(as_text=True)
    assert ANSWER in page and MORE in page
    resp = post_on_page(desk, case_url, case_url + "/status",
                        {"status-status": "in_progress", "status-elements": ["patient_safety"]})
    assert resp.status_code == 303
    resp = post_on_page(desk, case_url, case_url + "/close", {"close-outcome": "resolved", "close-lessons": LESSONS,
                                                              "close-confirm": "yes"})
    assert resp.status_code == 303
    db.rollback()
    concern = db.get(Concern, concern.id)
    assert concern.status is ConcernStatus.closed and concern.outcome == "resolved"
    assert concern.elements() == ["patient_safety"]
    assert keyring().decrypt(concern.lessons) == LESSONS

    # At closure the person is asked whether they would speak up again.
    page = client.get("/speakup/case").get_data(as_text=True)
    assert "Given your experience, would you speak up again?" in page
    resp = post_on_page(client, "/speakup/case", "/speakup/case/feedback", {"answer": "yes", "comment": FEEDBACK})
    assert resp.status_code == 303
    assert "you said: Yes" in client.get("/speakup/case").get_data(as_text=True)
    db.rollback()
    concern = db.get(Concern, concern.id)
    assert concern.feedback_answer == "yes" and keyring().decrypt(concern.feedback_comment) == FEEDBACK
    assert concern.feedback_on is not None
    # Messages cannot be added to a closed case.
    resp = post_on_page(client, "/speakup/case", "/speakup/case/message", {"body": "late"})
    assert resp.status_code == 400

    # Every guardian step is in the audit chain, and the chain holds.
    actions = [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.object_id == str(concern.id)))]
    for action in ("concern.view", "concern.message", "concern.status", "concern.elements", "concern.close"):
        assert action in actions
    assert audit.verify(db).ok
    # The guardian sees the case's own trail (and that view is audited too).
    trail = desk.get(case_url + "/trail")
    assert trail.status_code == 200 and "close" in trail.get_data(as_text=True)


def test_leaving_a_case_and_session_expiry(app, client, db, forbid_in_logs, monkeypatch):
    reference, key = raise_concern(client, "Rota favouritism in reception lb19", elements=())
    forbid_in_logs(reference, key, "Rota favouritism in reception lb19")
    assert open_case(client, reference, key).status_code == 303
    resp = post_on_page(client, "/speakup/case", "/speakup/case/leave", {})
    assert resp.status_code == 303
    assert client.get("/speakup/case").status_code == 302
    # After 30 minutes the case closes itself.
    assert open_case(client, reference, key).status_code == 303
    import time as _time
    real = _time.time
    monkeypatch.setattr("survey.speakup.followup_views.time.time", lambda: real() + 31 * 60)
    resp = client.get("/speakup/case")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/speakup/followup")
