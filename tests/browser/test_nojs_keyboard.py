"""The survey and speak-up journeys with JavaScript switched off, and by keyboard alone
(Tab to move, Space to tick, Enter to send; typing into text fields), at 375 x 667 with
axe-core and the phone-width check on every page."""
from __future__ import annotations

from sqlalchemy import func, select

from survey.models import Comment, Concern, ConcernMessage, Response
from tests.browser.journeys import (answer_survey, answer_survey_by_keyboard, follow_up, follow_up_by_keyboard,
                                    raise_concern, raise_concern_by_keyboard)
from tests.respond_support import make_token, make_wave

COMMENT = "Handover notes are sometimes missing."
CONCERN = "A locum was asked to work a double shift without a break."


def _stored(db, wave) -> tuple[int, int]:
    db.rollback()
    return (db.scalar(select(func.count()).select_from(Response).where(Response.wave_id == wave.id)),
            db.scalar(select(func.count()).select_from(Comment).where(Comment.wave_id == wave.id)))


def test_survey_without_javascript(live_server, phone_nojs, db):
    wave, org = make_wave(db)
    answer_survey(phone_nojs, live_server, make_token(db, wave, org), COMMENT)
    assert _stored(db, wave) == (1, 1)


def test_survey_errors_without_javascript(live_server, phone_nojs, db):
    """The required question left out: the error summary says so, without JavaScript."""
    wave, org = make_wave(db)
    token = make_token(db, wave, org)
    page = phone_nojs
    page.goto(f"{live_server}/respond/t/{token}")
    page.goto(f"{live_server}/respond/page/3")
    page.get_by_role("button", name="Continue").click()
    assert page.locator(".nhsuk-error-summary").is_visible()
    from tests.browser.journeys import check
    check(page)


def test_survey_by_keyboard_alone(live_server, phone, db):
    wave, org = make_wave(db)
    answer_survey_by_keyboard(phone, live_server, make_token(db, wave, org), COMMENT)
    assert _stored(db, wave) == (1, 1)
    assert db.scalars(select(Response).where(Response.wave_id == wave.id)).one().q14a == 1


def test_speak_up_without_javascript(live_server, phone_nojs, db):
    reference, key = raise_concern(phone_nojs, live_server, CONCERN)
    text = follow_up(phone_nojs, live_server, reference, key, message="The rota shows it happening again.")
    assert CONCERN in text
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Concern)) == 1
    assert db.scalar(select(func.count()).select_from(ConcernMessage)) == 1


def test_speak_up_by_keyboard_alone(live_server, phone, db):
    reference, key = raise_concern_by_keyboard(phone, live_server, CONCERN)
    text = follow_up_by_keyboard(phone, live_server, reference, key, "Added by keyboard.")
    assert CONCERN in text and "Added by keyboard." in text
