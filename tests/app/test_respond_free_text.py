"""The comment box of every shipped survey, as people see it (issue 21, items 8 and 9)."""
from __future__ import annotations

import html
import re

import pytest

from survey.answers import pages
from survey.definitions import find_survey
from tests.conftest import post_form
from tests.respond_support import fresh_client, make_token, make_wave

SHIPPED = ["staff-experience", "bullying-harassment", "racial-discrimination", "equal-opportunities"]


def _comment_page(app, db, survey_id):
    defn = find_survey(None, survey_id)
    wave, org = make_wave(db, defn)
    client = fresh_client(app)
    assert client.get(f"/respond/t/{make_token(db, wave, org)}").status_code == 302
    number, q = next((n, q) for n, p in enumerate(pages(defn), start=1) for q in p.questions if q.type.value == "free_text")
    return client, number, q


@pytest.mark.parametrize("survey_id", SHIPPED)
def test_the_comment_hint_says_each_thing_once(app, db, survey_id):
    client, number, q = _comment_page(app, db, survey_id)
    body = html.unescape(client.get(f"/respond/page/{number}").get_data(as_text=True))
    hint = re.sub(r"\s+", " ", re.search(rf'<div class="nhsuk-hint" id="{q.id}-hint">(.*?)</div>', body, re.S).group(1)).strip()
    assert hint.lower().count("identify") == 1, hint
    assert hint.lower().count("stored") == 1, hint
    sentences = [s.strip() for s in re.split(r"(?<=\.) ", hint) if s.strip()]
    assert len(sentences) == len(set(sentences)), hint


@pytest.mark.parametrize("survey_id", SHIPPED)
def test_the_comment_box_never_cuts_text_and_the_server_says_how_much_is_over(app, db, survey_id, forbid_in_logs):
    client, number, q = _comment_page(app, db, survey_id)
    body = client.get(f"/respond/page/{number}").get_data(as_text=True)
    box = re.search(rf'<textarea[^>]*id="{q.id}"[^>]*>', body).group(0)
    assert "maxlength" not in box and "nhsuk-js-character-count" in box
    assert f'data-module="nhsuk-character-count" data-maxlength="{q.max_length}"' in body
    assert f"You can enter up to {q.max_length:,} characters" in body
    too_long = "w" * (q.max_length + 1)
    forbid_in_logs(too_long)
    resp = post_form(client, f"/respond/page/{number}", {q.id: too_long})
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200 and "There is a problem" in page
    assert f"must be {q.max_length:,} characters or fewer; it is 1 character too long" in page
    assert too_long in page                                   # nothing typed is lost
    # A browser sends line ends as CRLF; each counts once, as on the page.
    lines = "\r\n".join(["v" * 9] * (q.max_length // 10))     # max_length - 1 counted that way, 10% more if CRLF were two
    forbid_in_logs(lines, lines.replace("\r\n", "\n"))
    resp = post_form(client, f"/respond/page/{number}", {q.id: lines})
    assert resp.status_code == 302, html.unescape(resp.get_data(as_text=True))[:500]


@pytest.mark.parametrize("survey_id", [s for s in SHIPPED if find_survey(None, s).question("sex")])
def test_prefer_to_self_describe_needs_nothing_more_and_says_why(app, db, survey_id):
    """Issue 21 item 7: the option had nowhere to describe. No box is added (words of one's
    own next to the other answers about you could identify you); the page says so."""
    defn = find_survey(None, survey_id)
    wave, org = make_wave(db, defn)
    client = fresh_client(app)
    assert client.get(f"/respond/t/{make_token(db, wave, org)}").status_code == 302
    number = next(n for n, p in enumerate(pages(defn), start=1) if any(q.id == "sex" for q in p.questions))
    body = html.unescape(client.get(f"/respond/page/{number}").get_data(as_text=True))
    assert "Prefer to self-describe" in body
    assert 'If you choose "Prefer to self-describe", you do not need to say anything more' in body
    assert "words of your own could show who you are" in body
    assert not any(q.type.value == "free_text" for p in pages(defn) if any(x.id == "sex" for x in p.questions)
                   for q in p.questions)
