"""Helpers shared by the speak-up and guardian tests."""
from __future__ import annotations

import re

import pytest
from flask import g

from tests.conftest import csrf_from, post_form

# A reference or key on a page: groups of four in their own spans (survey/filters.py::key_groups).
KEY_RE = re.compile(r'<span class="app-key">((?:<span class="app-key__group">[0-9A-Z]+</span>(?:-<wbr>)?)+)</span>')


def keys_on_page(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m) for m in KEY_RE.findall(html)]


def joined_keys(html: str) -> str:
    """The page with each reference and key as one string again, so that `key in page`
    and `key not in page` mean what they say."""
    return re.sub(r'<span class="app-key__group">([0-9A-Z]+)</span>(-<wbr>)?',
                  lambda m: m.group(1) + ("-" if m.group(2) else ""), html)


def raise_concern(client, text: str, elements=("patient_safety",), mode: str = "anonymous", contact: str = "",
                  org: str = "none", honeypot: str = "", notify_address: str = "") -> tuple[str, str]:
    """Raise a concern through the form and read the reference and key from the page shown once."""
    resp = post_form(client, "/speakup/raise", {"text": text, "elements": list(elements), "org": org,
                                                "contact_mode": mode, "contact": contact, "website": honeypot,
                                                "notify_address": notify_address})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    assert resp.headers["Location"].endswith("/speakup/raised")
    page = client.get("/speakup/raised").get_data(as_text=True)
    found = keys_on_page(page)
    assert len(found) == 2, page[:2000]
    reference, key = found
    saved = post_form(client, "/speakup/raised", {"saved": "y"}, get_url="/speakup/raised")
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/speakup/next")
    return reference, key


def open_case(client, reference: str, key: str, **kwargs):
    return post_form(client, "/speakup/followup", {"reference": reference, "key": key}, **kwargs)


def post_on_page(client, page_url: str, action_url: str, data: dict):
    """POST to `action_url` with the CSRF token of `page_url`."""
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    payload = dict(data)
    payload["csrf_token"] = csrf_from(page.get_data(as_text=True))
    return client.post(action_url, data=payload)


@pytest.fixture(autouse=True)
def csrf_token_per_request(app):
    """The `app` fixture keeps one app context open for the whole test, so `g` outlives
    requests and Flask-WTF's per-request cache of the CSRF token (g.csrf_token) would be
    handed to a second test client. Drop it at the end of each request."""
    def _drop(_exc=None):
        g.pop("csrf_token", None)
    app.teardown_request(_drop)
    yield


def sign_in_to(client, db, user, next_url: str = "/"):
    """Sign in through the form with a fresh code, landing on `next_url` (so the test does
    not depend on another blueprint's start page existing)."""
    import pyotp
    from survey.models import StaffUser
    from tests.conftest import TEST_PASSWORD
    db.get(StaffUser, user.id).totp_last_step = 0
    db.commit()
    code = pyotp.TOTP(user.totp_plain).now()
    resp = post_form(client, "/auth/sign-in?next=" + next_url,
                     {"email": user.email, "password": TEST_PASSWORD, "code": code}, get_url="/auth/sign-in")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return resp
