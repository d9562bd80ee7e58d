"""The public start page and staff sign-in in a real browser at phone size."""
from tests.browser.conftest import assert_accessible, assert_fits_phone


def test_start_page_and_sign_in_are_accessible_on_a_phone(live_server, phone):
    phone.goto(live_server + "/")
    assert phone.locator("h1").first.inner_text()
    assert_fits_phone(phone)
    assert_accessible(phone)
    phone.goto(live_server + "/auth/sign-in")
    assert_accessible(phone)
    assert_fits_phone(phone)


def test_strict_csp_leaves_no_console_errors_from_our_code(live_server, phone):
    errors = []
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone.goto(live_server + "/auth/sign-in")
    phone.wait_for_load_state("networkidle")
    ours = [e for e in errors if "Content Security Policy" in e]
    assert not ours, ours


def test_sign_in_form_errors_show_in_the_summary_without_javascript(live_server, phone_nojs):
    phone_nojs.goto(live_server + "/auth/sign-in")
    phone_nojs.click("button:has-text('Sign in')")
    assert phone_nojs.locator(".nhsuk-error-summary").is_visible()
    assert "Enter your email address" in phone_nojs.inner_text(".nhsuk-error-summary")
    assert_accessible(phone_nojs)
