"""Bad input on every public form and address: never a 5xx, always a page that says what
was wrong. Property tests (hypothesis) with moderate example counts; the same tests run
on PostgreSQL (which refuses NUL characters in text) when SURVEY_TEST_DATABASE_URL is set.

- respond: any fields and values posted to any page, then submitted;
- speakup: raise, follow-up (reference and key), a message on a case;
- auth: sign-in, set-up links; any text in link tokens, open-link slugs and query strings;
- bodies over MAX_CONTENT_LENGTH get 413 with a clear page; malformed UTF-8, NUL bytes and
  wrong content types are refused cleanly (CSRF/form errors, never a 500).
Uploads (organisation CSV, response CSV, survey YAML) are in test_bad_input_files.py.
"""
from __future__ import annotations

import json
import re
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from werkzeug.datastructures import MultiDict

from survey.concerns import ConcernInput, raise_concern
from survey.extensions import access_key_hasher, keyring
from tests.conftest import csrf_from
from tests.respond_support import fresh_client, make_token, make_wave

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

NASTY = ["\x00", "a\x00b", "\u202e\u0644", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "\ufeff", "\r\n\r\n",
         "😀" * 50, "x" * 5000, "../../etc/passwd", "{{ 7*7 }}", "\udcff".encode("utf-8", "surrogatepass").decode("latin-1")]
text = st.one_of(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200), st.sampled_from(NASTY))
codes = st.one_of(st.sampled_from(["1", "2", "3", "5", "01", "19", "99", "-1", "", " ", "1;2", "0x1"]), text)
MESSAGES = ("There is a problem", "<h1")
NUL_REFUSED = "<h1>What you sent contains a character that cannot be used</h1>"
REFUSED_FORM = ("<h1>This form has expired</h1>", "There is a problem", NUL_REFUSED)


def has_nul(*values) -> bool:
    flat = []
    for v in values:
        if isinstance(v, dict):
            flat += list(v) + [x for vs in v.values() for x in (vs if isinstance(vs, list) else [vs])]
        elif isinstance(v, (list, tuple)):
            flat += list(v)
        else:
            flat.append(v)
    return any("\x00" in str(v) for v in flat)


def assert_clean_refusal_or_success(resp, where: str) -> None:
    assert resp.status_code < 500, f"{where}: {resp.status_code}"
    if resp.status_code in (200, 400, 404, 405, 410, 413, 429):
        body = resp.get_data(as_text=True)
        assert any(m in body for m in MESSAGES), f"{where}: a {resp.status_code} page without a message"


@pytest.fixture
def generous_limits(app):
    """Property tests send many forms from one client: lift the rate limits."""
    for name in ("RATELIMIT_SPEAKUP_SUBMIT", "RATELIMIT_FOLLOWUP", "RATELIMIT_FOLLOWUP_CLIENT", "RATELIMIT_STAFF_LOGIN"):
        app.config[name] = "100000/hour"


@pytest.fixture
def journey(app, db):
    wave, org = make_wave(db)
    token = make_token(db, wave, org)
    client = fresh_client(app)
    assert client.get(f"/respond/t/{token}").status_code == 302
    csrf = csrf_from(client.get("/respond/page/1").get_data(as_text=True))
    return {"client": client, "csrf": csrf, "wave": wave, "org": org}


QUESTION_IDS = ["q11d", "q11e", "q25e", "q14a", "q16b", "q16c", "comment", "ethnicity", "disability", "team", "shown", "x"]
answers = st.dictionaries(st.sampled_from(QUESTION_IDS), st.lists(codes, min_size=1, max_size=3), max_size=6)


@SETTINGS
@given(number=st.integers(min_value=0, max_value=8), data=answers, change=st.booleans())
def test_any_answers_on_any_page(journey, number, data, change):
    c = journey["client"]
    payload = MultiDict([(k, v) for k, vs in data.items() for v in vs] + [("csrf_token", journey["csrf"])])
    url = f"/respond/page/{number}" + ("?change=1" if change else "")
    resp = c.post(url, data=payload)
    assert_clean_refusal_or_success(resp, f"POST {url}")
    if resp.status_code == 200:
        assert "There is a problem" in resp.get_data(as_text=True)
    if has_nul(data):
        assert resp.status_code == 400 and NUL_REFUSED in resp.get_data(as_text=True)
    assert c.get(f"/respond/page/{max(1, min(number, 5))}").status_code < 500
    assert c.get("/respond/check").status_code < 500


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pages=st.lists(st.tuples(st.integers(min_value=1, max_value=5), answers), max_size=4))
def test_any_answers_then_submit(app, db, pages):
    wave, org = make_wave(db)
    token = make_token(db, wave, org)
    c = fresh_client(app)
    c.get(f"/respond/t/{token}")
    csrf = csrf_from(c.get("/respond/page/1").get_data(as_text=True))
    for number, data in pages:
        c.post(f"/respond/page/{number}", data=MultiDict([(k, v) for k, vs in data.items() for v in vs] + [("csrf_token", csrf)]))
    resp = c.post("/respond/submit", data={"csrf_token": csrf})
    assert_clean_refusal_or_success(resp, "POST /respond/submit")
    assert resp.status_code in (302, 400), resp.status_code


@SETTINGS
@given(segment=text)
def test_any_link_token_slug_or_query(client, segment):
    quoted = urllib.parse.quote(segment, safe="")
    for url in (f"/respond/t/{quoted}", f"/respond/o/{quoted}", f"/auth/setup/{quoted}",
                f"/speakup/?org={quoted}", f"/speakup/raise?org={quoted}", f"/auth/sign-in?next={quoted}",
                f"/respond/page/1?change={quoted}"):
        if not quoted:
            continue
        assert_clean_refusal_or_success(client.get(url), f"GET {url!r}")


@SETTINGS
@given(body=text, elements=st.lists(st.one_of(st.sampled_from(["patient_safety", "bullying", "worker_safety"]), text), max_size=3),
       org=codes, mode=st.one_of(st.sampled_from(["anonymous", "confidential"]), text), contact=text, website=st.sampled_from(["", "x"]))
def test_raise_form(app, generous_limits, body, elements, org, mode, contact, website):
    c = fresh_client(app)
    csrf = csrf_from(c.get("/speakup/raise").get_data(as_text=True))
    resp = c.post("/speakup/raise", data={"csrf_token": csrf, "text": body, "elements": elements, "org": org,
                                          "contact_mode": mode, "contact": contact, "website": website})
    assert_clean_refusal_or_success(resp, "POST /speakup/raise")
    if resp.status_code == 303:
        assert c.get("/speakup/raised").status_code == 200
    elif has_nul(body, elements, org, mode, contact):
        assert resp.status_code == 400 and NUL_REFUSED in resp.get_data(as_text=True)
    else:
        assert "There is a problem" in resp.get_data(as_text=True)


@SETTINGS
@given(reference=text, key=text)
def test_followup_form(app, generous_limits, reference, key, forbid_in_logs):
    forbid_in_logs(*(v for v in (reference, key) if len(v) >= 6))
    c = fresh_client(app)
    csrf = csrf_from(c.get("/speakup/followup").get_data(as_text=True))
    resp = c.post("/speakup/followup", data={"csrf_token": csrf, "reference": reference, "key": key})
    assert_clean_refusal_or_success(resp, "POST /speakup/followup")
    assert resp.status_code in (200, 400)
    if has_nul(reference, key):
        assert NUL_REFUSED in resp.get_data(as_text=True)
    typed = re.search(r'<input[^>]*name="key"[^>]*>', resp.get_data(as_text=True))
    assert typed is None or 'value=""' in typed.group(0) or "value=" not in typed.group(0)   # a key is never echoed


@pytest.fixture
def open_case(app, db):
    case = raise_concern(db, keyring(), access_key_hasher(), ConcernInput(text="A concern to reply on", elements=[], anonymous=True))
    db.commit()
    c = fresh_client(app)
    csrf = csrf_from(c.get("/speakup/followup").get_data(as_text=True))
    assert c.post("/speakup/followup", data={"csrf_token": csrf, "reference": case.reference, "key": case.access_key}).status_code == 303
    return c, csrf_from(c.get("/speakup/case").get_data(as_text=True))


@SETTINGS
@given(body=text, answer=codes, comment=text)
def test_case_message_and_feedback(open_case, body, answer, comment):
    c, csrf = open_case
    resp = c.post("/speakup/case/message", data={"csrf_token": csrf, "body": body})
    assert_clean_refusal_or_success(resp, "POST /speakup/case/message")
    resp = c.post("/speakup/case/feedback", data={"csrf_token": csrf, "answer": answer, "comment": comment})
    assert_clean_refusal_or_success(resp, "POST /speakup/case/feedback")


@SETTINGS
@given(email=text, password=text, code=text)
def test_sign_in_form(app, generous_limits, email, password, code):
    c = fresh_client(app)
    csrf = csrf_from(c.get("/auth/sign-in").get_data(as_text=True))
    resp = c.post("/auth/sign-in", data={"csrf_token": csrf, "email": email, "password": password, "code": code})
    assert_clean_refusal_or_success(resp, "POST /auth/sign-in")
    assert resp.status_code in ((400,) if has_nul(email, password, code) else (200, 429))


# --- bodies: too large, malformed, the wrong type --------------------------------------------

PUBLIC_POSTS = ["/speakup/raise", "/speakup/followup", "/speakup/raised", "/auth/sign-in", "/respond/page/1",
                "/respond/submit", "/respond/o/some-slug"]


@pytest.mark.parametrize("url", PUBLIC_POSTS)
def test_oversized_bodies_get_413_with_a_clear_page(client, url):
    big = "x" * (3 * 1024 * 1024)
    for kwargs in ({"data": {"text": big}},
                   {"data": {"file": (__import__("io").BytesIO(big.encode()), "big.csv")}, "content_type": "multipart/form-data"}):
        resp = client.post(url, **kwargs)
        assert resp.status_code == 413, (url, resp.status_code)
        body = resp.get_data(as_text=True)
        assert "What you sent is too large" in body and "2 MB" in body


def _token_client(app):
    c = fresh_client(app)
    return c, csrf_from(c.get("/speakup/raise").get_data(as_text=True))


@pytest.mark.parametrize("raw", [
    b"text=%FF%FE%FD&contact_mode=anonymous&org=none",          # percent-encoded bytes that are not UTF-8
    b"text=\xff\xfe\xc3\x28 raw&contact_mode=anonymous&org=none",  # raw bytes that are not UTF-8
    b"text=a%00b%00c&contact_mode=anonymous&org=none",            # NUL characters
    b"text=a\x00b&contact_mode=anonymous&org=none",                # a raw NUL byte
    b"text=&contact_mode=%00&org=%00",
    b"%%%%&&&===;;;",
])
def test_malformed_form_bodies_are_refused_or_taken_cleanly(app, generous_limits, raw):
    c, csrf = _token_client(app)
    resp = c.post("/speakup/raise", data=b"csrf_token=" + csrf.encode() + b"&" + raw,
                  content_type="application/x-www-form-urlencoded")
    assert_clean_refusal_or_success(resp, repr(raw))
    if resp.status_code != 303:
        assert any(m in resp.get_data(as_text=True) for m in REFUSED_FORM)


@pytest.mark.parametrize("content_type, body", [
    ("application/json", None),
    ("text/plain", b"text=hello"),
    ("application/xml", b"<text>hello</text>"),
    ("multipart/form-data; boundary=nothing-here", b"--garbage\r\n\r\n"),
    ("multipart/form-data", b"no boundary at all"),
    ("application/x-www-form-urlencoded; charset=utf-16", "text=hello".encode("utf-16")),
])
@pytest.mark.parametrize("url", ["/speakup/raise", "/speakup/followup", "/auth/sign-in", "/respond/page/1", "/respond/submit"])
def test_wrong_content_types_are_refused_cleanly(app, url, content_type, body):
    c, csrf = _token_client(app)
    if body is None:
        body = json.dumps({"csrf_token": csrf, "text": "hello", "contact_mode": "anonymous"}).encode()
    resp = c.post(url, data=body, content_type=content_type)
    assert resp.status_code == 400, (url, content_type, resp.status_code)
    assert any(m in resp.get_data(as_text=True) for m in REFUSED_FORM)


def test_unknown_methods_and_huge_numbers(client):
    for method, url in (("PUT", "/speakup/raise"), ("DELETE", "/respond/submit"), ("PATCH", "/auth/sign-in"),
                        ("GET", "/respond/page/" + "9" * 40), ("GET", "/guardian/cases/" + "9" * 40),
                        ("GET", "/admin/waves/-1")):
        resp = client.open(url, method=method)
        assert resp.status_code in (302, 400, 404, 405), (method, url, resp.status_code)
        if resp.status_code != 302:
            assert "<h1" in resp.get_data(as_text=True)


def test_a_form_sent_without_the_cookie_says_so(app):
    _, csrf = _token_client(app)
    cookieless = app.test_client(use_cookies=False)
    resp = cookieless.post("/speakup/raise", data={"csrf_token": csrf, "text": "hello", "contact_mode": "anonymous"})
    assert resp.status_code == 400
    assert "did not send back this site&#39;s cookie" in resp.get_data(as_text=True)

