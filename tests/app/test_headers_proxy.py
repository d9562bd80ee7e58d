"""Behind the TLS proxy (PROXY_COUNT=1, as docs/deploy.md configures it): the rate limits
of the public routes still tell one client from another (by the address the proxy passes
on, which goes only to the rate limiter's keyed hash, never to a log), and redirects keep
the https scheme."""
from __future__ import annotations

import pytest

from survey import create_app
from tests.conftest import csrf_from

ALICE, BOB = "198.51.100.23", "198.51.100.87"


@pytest.fixture
def proxied(app, app_config):
    behind = create_app({**app_config, "PROXY_COUNT": 1, "SESSION_COOKIE_SECURE": True,
                         "RATELIMIT_SPEAKUP_SUBMIT": "2/hour"})
    behind.test_client_class = type(app.test_client())
    return behind


def _raise(app, address: str) -> int:
    c = app.test_client()
    headers = {"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}
    https = "https://localhost"     # the browser is on https: Secure cookies come back
    csrf = csrf_from(c.get("/speakup/raise", headers=headers, base_url=https).get_data(as_text=True))
    resp = c.post("/speakup/raise", headers=headers, base_url=https, data={"csrf_token": csrf, "text": "Proxy test concern",
                                                            "org": "none", "contact_mode": "anonymous"})
    return resp.status_code


def test_rate_limits_count_each_client_behind_the_proxy(proxied, forbid_in_logs):
    forbid_in_logs(ALICE, BOB)
    assert [_raise(proxied, ALICE) for _ in range(3)] == [303, 303, 429]
    assert _raise(proxied, BOB) == 303          # another person is not locked out by Alice


def test_redirects_keep_https_behind_the_proxy(proxied):
    resp = proxied.test_client().get("/respond/t/unknown-token", headers={"X-Forwarded-Proto": "https"})
    assert resp.status_code == 404
    c = proxied.test_client()
    resp = c.get("/guardian/", headers={"X-Forwarded-Proto": "https"})
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location.startswith("/auth/sign-in") or location.startswith("https://"), location
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_forms_work_over_https_without_a_referer(proxied):
    """Referrer-Policy: no-referrer means browsers send no Referer: the forms must not need one."""
    c = proxied.test_client()
    https = {"base_url": "https://localhost", "headers": {"X-Forwarded-Proto": "https", "X-Forwarded-For": ALICE}}
    csrf = csrf_from(c.get("/auth/sign-in", **https).get_data(as_text=True))
    resp = c.post("/auth/sign-in", data={"csrf_token": csrf, "email": "nobody@example.nhs.uk", "password": "x", "code": "1"}, **https)
    assert resp.status_code == 200 and "is not right" in resp.get_data(as_text=True)
