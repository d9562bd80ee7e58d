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
