"""The guardian's desk: who may enter, TOTP replay, the audited reveal, notes, the queue's
filters and marks, and the quarterly return download."""
from __future__ import annotations

import datetime as dt
import html

import pyotp
import pytest
from sqlalchemy import select

from survey.concerns import ConcernInput, raise_concern as op_raise
from survey.extensions import access_key_hasher, keyring
from survey.models import AuditEvent, Concern, ConcernNote, Organisation, OrgLevel
from tests.support.speakup import csrf_token_per_request, post_on_page, raise_concern, sign_in_to  # noqa: F401
from tests.conftest import TEST_PASSWORD, post_form


def _text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def _case(db, text="A concern", on=None, **kw) -> Concern:
    data = ConcernInput(text=text, elements=kw.pop("elements", ["patient_safety"]), **kw)
    case = op_raise(db, keyring(), access_key_hasher(), data, on=on)
    db.commit()
    return case.concern


def _guardian_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("guardian.")]


def test_only_guardians_reach_cases(app, db, make_staff):
    concern = _case(db)
    rules = _guardian_rules(app)
    assert len(rules) >= 8
    for role in ("edi_lead", "admin"):
        client = app.test_client()
        sign_in_to(client, db, make_staff(role))
        for rule in rules:
            url = rule.rule.replace("<int:case_id>", str(concern.id))
            method = "GET" if "GET" in rule.methods else "POST"
            resp = client.open(url, method=method)
            # POSTs without a CSRF token could fail on CSRF first: check with a token too.
            if method == "POST":
                assert resp.status_code in (400, 403), (role, url, resp.status_code)   # CSRF or role
                continue
            assert resp.status_code == 403, (role, url, resp.status_code)
    # Every guardian view is declared for the guardian role only.
    for rule in rules:
        assert {r.value for r in app.view_functions[rule.endpoint].staff_roles} == {"guardian"}, rule.rule
    # Nobody signed in is sent to sign in.
    anon = app.test_client()
    resp = anon.get(f"/guardian/cases/{concern.id}")
    assert resp.status_code == 302 and "/auth/sign-in" in resp.headers["Location"]
    # An EDI lead's POST with a real CSRF token is refused too, and nothing is audited.
    edi = app.test_client()
    sign_in_to(edi, db, make_staff("edi_lead"))
    before = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    resp = post_form(edi, f"/guardian/cases/{concern.id}/reveal", {}, get_url="/")
    assert resp.status_code == 403
    db.rollback()
    after = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    assert before == after


def test_a_guardian_cannot_reach_edi_or_admin_pages(app, make_staff, sign_in):
    client = app.test_client()
    sign_in(client, make_staff("guardian"))
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("reports.", "admin.")) or rule.arguments or "GET" not in rule.methods:
            continue
        assert client.get(rule.rule).status_code == 403, rule.rule
        checked += 1
    assert checked >= 1
    for prefix in ("/reports/", "/admin/"):
        assert client.get(prefix).status_code in (403, 404)


def test_totp_code_replay_is_refused(app, db, make_staff):
    guardian = make_staff("guardian")
    code = pyotp.TOTP(guardian.totp_plain).now()
    first = app.test_client()
    resp = post_form(first, "/auth/sign-in", {"email": guardian.email, "password": TEST_PASSWORD, "code": code})
    assert resp.status_code == 302
    second = app.test_client()
    resp = post_form(second, "/auth/sign-in", {"email": guardian.email, "password": TEST_PASSWORD, "code": code})
    assert resp.status_code == 200 and "not right" in _text(resp)
    assert second.get("/guardian/").status_code == 302   # not signed in


def test_reveal_is_deliberate_and_audited(app, client, db, make_staff, sign_in, forbid_in_logs):
    text, contact = "Confidential concern about rota pressure rv10", "Jo Bloggs, jo@example.org"
    forbid_in_logs(text, contact)
    reference, key = raise_concern(client, text, mode="confidential", contact=contact)
    forbid_in_logs(reference, key)
    concern = db.scalar(select(Concern).where(Concern.reference == reference))
    guardian = make_staff("guardian")
    desk = app.test_client()
    sign_in(desk, guardian)
    url = f"/guardian/cases/{concern.id}"
    page = _text(desk.get(url))
    assert text in page and contact not in page and "Reveal contact details" in page
    resp = post_on_page(desk, url, url + "/reveal", {})
    assert resp.status_code == 200 and contact in _text(resp)
    events = list(db.scalars(select(AuditEvent).where(AuditEvent.action == "concern.reveal_contact")))
    assert len(events) == 1 and events[0].actor_id == guardian.id and events[0].object_id == str(concern.id)
    assert contact not in (events[0].detail or "")
    # The next ordinary view hides them again.
    assert contact not in _text(desk.get(url))


def test_notes_are_encrypted_and_audited(app, db, make_staff, sign_in, forbid_in_logs):
    note = "Spoke to practice manager informally nt88"
    forbid_in_logs(note)
    concern = _case(db)
    guardian = make_staff("guardian")
    desk = app.test_client()
    sign_in(desk, guardian)
    url = f"/guardian/cases/{concern.id}"
    assert post_on_page(desk, url, url + "/note", {"note-body": note}).status_code == 303
    assert note in _text(desk.get(url))
    stored = db.scalar(select(ConcernNote))
    assert note.encode() not in stored.body and keyring().decrypt(stored.body) == note
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "concern.note")) is not None
    # An empty note is refused with a message; the page still works.
    resp = post_on_page(desk, url, url + "/note", {"note-body": "  "})
    assert resp.status_code == 400 and "Enter the note" in _text(resp)


def test_queue_filters_and_marks(app, db, make_staff, sign_in, monkeypatch):
    p1 = Organisation(code="P1", name="Elm Road Surgery", level=OrgLevel.practice)
    db.add(p1)
    db.commit()
    today = dt.date(2025, 5, 15)    # a Thursday
    monkeypatch.setattr("survey.guardian.queue_views.today", lambda: today)
    old = _case(db, "old", on=dt.date(2025, 5, 12), elements=["bullying"], org_id=p1.id)    # Monday: due Wed, overdue
    fresh = _case(db, "fresh", on=dt.date(2025, 5, 14), elements=["patient_safety"])       # Wednesday: due Friday
    ancient = _case(db, "ancient", on=dt.date(2025, 1, 10), elements=["attitudes"])
    ancient.acknowledged_on = dt.date(2025, 1, 10)
    ancient.status = ancient.status.__class__("in_progress")
    ancient.unread_by_guardian = 0
    db.commit()
    desk = app.test_client()
    sign_in(desk, make_staff("guardian"))

    def refs(query=""):
        page = _text(desk.get("/guardian/" + query))
        return {c.reference for c in (old, fresh, ancient) if c.reference in page}, page

    found, page = refs()
    assert found == {old.reference, fresh.reference, ancient.reference}
    assert page.count("Acknowledgement overdue") == 1
    assert page.index(old.reference) < page.index(fresh.reference)   # overdue first
    assert refs("?element=bullying")[0] == {old.reference}
    assert refs(f"?org={p1.id}")[0] == {old.reference}
    assert refs("?org=none")[0] == {fresh.reference, ancient.reference}
    assert refs("?age=older")[0] == {ancient.reference}
    assert refs("?age=week")[0] == {old.reference, fresh.reference}
    assert refs("?status=in_progress")[0] == {ancient.reference}
    assert refs("?status=bogus&element=bogus&org=x&age=x")[0] == {old.reference, fresh.reference, ancient.reference}
    # A configurable target: 5 working days makes nothing overdue.
    app.config["GUARDIAN_ACK_WORKING_DAYS"] = 5
    assert "Acknowledgement overdue" not in refs()[1]


def test_return_download_is_audited(app, db, make_staff, sign_in):
    pytest.importorskip("survey.disclosure.engine")
    _case(db, on=dt.date(2025, 4, 2))
    guardian = make_staff("guardian")
    desk = app.test_client()
    sign_in(desk, guardian)
    assert "Quarterly return" in _text(desk.get("/guardian/return"))
    resp = post_form(desk, "/guardian/return", {"quarter": "2025q1"})
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "ftsu-return-2025Q1.csv" in resp.headers["Content-Disposition"]
    assert resp.get_data(as_text=True).splitlines()[0] == "quarter,section,category,label,count,status"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "concern.return_export"))
    assert event.actor_id == guardian.id and event.object_id == "2025Q1"
    bad = post_form(desk, "/guardian/return", {"quarter": "2025-04"})
    assert bad.status_code == 400 and "Enter a quarter like 2025Q1" in _text(bad)


def test_withdrawn_and_purged_cases_still_open_for_the_guardian(app, db, make_staff):
    from survey.concerns import workflow as wf
    from survey.concerns.retention import purge
    from tests.support.speakup import sign_in_to
    guardian = make_staff("guardian")
    withdrawn = _case(db, "withdrawn text", anonymous=False, contact="someone")
    wf.withdraw(db, withdrawn)
    closed = _case(db, "closed text", on=dt.date(2020, 1, 6))
    wf.close_case(db, keyring(), closed, guardian.id, "no_further_action", None, on=dt.date(2020, 1, 7))
    db.commit()
    purge(db, dt.date(2025, 1, 1), 12)
    db.commit()
    desk = app.test_client()
    sign_in_to(desk, db, guardian)
    page = _text(desk.get(f"/guardian/cases/{withdrawn.id}"))
    assert "because the person withdrew the concern" in page and "withdrawn text" not in page
    assert "Send reply" not in page and "The contact details have been erased" in page
    page = _text(desk.get(f"/guardian/cases/{closed.id}"))
    assert "under the retention rule" in page and "No further action" in page
    resp = post_on_page(desk, f"/guardian/cases/{withdrawn.id}", f"/guardian/cases/{withdrawn.id}/status",
                        {"status-status": "in_progress"})
    assert resp.status_code == 400 and "withdrew" in _text(resp)


def test_the_case_the_trail_the_queue_and_the_footer_read_as_words(app, db, make_staff):
    """Issue 21 item 15: two "Raised" rows, raw JSON in the trail, "0 days ago", and
    "Staff sign in" in the footer of a signed-in guardian."""
    import re
    concern = _case(db, "Words not JSON gd15", elements=["bullying"])
    desk = app.test_client()
    sign_in_to(desk, db, make_staff("guardian"))
    url = f"/guardian/cases/{concern.id}"
    page = _text(desk.get(url))
    keys = re.findall(r'<dt class="nhsuk-summary-list__key">([^<]+)</dt>', page)
    assert keys.count("Raised") == 1 and "How it was raised" in keys, keys
    assert "Staff sign in" not in page
    assert post_on_page(desk, url, url + "/status", {"status-status": "acknowledged",
                                                     "status-elements": ["bullying", "detriment"]}).status_code == 303
    trail = _text(desk.get(url + "/trail"))
    table = trail.split('<tbody class="nhsuk-table__body">')[1].split("</tbody>")[0]
    assert "Status changed from New to Acknowledged" in table
    assert "Elements set to Bullying or harassment, Detriment for speaking up" in table and "Case opened" in table
    assert "{" not in table and '"' not in re.sub(r'<[^>]+>', "", table)
    queue = _text(desk.get("/guardian/"))
    assert "today" in queue and "0 days ago" not in queue
    assert "Staff sign in" in _text(app.test_client().get("/speakup/"))


def test_acknowledging_has_its_own_button_and_closing_asks_first(app, db, make_staff):
    """Issue 21 item 16."""
    from survey.models import ConcernStatus
    concern = _case(db, "Buttons not radios gd16")
    desk = app.test_client()
    sign_in_to(desk, db, make_staff("guardian"))
    url = f"/guardian/cases/{concern.id}"
    page = _text(desk.get(url))
    assert f'action="{url}/acknowledge"' in page and "Acknowledge this case" in page
    resp = post_on_page(desk, url, url + "/acknowledge", {})
    assert resp.status_code == 303, resp.status_code
    db.rollback()
    db.expire_all()
    assert db.get(Concern, concern.id).status is ConcernStatus.acknowledged and db.get(Concern, concern.id).acknowledged_on
    page = _text(desk.get(url))
    assert "Acknowledge this case" not in page and "The case is acknowledged." in page
    assert post_on_page(desk, url, url + "/acknowledge", {}).status_code == 303      # twice: said, not changed

    # Closing shows what will be saved and asks; nothing changes until the guardian confirms.
    ask = post_on_page(desk, url, url + "/close", {"close-outcome": "resolved", "close-lessons": "Checks added gd16"})
    confirm = _text(ask)
    assert ask.status_code == 200 and "Close case" in confirm and "Resolved" in confirm and "Checks added gd16" in confirm
    assert "Yes, close the case" in confirm and f'href="{url}"' in confirm
    db.rollback()
    db.expire_all()
    assert db.get(Concern, concern.id).status is ConcernStatus.acknowledged
    import re
    fields = dict(re.findall(r'<input type="hidden" name="(close-[a-z]+)" value="([^"]*)"', confirm))
    assert fields == {"close-outcome": "resolved", "close-lessons": "Checks added gd16", "close-confirm": "yes"}
    done = post_on_page(desk, url, url + "/close", fields)
    assert done.status_code == 303
    db.rollback()
    db.expire_all()
    closed = db.get(Concern, concern.id)
    assert closed.status is ConcernStatus.closed and closed.outcome == "resolved"
    # A bad outcome is refused on the case page, not sent to the confirmation.
    bad = post_on_page(desk, url, url + "/close", {"close-outcome": "bogus"})
    assert bad.status_code == 400 and "There is a problem" in _text(bad)
