"""The whole answering journey through the test client, with real CSRF tokens."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from survey.extensions import hash_token, keyring
from survey.models import Comment, Draft, Invitation, Response, WaveMode
from tests.conftest import post_form
from tests.respond_support import make_open_link, make_token, make_wave, fresh_client

COMMENT = "The rota on Tuesdays is unsafe; Dr Quimby-Okonkwo knows why."


@pytest.fixture
def client(app):
    return fresh_client(app)


def page(client, n, data, change=False):
    url = f"/respond/page/{n}" + ("?change=1" if change else "")
    return post_form(client, url, data)


def start(client, token):
    resp = client.get(f"/respond/t/{token}")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/respond/")
    assert token not in resp.headers["Location"]
    return resp


@pytest.fixture
def wave(db):
    return make_wave(db)


def test_whole_journey(client, db, wave, forbid_in_logs):
    w, org = wave
    token = make_token(db, w, org)
    forbid_in_logs(token, hash_token(token), COMMENT, "Quimby")
    start(client, token)

    privacy = client.get("/respond/").get_data(as_text=True)
    assert "at least 11 people" in privacy
    assert "never shown broken down by ethnicity" in privacy
    assert "IP address" in privacy
    assert 'href="/respond/page/1"' in privacy

    first = client.get("/respond/page/1").get_data(as_text=True)
    assert 'name="q11d"' in first and "Section 1 of 4" in first
    resp = page(client, 1, {"q11d": "1"})
    assert resp.headers["Location"].endswith("/respond/page/2")
    second = client.get("/respond/page/2").get_data(as_text=True)
    assert 'name="q11e"' in second                      # routed in: q11d = Yes
    assert page(client, 2, {"q11e": "1", "q25e": "4"}).headers["Location"].endswith("/respond/page/3")

    # Back keeps the answers: page 1 and 2 show what was saved.
    assert 'value="1" checked' in client.get("/respond/page/1").get_data(as_text=True)
    assert 'value="4" checked' in client.get("/respond/page/2").get_data(as_text=True)

    # Required and not-allowed answers: error summary and inline errors, input kept.
    resp = page(client, 3, {"q16b": "1"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "There is a problem" in html and 'href="#q14a"' in html
    assert 'id="q14a-error"' in html and "Error: </span>Select an answer<" in html
    assert 'name="q16b" type="radio" value="1" checked' in html
    html = page(client, 3, {"q14a": "7", "q16b": "1"}).get_data(as_text=True)
    assert "Select one of the options shown" in html

    assert page(client, 3, {"q14a": "3", "q16b": "1"}).headers["Location"].endswith("/respond/page/4")
    assert page(client, 4, {"q16c": ["5", "1"]}).headers["Location"].endswith("/respond/page/5")
    assert page(client, 5, {"comment": COMMENT}).headers["Location"].endswith("/respond/page/6")
    assert page(client, 6, {"ethnicity": "9", "disability": "3", "team": "b"}).headers["Location"].endswith("/respond/check")

    check = client.get("/respond/check").get_data(as_text=True)
    for text in ("Check your answers", "Asian: Indian", "Prefer not to say", "Front desk" if False else "Clinical",
                 "Ethnic background", "Disability", "Dr Quimby-Okonkwo", 'href="/respond/page/1?change=1#q11d"'):
        assert text in check, text
    assert "Not answered" not in check

    draft_key = hash_token(token)
    assert db.get(Draft, draft_key) is not None
    resp = post_form(client, "/respond/submit", {}, get_url="/respond/check")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/respond/done")
    done = client.get("/respond/done").get_data(as_text=True)
    assert "Answers submitted" in done

    db.rollback()   # end the test session's read snapshot
    assert db.get(Draft, draft_key) is None
    assert db.get(Invitation, draft_key).is_used
    row = db.scalars(select(Response).where(Response.wave_id == w.id)).one()
    assert (row.q11d, row.q11e, row.q25e, row.q14a, row.q16b, row.q16c) == (1, 1, 4, 3, 1, "1;5")
    assert (row.ethnicity, row.disability) == ("09", "3")
    assert json.loads(row.extra_json) == {"team": "b"}
    comment = db.scalars(select(Comment).where(Comment.wave_id == w.id)).one()
    assert COMMENT.encode() not in bytes(comment.body)
    assert keyring().decrypt(comment.body) == COMMENT and comment.question_id == "comment"

    # The link is used up; the journey is over.
    assert client.get(f"/respond/t/{token}").status_code == 410
    assert client.get("/respond/page/1").status_code == 400


def test_routing_hides_q11e_and_drops_its_answer(client, db, wave, forbid_in_logs):
    w, org = wave
    token = make_token(db, w, org)
    forbid_in_logs(token, hash_token(token))
    start(client, token)
    page(client, 1, {"q11d": "1"})
    page(client, 2, {"q11e": "1", "q25e": "2"})
    # Change q11d to No: q11e is hidden and its answer dropped.
    assert page(client, 1, {"q11d": "2"}).headers["Location"].endswith("/respond/page/2")
    second = client.get("/respond/page/2").get_data(as_text=True)
    assert 'name="q11e"' not in second and 'name="q25e"' in second
    # Posting q11e anyway is ignored.
    page(client, 2, {"q11e": "1", "q25e": "2"})
    page(client, 3, {"q14a": "1", "q16b": "2"})
    # q16c (routed on q16b = 1) is skipped: page 3 leads straight to page 5.
    assert client.get("/respond/page/4").headers["Location"].endswith("/respond/page/5")
    check = client.get("/respond/check").get_data(as_text=True)
    assert "pressure from your manager" not in check and "On what grounds" not in check
    assert "Not answered" in check                     # the comment and about-you items
    post_form(client, "/respond/submit", {}, get_url="/respond/check")
    db.rollback()
    row = db.scalars(select(Response).where(Response.wave_id == w.id)).one()
    assert row.q11d == 2 and row.q11e is None and row.q16c is None and row.q14a == 1
    assert row.ethnicity is None and row.extra_json is None
    assert db.scalars(select(Comment)).all() == []


def test_change_link_asks_newly_shown_question_then_returns_to_check(client, db, wave, forbid_in_logs):
    w, org = wave
    token = make_token(db, w, org)
    forbid_in_logs(token)
    start(client, token)
    page(client, 1, {"q11d": "2"})
    page(client, 3, {"q14a": "2", "q16b": "2"})
    resp = page(client, 3, {"q14a": "2", "q16b": "1"}, change=True)
    assert resp.headers["Location"].endswith("/respond/page/4?change=1")
    html = client.get("/respond/page/4?change=1").get_data(as_text=True)
    assert 'href="/respond/check"' in html              # Back goes to the check page
    assert page(client, 4, {"q16c": "2"}, change=True).headers["Location"].endswith("/respond/check")
    assert page(client, 1, {"q11d": "2"}, change=True).headers["Location"].endswith("/respond/check")


def test_free_text_too_long_is_an_error_and_kept(client, db, wave, forbid_in_logs):
    w, org = wave
    token = make_token(db, w, org)
    long_text = "x" * 501
    forbid_in_logs(token, long_text)
    start(client, token)
    resp = page(client, 5, {"comment": long_text})
    html = resp.get_data(as_text=True)
    assert "500 characters or fewer" in html and long_text in html


def test_csrf_is_on(client, db, wave, forbid_in_logs):
    w, org = wave
    token = make_token(db, w, org)
    forbid_in_logs(token)
    start(client, token)
    assert client.post("/respond/page/1", data={"q11d": "1"}).status_code == 400
    assert client.post("/respond/submit", data={}).status_code == 400
    db.rollback()
    assert db.scalars(select(Draft)).all() == []


def test_open_link_journey_and_browser_marker(client, db, forbid_in_logs):
    w, org = make_wave(db, mode=WaveMode.open_link)
    slug = make_open_link(db, w, org)
    forbid_in_logs(COMMENT)
    resp = client.get(f"/respond/o/{slug}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/respond/")
    assert "this browser" in client.get("/respond/").get_data(as_text=True)
    page(client, 1, {"q11d": "2"})
    page(client, 3, {"q14a": "1"})
    page(client, 5, {"comment": COMMENT})
    resp = post_form(client, "/respond/submit", {}, get_url="/respond/check")
    assert resp.headers["Location"].endswith("/respond/done")
    assert "sv_answered" in resp.headers.get("Set-Cookie", "")
    db.rollback()
    assert db.scalars(select(Draft)).all() == []
    assert len(db.scalars(select(Response).where(Response.wave_id == w.id)).all()) == 1

    again = client.get(f"/respond/o/{slug}")
    assert again.status_code == 200
    assert "already been used to answer this survey" in again.get_data(as_text=True)
    # A different person on the same device can still answer, with a fresh draft.
    resp = post_form(client, f"/respond/o/{slug}", {})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/respond/")
    assert "Start now" in client.get("/respond/").get_data(as_text=True)
    page(client, 1, {"q11d": "1"})
    # q14a needs an answer: submitting without it leads back to its page.
    resp = post_form(client, "/respond/submit", {}, get_url="/respond/check")
    assert resp.headers["Location"].endswith("/respond/page/3?change=1")
    assert "Answer this question before you submit" in client.get("/respond/page/3?change=1").get_data(as_text=True)
    page(client, 3, {"q14a": "2"}, change=True)
    post_form(client, "/respond/submit", {}, get_url="/respond/check")
    db.rollback()
    assert len(db.scalars(select(Response).where(Response.wave_id == w.id)).all()) == 2


def test_continue_later_with_the_same_link(app, db, wave, forbid_in_logs):
    w, org = wave
    token = make_token(db, w, org)
    forbid_in_logs(token)
    phone = fresh_client(app)
    start(phone, token)
    page(phone, 1, {"q11d": "1"})
    later = fresh_client(app)                 # a new browser session, same link
    start(later, token)
    assert "Continue where you left off" in later.get("/respond/").get_data(as_text=True)
    assert 'value="1" checked' in later.get("/respond/page/1").get_data(as_text=True)


def _resume_href(client) -> str:
    import re
    body = client.get("/respond/").get_data(as_text=True)
    assert "Continue where you left off" in body
    return re.search(r'<a class="nhsuk-button"[^>]*href="([^"]+)"', body).group(1)


def test_continue_where_you_left_off_goes_to_the_page_reached(app, db, wave, forbid_in_logs):
    """Issue 21 item 5: it used to go back to page 1."""
    w, org = wave
    token = make_token(db, w, org)
    forbid_in_logs(token)
    phone = fresh_client(app)
    start(phone, token)
    page(phone, 1, {"q11d": "2"})            # q11e is skipped; page 2 still asks q25e
    page(phone, 2, {"q25e": "4"})
    page(phone, 3, {"q14a": "1", "q16b": "2"})   # page 4 (grounds) is skipped
    later = fresh_client(app)                 # a new browser session, same link
    start(later, token)
    assert _resume_href(later).endswith("/respond/page/5")
    page(later, 5, {"comment": ""})           # a page left blank still counts as reached
    again = fresh_client(app)
    start(again, token)
    assert _resume_href(again).endswith("/respond/page/6")
    page(again, 6, {})
    last = fresh_client(app)
    start(last, token)
    assert _resume_href(last).endswith("/respond/check")
    # A change that opens a skipped question sends the person there first, and resuming does too.
    page(last, 3, {"q14a": "1", "q16b": "1"}, change=True)
    resumed = fresh_client(app)
    start(resumed, token)
    assert _resume_href(resumed).endswith("/respond/page/4")


def test_the_thank_you_page_signposts_support(app, client):
    """Issue 21 item 10: after questions on violence and harassment, where to get help."""
    import html as html_
    app.config["SUPPORT_CONTACTS"] = [["Occupational health", "Call Elm OH on 01234 567890"],
                                      ["Employee assistance programme", "Vivup, 0800 000 0000, any time"]]
    done = html_.unescape(client.get("/respond/done").get_data(as_text=True))
    assert "If you need support" in done
    assert 'href="/speakup/"' in done and "Freedom to Speak Up guardian" in done
    assert "Call Elm OH on 01234 567890" in done and "Vivup, 0800 000 0000, any time" in done
    assert "call 999" in done


def test_the_progress_caption_never_jumps(client, db, wave, forbid_in_logs):
    """Issue 21 item 6: "Page 3 of 10" became "Page 7 of 11" as routing opened pages.
    Sections are counted instead: the total stays, and the number never goes backwards."""
    import re
    w, org = wave
    token = make_token(db, w, org)
    forbid_in_logs(token)
    start(client, token)

    def caption(n):
        body = client.get(f"/respond/page/{n}").get_data(as_text=True)
        return tuple(map(int, re.search(r"Section (\d+) of (\d+)", body).groups()))

    seen = [caption(1)]
    page(client, 1, {"q11d": "1"})            # opens q11e
    seen += [caption(2)]
    page(client, 2, {"q11e": "2"})
    seen += [caption(3)]
    page(client, 3, {"q14a": "1", "q16b": "1"})   # opens the grounds page
    seen += [caption(4), caption(5), caption(6)]
    assert {t for _, t in seen} == {4}, seen
    assert [p for p, _ in seen] == [1, 1, 2, 2, 3, 4], seen
