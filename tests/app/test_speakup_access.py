"""Finding a case: wrong key and wrong reference get one message, guessing is rate
limited; the key is shown once; the honeypot and the submission limit store nothing."""
from __future__ import annotations

import html

from sqlalchemy import func, select

from survey.crypto import new_access_key
from survey.extensions import keyring
from survey.models import Concern
from tests.support.speakup import csrf_token_per_request, joined_keys, keys_on_page, open_case, raise_concern  # noqa: F401
from tests.conftest import post_form

NOT_RIGHT = "The reference or access key is not right"


def _text(resp) -> str:
    return joined_keys(html.unescape(resp.get_data(as_text=True)))


def test_wrong_key_and_wrong_reference_get_the_same_answer(client, forbid_in_logs):
    text = "Locum told to skip hand hygiene audit fr82"
    reference, key = raise_concern(client, text)
    wrong_key = new_access_key()
    forbid_in_logs(text, reference, key, wrong_key)
    bad_key = open_case(client, reference, wrong_key)
    bad_ref = open_case(client, "ZZZZ-ZZZZ" if reference != "ZZZZ-ZZZZ" else "YYYY-YYYY", key)
    malformed = open_case(client, "nonsense", "also nonsense")
    for resp in (bad_key, bad_ref, malformed):
        assert resp.status_code == 400
        assert NOT_RIGHT in _text(resp)
    # The answers differ only in the echoed reference (and the CSRF token).
    strip = lambda r, ref: _text(r).replace(ref, "REF").split('name="csrf_token"')[0]  # noqa: E731
    assert strip(bad_key, reference) == strip(bad_ref, "ZZZZ-ZZZZ" if reference != "ZZZZ-ZZZZ" else "YYYY-YYYY")
    # The key is never echoed back into the form.
    assert wrong_key not in _text(bad_key)
    assert open_case(client, reference, key).status_code == 303


def _from(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def test_the_right_key_works_after_fifty_wrong_ones_from_other_clients(app, client, forbid_in_logs):
    """Anyone who sees a reference used to lock its reporter out with ten wrong keys."""
    text = "Manager shouts at reception staff daily nv30"
    reference, key = raise_concern(client, text)
    forbid_in_logs(text, reference, key)
    for i in range(50):
        assert open_case(app.test_client(), reference, new_access_key(), **_from(f"10.0.{i // 200}.{i % 200 + 1}")).status_code == 400
    assert open_case(app.test_client(), reference, key, **_from("10.9.9.9")).status_code == 303
    # and from a client that guessed wrong itself, within its own limit
    assert open_case(app.test_client(), reference, key, **_from("10.0.0.1")).status_code == 303


def test_guessers_of_a_known_reference_are_slowed_down(app, client, forbid_in_logs):
    app.config["RATELIMIT_FOLLOWUP"] = "3/hour"
    app.config["RATELIMIT_FOLLOWUP_CLIENT"] = "20/hour"
    text = "Rota changed without notice nv31"
    reference, key = raise_concern(client, text)
    forbid_in_logs(text, reference, key)
    for i in range(3):                      # the reference's allowance of wrong keys
        assert open_case(app.test_client(), reference, new_access_key(), **_from(f"10.1.0.{i + 1}")).status_code == 400
    # Beyond it each wrong key costs its client five attempts: 20 a client become 4.
    guesser = app.test_client()
    codes = [open_case(guesser, reference, new_access_key(), **_from("10.1.1.1")).status_code for _ in range(5)]
    assert codes == [400, 400, 400, 400, 429], codes
    limited = open_case(guesser, reference, key, **_from("10.1.1.1"))
    assert limited.status_code == 429 and "too many attempts" in _text(limited).lower()
    # A client trying references nobody has guessed at keeps the usual 20 attempts.
    cold = app.test_client()
    codes = [open_case(cold, f"QQQQ-QQ{i:02d}", new_access_key(), **_from("10.1.2.1")).status_code for i in range(21)]
    assert codes == [400] * 20 + [429], codes
    # The reporter, from their own phone, is never refused.
    assert open_case(app.test_client(), reference, key, **_from("10.1.3.1")).status_code == 303


def test_guessing_is_rate_limited_per_client(app, client, forbid_in_logs):
    app.config["RATELIMIT_FOLLOWUP_CLIENT"] = "4/hour"
    for i in range(4):
        assert open_case(client, f"AAAA-AAA{i}", new_access_key()).status_code == 400
    resp = open_case(client, "AAAA-AAA9", new_access_key())
    assert resp.status_code == 429


def test_key_is_stored_only_as_a_slow_hash(client, db, forbid_in_logs):
    text = "Needle bin overfilled in treatment room pq11"
    reference, key = raise_concern(client, text)
    forbid_in_logs(text, reference, key)
    concern = db.scalar(select(Concern).where(Concern.reference == reference))
    assert concern.access_key_hash.startswith("$argon2id$")
    assert key not in concern.access_key_hash and key.replace("-", "") not in concern.access_key_hash
    assert keyring().decrypt(concern.text) == text


def test_honeypot_looks_normal_and_stores_nothing(client, db, forbid_in_logs):
    text = "Buy cheap watches now bt00"
    forbid_in_logs(text)
    reference, key = raise_concern(client, text, honeypot="http://spam.example")
    forbid_in_logs(reference, key)
    assert db.scalar(select(func.count(Concern.id))) == 0
    # The fake key opens nothing.
    assert open_case(client, reference, key).status_code == 400


def test_submissions_are_rate_limited_and_keep_the_text(app, client, db, forbid_in_logs):
    app.config["RATELIMIT_SPEAKUP_SUBMIT"] = "2/hour"
    text = "Repeated concern about the cold chain kd45"
    forbid_in_logs(text)
    for _ in range(2):
        ref, key = raise_concern(client, text)
        forbid_in_logs(ref, key)
    resp = post_form(client, "/speakup/raise", {"text": text, "org": "none", "contact_mode": "anonymous"})
    assert resp.status_code == 429
    page = _text(resp)
    assert "Too many concerns" in page and text in page   # nothing typed is lost
    assert db.scalar(select(func.count(Concern.id))) == 2


def test_contact_details_only_when_confidential(client, db, forbid_in_logs):
    anon_text, conf_text = "Anonymous: rota bias jw20", "Confidential: rota bias jw21"
    contact = "Sam Example, 07700 900123"
    forbid_in_logs(anon_text, conf_text, contact)
    # Confidential without details is refused with a clear message, and nothing is stored.
    resp = post_form(client, "/speakup/raise", {"text": conf_text, "org": "none", "contact_mode": "confidential"})
    assert resp.status_code == 200 and "Enter your name and how the guardian can contact you" in _text(resp)
    assert db.scalar(select(func.count(Concern.id))) == 0
    # Anonymous with details typed: the details are dropped.
    ref1, key1 = raise_concern(client, anon_text, contact=contact)
    ref2, key2 = raise_concern(client, conf_text, mode="confidential", contact=contact)
    forbid_in_logs(ref1, key1, ref2, key2)
    db.rollback()   # a fresh snapshot (SQLite WAL keeps the one of the count above)
    anon = db.scalar(select(Concern).where(Concern.reference == ref1))
    conf = db.scalar(select(Concern).where(Concern.reference == ref2))
    assert anon.is_anonymous and anon.contact is None
    assert not conf.is_anonymous and keyring().decrypt(conf.contact) == contact


def test_form_errors_are_explained(client):
    resp = post_form(client, "/speakup/raise", {"text": "", "org": "none"})
    page = _text(resp)
    assert "There is a problem" in page and "Describe what happened" in page
    assert "Choose whether to stay anonymous or give contact details" in page


def test_the_start_page_names_the_organisations_guardian(app, client, db):
    from survey.models import Organisation, OrgLevel
    db.add(Organisation(code="P1", name="Elm Road Surgery", level=OrgLevel.practice))
    db.commit()
    app.config["GUARDIAN_CONTACTS"] = {"P1": "Alex Guardian, 01234 567890"}
    assert "Alex Guardian, 01234 567890" in _text(client.get("/speakup/?org=P1"))
    listing = _text(client.get("/speakup/"))
    assert "<strong>Elm Road Surgery</strong>: Alex Guardian" in listing
    form = _text(client.get("/speakup/raise?org=P1"))
    assert "selected>Elm Road Surgery" in form and "Prefer not to say" in form
    honeypot = form.split('class="app-honeypot"')[1].split("</div>")[0]
    assert "Leave this blank" in honeypot and 'autocomplete="off"' in honeypot and 'tabindex="-1"' in honeypot


def test_home_page_links_to_speak_up(client):
    page = _text(client.get("/"))
    assert 'href="/speakup/"' in page and 'href="/speakup/followup"' in page


def test_withdrawal_erases_text_and_keeps_facts(client, db, forbid_in_logs):
    from tests.support.speakup import post_on_page
    text, msg = "Agency nurse threatened for reporting error wd71", "More detail wd72"
    contact = "Kim, kim@example.org"
    forbid_in_logs(text, msg, contact)
    reference, key = raise_concern(client, text, elements=("bullying", "detriment"), mode="confidential", contact=contact)
    forbid_in_logs(reference, key)
    assert open_case(client, reference, key).status_code == 303
    assert post_on_page(client, "/speakup/case", "/speakup/case/message", {"body": msg}).status_code == 303
    # Without the confirmation box nothing happens.
    assert post_on_page(client, "/speakup/case/withdraw", "/speakup/case/withdraw", {}).status_code == 400
    resp = post_on_page(client, "/speakup/case/withdraw", "/speakup/case/withdraw", {"confirm": "y"})
    assert resp.status_code == 303
    page = _text(client.get("/speakup/case"))
    assert "Withdrawn" in page and text not in page and msg not in page
    concern = db.scalar(select(Concern).where(Concern.reference == reference))
    assert concern.text is None and concern.contact is None and all(m.body is None for m in concern.messages)
    assert concern.elements() == ["bullying", "detriment"] and concern.raised_on and concern.withdrawn_on


def _raise_unconfirmed(client, text):
    resp = post_form(client, "/speakup/raise", {"text": text, "org": "none", "contact_mode": "anonymous"})
    assert resp.status_code == 303
    ref, key = keys_on_page(client.get("/speakup/raised").get_data(as_text=True))
    return ref, key


def test_continuing_without_ticking_shows_the_key_again_with_the_error(client, forbid_in_logs):
    text = "Unticked confirmation case uc01"
    forbid_in_logs(text)
    ref, key = _raise_unconfirmed(client, text)
    forbid_in_logs(ref, key)
    for _ in range(2):   # as often as it takes, until the box is ticked
        resp = post_form(client, "/speakup/raised", {})
        assert resp.status_code == 400
        again = _text(resp)
        assert "There is a problem" in again
        assert "Tick the box to confirm you have saved your reference and access key" in again
        assert key in again and ref in again
    # A reload before ticking still shows it (the person has not said they saved it).
    assert key in _text(client.get("/speakup/raised"))
    resp = post_form(client, "/speakup/raised", {"saved": "y"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/speakup/next")
    # Never after the box was ticked.
    after = _text(client.get("/speakup/raised"))
    assert "already been shown" in after and key not in after
    late = post_form(client, "/speakup/raised", {})
    assert late.status_code == 400 and key not in _text(late)


def test_the_key_is_not_kept_past_its_short_window(app, client, forbid_in_logs, monkeypatch):
    from survey.speakup import raise_views
    text = "Unticked and walked away uc02"
    forbid_in_logs(text)
    ref, key = _raise_unconfirmed(client, text)
    forbid_in_logs(ref, key)
    cookie = client.get_cookie("session").value
    later = raise_views._now() + app.config["SPEAKUP_KEY_SHOWN_SECONDS"] + 1
    monkeypatch.setattr(raise_views, "_now", lambda: later)
    resp = post_form(client, "/speakup/raised", {})
    assert resp.status_code == 400
    page = _text(resp)
    assert "already been shown" in page and key not in page and ref in page
    # A copy of the session cookie taken while the key was on screen no longer shows it either.
    other = app.test_client()
    other.set_cookie("session", cookie)
    assert key not in _text(other.get("/speakup/raised"))


def test_an_unknown_case_number_is_a_clear_404(app, db, make_staff):
    from tests.support.speakup import sign_in_to
    desk = app.test_client()
    sign_in_to(desk, db, make_staff("guardian"))
    resp = desk.get("/guardian/cases/999999")
    assert resp.status_code == 404 and "Page not found" in _text(resp)


def test_an_empty_or_unknown_element_is_a_clear_message_not_a_500(client, db):
    """Found by the fuzz test in tests/app/test_bad_input.py: elements=[""] passed the form and
    then failed in raise_concern with a 500."""
    ok = post_form(client, "/speakup/raise", {"text": "Empty element ee01", "elements": ["", "patient_safety"],
                                              "org": "none", "contact_mode": "anonymous"})
    assert ok.status_code == 303
    assert db.scalar(select(Concern)).elements() == ["patient_safety"]
    bad = post_form(client, "/speakup/raise", {"text": "Unknown element ee02", "elements": ["bogus"],
                                               "org": "none", "contact_mode": "anonymous"})
    assert bad.status_code == 200 and "Choose from the list of what the concern involves" in _text(bad)
