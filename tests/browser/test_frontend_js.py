"""NHS.UK frontend's JavaScript really starts (issue 21, item 2), and public pages reach no
other host: the conditional contact box stays hidden until "Confidential" is chosen, focus
moves to the error summary, and every request (fonts included) goes to the app itself."""
from __future__ import annotations

from urllib.parse import urlsplit

from tests.respond_support import make_token, make_wave

PUBLIC = ["/", "/accessibility", "/speakup/", "/speakup/raise", "/speakup/followup", "/speakup/next", "/auth/sign-in"]


def _record(page) -> tuple[list[str], list[str]]:
    requests, console = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: requests.append(r.url))
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    return requests, console


def test_public_pages_request_nothing_from_another_host(live_server, phone, db):
    requests, console = _record(phone)
    wave, org = make_wave(db)
    pages = PUBLIC + [f"/respond/t/{make_token(db, wave, org)}"]
    for path in pages:
        phone.goto(live_server + path)
        phone.wait_for_load_state("networkidle")
        # Text is laid out with the fonts the page asked for: every @font-face has loaded or failed.
        phone.evaluate("document.fonts.ready.then(() => true)")
    ours = urlsplit(live_server).netloc
    elsewhere = sorted({u for u in requests if urlsplit(u).scheme in ("http", "https") and urlsplit(u).netloc != ours})
    assert not elsewhere, elsewhere
    declared = phone.evaluate("[...document.fonts].map(f => f.family)")
    assert not declared, f"the CSS still declares web fonts: {declared}"
    blocked = [c for c in console if "Content Security Policy" in c]
    assert not blocked, blocked
    assert not [c for c in console if "nhsuk-frontend-supported" in c or "NHS.UK frontend" in c], console


def test_contact_box_is_hidden_until_confidential_is_chosen(live_server, phone):
    _requests, console = _record(phone)
    phone.goto(live_server + "/speakup/raise")
    phone.wait_for_load_state("networkidle")
    assert phone.evaluate("document.body.classList.contains('nhsuk-frontend-supported')"), console
    box = phone.locator("#conditional-contact")
    contact = phone.get_by_label("Your name and how to contact you")
    assert not box.is_visible() and not contact.is_visible()
    phone.get_by_label("Stay anonymous").check()
    assert not contact.is_visible()
    phone.get_by_label("Confidential: the guardian may contact me").check()
    assert contact.is_visible()
    # aria-expanded is not allowed on a radio (axe-core), so it is taken off again.
    assert phone.get_by_label("Confidential: the guardian may contact me").get_attribute("aria-expanded") is None
    phone.get_by_label("Stay anonymous").check()
    assert not contact.is_visible()


def test_focus_moves_to_the_error_summary(live_server, phone):
    phone.goto(live_server + "/speakup/raise")
    phone.get_by_role("button", name="Send to the guardian").click()
    phone.wait_for_load_state("load")
    summary = phone.locator(".nhsuk-error-summary")
    assert summary.is_visible()
    focused = ""
    for _ in range(50):          # the frontend moves the focus once it has started (page.evaluate is not bound by the CSP)
        focused = phone.evaluate("document.activeElement ? document.activeElement.className : ''")
        if "nhsuk-error-summary" in focused:
            break
        phone.wait_for_timeout(100)
    assert "nhsuk-error-summary" in focused, focused
    # A confidential choice sent without contact details keeps the box open after the reload.
    phone.get_by_label("Confidential: the guardian may contact me").check()
    phone.get_by_label("What happened?").fill("The sluice room door is propped open.")
    phone.get_by_role("button", name="Send to the guardian").click()
    phone.wait_for_load_state("load")
    assert phone.get_by_label("Your name and how to contact you").is_visible()


def test_the_comment_box_counts_characters_and_keeps_everything(live_server, phone, db):
    """Issue 21 item 8: the box used to cut text at its limit without a word."""
    from tests.browser.journeys import check
    wave, org = make_wave(db)
    token = make_token(db, wave, org)
    phone.goto(f"{live_server}/respond/t/{token}")
    phone.goto(f"{live_server}/respond/page/5")                 # the test survey's comment page (500 characters)
    box = phone.get_by_label("Is there anything else you would like to tell us?")
    box.fill("a" * 490)
    assert "You have 10 characters remaining" in phone.inner_text("main")
    box.fill("a" * 510)
    assert box.input_value() == "a" * 510                       # nothing cut
    assert "You have 10 characters too many" in phone.inner_text("main")
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_load_state("load")
    assert "it is 10 characters too long" in phone.inner_text(".nhsuk-error-summary")
    assert phone.get_by_label("Is there anything else you would like to tell us?").input_value() == "a" * 510
    check(phone)
