"""Response headers and cookies on every page, and templates free of inline script/style.

- A content security policy that allows no inline script or style, frame-ancestors 'none'.
- Referrer-Policy: no-referrer everywhere (links carry tokens); Cache-Control: no-store on
  every survey and speak-up page, redirects and error pages included.
- The session cookie is HttpOnly and SameSite=Lax, and Secure when SESSION_COOKIE_SECURE
  is set (docs/deploy.md sets it); so is the open-link marker cookie.
- A token link is moved into the session (as its HMAC, never the token) and the browser is
  redirected to an address without it.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from survey import ROOT, create_app
from survey.concerns import ConcernInput, raise_concern
from survey.extensions import access_key_hasher, hash_token, keyring
from tests.conftest import post_form
from tests.respond_support import fresh_client, make_open_link, make_token, make_wave

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I)
STYLE_ATTR = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
STYLE_TAG = re.compile(r"<style\b", re.I)
HANDLER_ATTR = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def inline_problems(html: str) -> list[str]:
    found = []
    for name, pattern in (("inline <script>", INLINE_SCRIPT), ("style= attribute", STYLE_ATTR),
                          ("<style> element", STYLE_TAG), ("on*= event handler", HANDLER_ATTR),
                          ("javascript: URL", JS_URL)):
        for m in pattern.finditer(html):
            found.append(f"{name}: {m.group(0)[:80]!r}")
    return found


def test_templates_have_no_inline_script_style_or_handlers():
    problems = []
    templates = sorted((ROOT / "templates").rglob("*.html"))
    assert len(templates) > 20
    for path in templates:
        for p in inline_problems(path.read_text(encoding="utf-8")):
            problems.append(f"{path.relative_to(ROOT)}: {p}")
    assert not problems, "The CSP forbids inline script and style:\n" + "\n".join(problems)


def check_csp(csp: str) -> None:
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "unsafe-hashes" not in csp
    assert directives["script-src"] == "script-src 'self'"
    assert directives["style-src"] == "style-src 'self'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert directives["object-src"] == "object-src 'none'"
    assert directives["base-uri"] == "base-uri 'none'"
    assert directives["form-action"] == "form-action 'self'"
    assert directives["default-src"] == "default-src 'self'"


def check_headers(resp, url: str) -> None:
    h = resp.headers
    check_csp(h.get("Content-Security-Policy", ""))
    assert h.get("Referrer-Policy") == "no-referrer", url
    assert h.get("X-Frame-Options") == "DENY", url
    assert h.get("X-Content-Type-Options") == "nosniff", url


# --- pages of every audience -------------------------------------------------------------

@pytest.fixture
def seeded(app, db, make_staff, sign_in):
    wave, org = make_wave(db)
    case = raise_concern(db, keyring(), access_key_hasher(), ConcernInput(text="A header concern", elements=[], anonymous=True))
    db.commit()
    return {"wave": wave, "org": org, "case": case, "token": make_token(db, wave, org),
            "slug": make_open_link(db, wave, org)}


def _public_pages(app, seeded) -> list[tuple[str, object]]:
    """Every public GET page, in the state a visitor reaches it (journeys included)."""
    seen = []
    c = fresh_client(app)
    for url in ("/", "/accessibility", "/auth/sign-in", "/auth/setup/not-a-token", "/no/such/page",
                "/speakup/", "/speakup/raise", "/speakup/followup", "/speakup/next", "/speakup/raised",
                "/speakup/case", "/respond/", "/respond/check", "/respond/page/1", "/respond/done",
                "/respond/t/not-a-token", "/respond/o/not-a-slug"):
        seen.append((url, c.get(url)))
    # a survey journey from the token link
    c = fresh_client(app)
    seen.append(("/respond/t/<token>", c.get(f"/respond/t/{seeded['token']}")))
    for url in ("/respond/", "/respond/page/1", "/respond/page/3", "/respond/check"):
        seen.append((url, c.get(url)))
    seen.append(("POST /respond/page/3", post_form(c, "/respond/page/3", {"q14a": "1"})))
    seen.append(("POST /respond/submit", post_form(c, "/respond/submit", {}, get_url="/respond/check")))
    seen.append(("/respond/done", c.get("/respond/done")))
    # an open link, and speak-up's follow-up of a case
    c = fresh_client(app)
    seen.append(("/respond/o/<slug>", c.get(f"/respond/o/{seeded['slug']}")))
    c = fresh_client(app)
    case = seeded["case"]
    seen.append(("POST /speakup/followup", post_form(c, "/speakup/followup", {"reference": case.reference, "key": case.access_key})))
    seen.append(("/speakup/case", c.get("/speakup/case")))
    seen.append(("/speakup/case/withdraw", c.get("/speakup/case/withdraw")))
    return seen


def test_public_pages_headers_and_no_inline_code(app, seeded, forbid_in_logs):
    forbid_in_logs(seeded["token"], seeded["case"].access_key, "A header concern")
    for url, resp in _public_pages(app, seeded):
        assert resp.status_code < 500, url
        check_headers(resp, url)
        if resp.mimetype == "text/html":
            assert not inline_problems(resp.get_data(as_text=True)), (url, inline_problems(resp.get_data(as_text=True)))


def test_survey_and_speakup_answers_are_never_cached(app, seeded):
    pages = _public_pages(app, seeded)
    checked = 0
    for url, resp in pages:
        if "respond" in url or "speakup" in url:
            assert resp.headers.get("Cache-Control") == "no-store", (url, resp.status_code, resp.headers.get("Cache-Control"))
            assert resp.headers.get("Pragma") == "no-cache", url
            checked += 1
    assert checked >= 20


def test_staff_pages_headers(app, db, seeded, make_staff, sign_in):
    urls = {"guardian": ["/guardian/", f"/guardian/cases/{seeded['case'].concern.id}", "/guardian/return"],
            "admin": ["/admin/", "/admin/orgs", "/admin/waves", f"/admin/waves/{seeded['wave'].id}", "/admin/staff",
                      "/admin/surveys", "/admin/audit"]}
    for role, pages in urls.items():
        c = fresh_client(app)
        sign_in(c, make_staff(role))
        for url in pages:
            resp = c.get(url)
            assert resp.status_code == 200, url
            check_headers(resp, url)
            assert resp.headers["Cache-Control"] == "no-store", url
            assert not inline_problems(resp.get_data(as_text=True)), url


def test_static_files_may_be_cached_and_still_carry_the_policy(client):
    """Files hold nothing about anyone: a browser may keep them (revalidating by ETag)."""
    for url in ("/static/app.css", "/assets/images/favicon.svg"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        check_headers(resp, url)
        cache = resp.headers["Cache-Control"]
        assert "no-store" not in cache and ("max-age" in cache or resp.headers.get("ETag")), (url, cache)


# --- cookies -------------------------------------------------------------------------------

def _set_cookies(resp) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in resp.headers.getlist("Set-Cookie")}


def test_session_cookie_is_httponly_and_samesite_lax(app, seeded):
    resp = fresh_client(app).get(f"/respond/t/{seeded['token']}")
    cookie = _set_cookies(resp)["session"]
    attrs = {a.strip().lower() for a in cookie.split(";")[1:]}
    assert "httponly" in attrs and "samesite=lax" in attrs
    assert "secure" not in attrs      # plain http in development; deployment sets it


@pytest.fixture
def https_app(app, app_config):
    """The same database and secrets, configured as docs/deploy.md says (behind a TLS proxy)."""
    secure = create_app({**app_config, "SESSION_COOKIE_SECURE": True, "PROXY_COUNT": 1})
    secure.test_client_class = type(app.test_client())
    return secure


def test_behind_https_cookies_are_secure_and_hsts_is_sent(https_app, seeded):
    c = https_app.test_client()
    resp = c.get(f"/respond/t/{seeded['token']}", headers={"X-Forwarded-Proto": "https"})
    cookie = _set_cookies(resp)["session"]
    attrs = {a.strip().lower() for a in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax"} <= attrs
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert resp.headers["Location"] in ("/respond/", "https://localhost/respond/")
    # the open-link marker cookie follows the same rules
    c = https_app.test_client()
    c.get(f"/respond/o/{seeded['slug']}", headers={"X-Forwarded-Proto": "https"})
    post_form(c, "/respond/page/3", {"q14a": "1"})
    resp = post_form(c, "/respond/submit", {}, get_url="/respond/check")
    marker = _set_cookies(resp)["sv_answered"]
    attrs = {a.strip().lower() for a in marker.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax", "path=/respond"} <= attrs


def test_token_link_redirects_to_an_address_without_the_token(app, seeded, forbid_in_logs):
    token = seeded["token"]
    forbid_in_logs(token)
    c = fresh_client(app)
    resp = c.get(f"/respond/t/{token}")
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert token not in location and location.endswith("/respond/")
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["Cache-Control"] == "no-store"
    # the session keeps the token's HMAC, never the token itself
    session_cookie = c.get_cookie("session").value
    serializer = app.session_interface.get_signing_serializer(app)
    state = serializer.loads(session_cookie)
    assert token not in repr(state) and token not in session_cookie
    assert state["respond"]["key"] == hash_token(token)
    # the page it lands on carries on the journey and shows no token either
    page = c.get(location)
    assert page.status_code == 200 and token not in page.get_data(as_text=True)
    assert '<meta name="referrer" content="no-referrer">' in page.get_data(as_text=True)


def test_base_template_says_no_referrer():
    base = Path(ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    assert '<meta name="referrer" content="no-referrer">' in base
