"""Steps shared by the browser journeys (no tests here).

`check(page)` runs after every page a journey visits: axe-core finds no WCAG 2.2 A/AA
violation, and nothing is wider than the phone. `tab_to` moves the focus with the Tab key
only, as a keyboard user does.
"""
from __future__ import annotations

import re

import pyotp

from tests.browser.conftest import assert_accessible, assert_fits_phone
from tests.conftest import TEST_PASSWORD

KEY_RE = re.compile(r"^[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}$")


class Visited:
    """Every page a journey checked, for the report of what was covered."""
    urls: list[str] = []


def check(page) -> None:
    page.wait_for_load_state("load")
    assert_fits_phone(page)
    assert_accessible(page)
    Visited.urls.append(page.url)


def tab_to(page, selector: str, text: str | None = None, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` (and holding `text`) has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("([s, t]) => { const a = document.activeElement;"
                         " return !!a && a.matches(s) && (!t || a.textContent.includes(t)); }", [selector, text]):
            return
    raise AssertionError(f"could not reach {selector} {text or ''} with Tab on {page.url}")


def submit_with_enter(page, button_text: str) -> None:
    tab_to(page, "button, a.nhsuk-button", button_text)
    with page.expect_navigation():
        page.keyboard.press("Enter")


# --- answering a survey ------------------------------------------------------------------------

def answer_survey(page, base: str, token: str, comment: str) -> None:
    """From the token link to the thank-you page, by pointer (JavaScript on or off)."""
    page.goto(f"{base}/respond/t/{token}")
    assert token not in page.url and page.url.endswith("/respond/")
    check(page)
    page.get_by_role("button", name=re.compile("Start now")).click()
    seen = 0
    while "/respond/page/" in page.url:
        check(page)
        heading = page.locator("h1").inner_text()
        if "Harassment" in heading:
            page.get_by_label("Never").first.check()
        if page.locator("textarea").count():
            page.locator("textarea").first.fill(comment)
        page.get_by_role("button", name="Continue").click()
        seen += 1
        assert seen < 10, "the survey did not end"
    assert page.url.endswith("/respond/check"), page.url
    check(page)
    assert comment in page.inner_text("main")
    page.get_by_role("button", name="Submit answers").click()
    assert page.url.endswith("/respond/done"), page.url
    check(page)


def answer_survey_by_keyboard(page, base: str, token: str, comment: str) -> None:
    page.goto(f"{base}/respond/t/{token}")
    check(page)
    submit_with_enter(page, "Start now")
    seen = 0
    while "/respond/page/" in page.url:
        check(page)
        if "Harassment" in page.locator("h1").inner_text():
            tab_to(page, "input[type=radio][name=q14a]")      # the first option of the required question
            page.keyboard.press("Space")
            assert page.locator("input[name=q14a]:checked").count() == 1
        if page.locator("textarea").count():
            tab_to(page, "textarea")
            page.keyboard.type(comment)
        submit_with_enter(page, "Continue")
        seen += 1
        assert seen < 10
    assert page.url.endswith("/respond/check")
    check(page)
    submit_with_enter(page, "Submit answers")
    assert page.url.endswith("/respond/done")
    check(page)


# --- speaking up -------------------------------------------------------------------------------

def raise_concern(page, base: str, text: str) -> tuple[str, str]:
    page.goto(f"{base}/speakup/")
    check(page)
    page.get_by_role("link", name=re.compile("Raise a concern")).first.click()
    assert page.url.endswith("/speakup/raise")
    check(page)
    page.get_by_label("What happened?").fill(text)
    page.get_by_label("Patient safety").check()
    page.get_by_label("Stay anonymous").check()
    page.get_by_role("button", name="Send to the guardian").click()
    assert page.url.endswith("/speakup/raised"), page.url
    check(page)
    reference, key = page.locator(".app-key").all_inner_texts()
    assert KEY_RE.match(key), key
    page.get_by_role("button", name="Continue").click()          # without the tick: told to tick it
    check(page)
    assert "Tick the box" in page.inner_text("main")
    assert page.locator(".app-key").all_inner_texts() == [reference, key]   # still there until ticked
    page.get_by_label(re.compile("I have saved my reference")).check()
    page.get_by_role("button", name="Continue").click()
    assert page.url.endswith("/speakup/next"), page.url
    check(page)
    return reference, key


def raise_concern_by_keyboard(page, base: str, text: str) -> tuple[str, str]:
    page.goto(f"{base}/speakup/raise")
    check(page)
    tab_to(page, "textarea[name=text]")
    page.keyboard.type(text)
    tab_to(page, "input[name=elements]")
    page.keyboard.press("Space")
    tab_to(page, "input[name=contact_mode][value=anonymous]")
    page.keyboard.press("Space")
    submit_with_enter(page, "Send to the guardian")
    assert page.url.endswith("/speakup/raised"), page.url
    check(page)
    reference, key = page.locator(".app-key").all_inner_texts()
    tab_to(page, "input[name=saved]")
    page.keyboard.press("Space")
    submit_with_enter(page, "Continue")
    assert page.url.endswith("/speakup/next")
    check(page)
    return reference, key


def follow_up(page, base: str, reference: str, key: str, message: str | None = None) -> str:
    page.goto(f"{base}/speakup/followup")
    check(page)
    page.get_by_label("Case reference").fill(reference)
    page.get_by_label("Access key").fill(key.lower().replace("-", " "))     # as people type it
    page.get_by_role("button", name="Open my case").click()
    assert page.url.endswith("/speakup/case"), page.url
    check(page)
    if message:
        page.get_by_label(re.compile("Reply to the guardian")).fill(message)
        page.get_by_role("button", name="Send", exact=True).click()
        assert page.url.endswith("/speakup/case")
        check(page)
        assert message in page.inner_text("main")
    return page.inner_text("main")


def follow_up_by_keyboard(page, base: str, reference: str, key: str, message: str) -> str:
    page.goto(f"{base}/speakup/followup")
    check(page)
    tab_to(page, "input[name=reference]")
    page.keyboard.type(reference)
    tab_to(page, "input[name=key]")
    page.keyboard.type(key)
    tab_to(page, "form[action$='/speakup/followup'] button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/speakup/case"), page.url
    check(page)
    tab_to(page, "textarea[name=body]")
    page.keyboard.type(message)
    tab_to(page, "form[action$='/case/message'] button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    check(page)
    return page.inner_text("main")


# --- staff -----------------------------------------------------------------------------------

def sign_in(page, base: str, user, db) -> None:
    from survey.models import StaffUser
    db.get(StaffUser, user.id).totp_last_step = 0
    db.commit()
    page.goto(f"{base}/auth/sign-in")
    check(page)
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_label(re.compile("code", re.I)).fill(pyotp.TOTP(user.totp_plain).now())
    page.get_by_role("button", name="Sign in").click()
    assert "/auth/sign-in" not in page.url, page.inner_text("main")[:500]
    check(page)
