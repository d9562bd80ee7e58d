"""Whole journeys in Chromium at 375 x 667 with JavaScript on, axe-core and the phone-width
check on every page visited: a survey from its token link to the thank-you page; a concern
raised, its key saved, followed up; the guardian signing in (password and TOTP), triaging
and replying, and the reply read by the person who spoke up; the EDI lead preparing the
results of a closed wave and downloading the CSV and the workbook."""
from __future__ import annotations

import csv
import io

import openpyxl
from sqlalchemy import func, select

from survey.models import Comment, Concern, ConcernStatus, Response
from tests.browser.journeys import answer_survey, check, follow_up, raise_concern, sign_in
from tests.respond_support import make_token, make_wave

COMMENT = "The new rota works well for part-time staff."
CONCERN = "Patient records were left on the reception desk overnight."


def test_answer_a_survey_from_a_token_link(live_server, phone, db, forbid_in_logs):
    wave, org = make_wave(db)
    token = make_token(db, wave, org)
    forbid_in_logs(token, COMMENT)
    answer_survey(phone, live_server, token, COMMENT)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Response).where(Response.wave_id == wave.id)) == 1
    assert db.scalar(select(func.count()).select_from(Comment).where(Comment.wave_id == wave.id)) == 1
    # the link now says it has been used
    phone.goto(f"{live_server}/respond/t/{token}")
    assert "already been used" in phone.inner_text("main")
    check(phone)


def test_raise_follow_up_and_the_guardian_replies(live_server, browser, phone, db, make_staff, forbid_in_logs):
    forbid_in_logs(CONCERN)
    reference, key = raise_concern(phone, live_server, CONCERN)
    forbid_in_logs(key)
    page = follow_up(phone, live_server, reference, key, message="It happened again on Friday.")
    assert CONCERN in page

    # the guardian, on their own phone
    from tests.browser.conftest import PHONE
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    g = ctx.new_page()
    guardian = make_staff("guardian")
    sign_in(g, live_server, guardian, db)
    assert g.url.endswith("/guardian/"), g.url
    g.get_by_role("link", name=reference).click()
    check(g)
    assert CONCERN in g.inner_text("main") and "It happened again on Friday." in g.inner_text("main")
    g.get_by_role("button", name="Acknowledge this case").click()          # its own button (issue 21 item 16)
    check(g)
    assert "The case is acknowledged." in g.inner_text("main")
    g.get_by_label("Reply to the person who spoke up").fill("Thank you. I will look into it this week.")
    g.get_by_role("button", name="Send reply").click()
    check(g)
    g.get_by_label("Add an internal note").fill("Spoke to the practice manager.")
    g.get_by_role("button", name="Add note").click()
    check(g)
    case_url = g.url
    g.get_by_role("link", name="See this case's audit trail").click()
    check(g)
    assert "Status changed from New to Acknowledged" in g.inner_text("main")
    g.goto(case_url)
    g.get_by_label("Resolved", exact=True).check()
    g.get_by_role("button", name="Close the case").click()                  # asks first
    check(g)
    assert "Close case" in g.inner_text("h1")
    g.get_by_role("button", name="Yes, close the case").click()
    check(g)
    g.goto(f"{live_server}/guardian/?status=closed")
    check(g)
    ctx.close()
    db.rollback()
    concern = db.scalars(select(Concern)).one()
    assert concern.status is not ConcernStatus.new

    # the person reads the reply
    page = follow_up(phone, live_server, reference, key)
    assert "I will look into it this week." in page
    assert "Spoke to the practice manager." not in page        # internal notes stay internal


def test_edi_lead_prepares_results_and_downloads_them(live_server, phone, db, make_staff, app):
    live_app = app
    from tests.releases_helpers import add_random_responses, make_orgs
    from tests.releases_helpers import make_wave as make_closed_wave
    orgs = make_orgs(db, {"ICSB": {"PCNA": ["A1", "A2"], "PCNB": ["B1"]}})
    practices = [orgs[c] for c in ("A1", "A2", "B1")]
    wave = make_closed_wave(db, "Browser 2024", orgs.values(), invited={"A1": 40, "A2": 30, "B1": 50})
    add_random_responses(db, wave, practices, [30, 22, 40], seed=3)
    db.commit()
    edi = make_staff("edi_lead")
    sign_in(phone, live_server, edi, db)
    phone.goto(f"{live_server}/reports/")
    check(phone)
    phone.get_by_role("link", name="Browser 2024").first.click()
    check(phone)
    phone.get_by_role("button", name="Prepare the results").click()
    phone.wait_for_load_state("load")
    assert phone.get_by_text("The results are being prepared").count() == 1
    # The page refreshes itself while the build waits or runs. axe's meta-refresh rule
    # flags any timed refresh, and nothing else is flagged here; the "Stop updating this
    # page" link is the control WCAG 2.2.1 asks for, and the page without the refresh must
    # pass everything.
    from tests.browser.conftest import _axe
    assert [v["id"] for v in _axe(phone)] == ["meta-refresh"]
    phone.get_by_role("link", name="Stop updating this page").click()
    check(phone)
    from survey.jobs import build_now
    assert build_now(live_app, wave.id).state == "done"           # what the worker does
    phone.get_by_role("link", name="Check again and keep this page up to date").click()
    check(phone)
    with phone.expect_download() as got:
        phone.get_by_role("link", name="Every result as a table (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(open(got.value.path(), encoding="utf-8-sig").read())))
    assert rows and got.value.suggested_filename.endswith("indicators.csv")
    with phone.expect_download() as got:
        phone.get_by_role("link", name="Every result as a workbook (Excel)").click()
    book = openpyxl.load_workbook(io.BytesIO(open(got.value.path(), "rb").read()), read_only=True)
    assert book.sheetnames and got.value.suggested_filename.endswith("indicators.xlsx")
    # and the pages of results themselves
    for link in ("Response rates", "Comments"):
        phone.goto(f"{live_server}/reports/waves/{wave.id}")
        found = phone.get_by_role("link", name=link)
        if found.count():
            found.first.click()
            check(phone)
    phone.goto(f"{live_server}/reports/waves/{wave.id}/indicator")
    check(phone)
