"""Staff sign-in: set-up link, password + TOTP together, replay refused, disabling signs out."""
import re

import pyotp
import pytest
from flask import Blueprint

from survey.auth import staff_required
from survey.models import StaffUser
from tests.conftest import TEST_PASSWORD, csrf_from, post_form

probe = Blueprint("probe", __name__)


@probe.route("/probe/guardian")
@staff_required("guardian")
def guardian_only():
    return "guardian page"


@pytest.fixture
def app_with_probe(app):
    app.register_blueprint(probe)
    return app


def _setup_via_cli(runner, client, email, role="guardian"):
    result = runner.invoke(args=["users", "create", "--email", email, "--role", role])
    assert result.exit_code == 0, result.output
    link = re.search(r"http\S+/auth/setup/(\S+)", result.output)
    assert link
    path = "/auth/setup/" + link.group(1)
    page = client.get(path)
    assert page.status_code == 200
    assert b"data:image/svg+xml" in page.data   # the QR code
    with client.session_transaction() as sess:
        secret = sess["setup_secret"]
    return path, secret


def test_setup_then_sign_in_with_both_factors(app_with_probe, client, runner, db):
    path, secret = _setup_via_cli(runner, client, "g@example.nhs.uk")
    resp = post_form(client, path, {"password": TEST_PASSWORD, "confirm": TEST_PASSWORD,
                                    "code": pyotp.TOTP(secret).now()})
    assert resp.status_code == 302
    # The set-up link works once.
    assert client.get(path).status_code == 404
    # Anonymous visitors are sent to sign in.
    assert client.get("/probe/guardian").status_code == 302
    user = db.query(StaffUser).filter_by(email="g@example.nhs.uk").one()
    user.totp_last_step = 0   # the set-up consumed the current code; let sign-in reuse it
    db.commit()
    resp = post_form(client, "/auth/sign-in", {"email": "G@example.nhs.uk ", "password": TEST_PASSWORD,
                                               "code": pyotp.TOTP(secret).now()})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert client.get("/probe/guardian").data == b"guardian page"


def test_setup_refuses_short_password_and_wrong_code(app, client, runner):
    path, secret = _setup_via_cli(runner, client, "h@example.nhs.uk")
    resp = post_form(client, path, {"password": "short", "confirm": "short", "code": pyotp.TOTP(secret).now()})
    assert b"at least 12 characters" in resp.data
    resp = post_form(client, path, {"password": TEST_PASSWORD, "confirm": TEST_PASSWORD, "code": "000000"})
    assert b"not right" in resp.data
    assert client.get(path).status_code == 200   # still usable


@pytest.mark.parametrize("field", ["password", "code", "email"])
def test_a_wrong_factor_gets_the_same_message(app, client, make_staff, field):
    user = make_staff("guardian")
    good = {"email": user.email, "password": TEST_PASSWORD, "code": pyotp.TOTP(user.totp_plain).now()}
    bad = dict(good)
    bad[field] = {"password": "wrong password!!", "code": "123456", "email": "nobody@example.nhs.uk"}[field]
    if field == "code" and bad["code"] == good["code"]:
        bad["code"] = "654321"
    resp = post_form(client, "/auth/sign-in", bad)
    assert resp.status_code == 200
    assert b"The email address, password or code is not right" in resp.data


def test_totp_code_replay_is_refused(app, client, make_staff, sign_in):
    user = make_staff("guardian")
    sign_in(client, user)   # consumes the current code
    other = app.test_client()
    code = pyotp.TOTP(user.totp_plain).now()
    resp = post_form(other, "/auth/sign-in", {"email": user.email, "password": TEST_PASSWORD, "code": code})
    assert resp.status_code == 200 and b"not right" in resp.data


def test_role_is_enforced_and_disabling_signs_out(app_with_probe, client, make_staff, sign_in, db):
    edi = make_staff("edi_lead")
    sign_in(client, edi)
    assert client.get("/probe/guardian").status_code == 403
    guardian = make_staff("guardian")
    c2 = app_with_probe.test_client()
    sign_in(c2, guardian)
    assert c2.get("/probe/guardian").status_code == 200
    from survey.auth import accounts
    accounts.set_active(db, db.get(StaffUser, guardian.id), False, None)
    db.commit()
    assert c2.get("/probe/guardian").status_code == 302


def test_sign_in_is_rate_limited(app, client, make_staff):
    app.config["RATELIMIT_STAFF_LOGIN"] = "3/minute"
    user = make_staff("admin")
    for _ in range(3):
        post_form(client, "/auth/sign-in", {"email": user.email, "password": "wrong password!!", "code": "000000"})
    resp = post_form(client, "/auth/sign-in", {"email": user.email, "password": TEST_PASSWORD,
                                                "code": pyotp.TOTP(user.totp_plain).now()})
    assert resp.status_code == 429


def test_sign_in_without_csrf_token_is_refused(client, make_staff):
    user = make_staff("admin")
    resp = client.post("/auth/sign-in", data={"email": user.email, "password": TEST_PASSWORD, "code": "000000"})
    assert resp.status_code == 400
    assert b"This form has expired" in resp.data


def test_next_parameter_cannot_redirect_off_site(app_with_probe, client, make_staff, db):
    user = make_staff("guardian")
    code = pyotp.TOTP(user.totp_plain).now()
    page = client.get("/auth/sign-in?next=//evil.example/x")
    resp = client.post("/auth/sign-in?next=//evil.example/x", data={
        "email": user.email, "password": TEST_PASSWORD, "code": code, "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert resp.status_code == 302
    assert "evil.example" not in resp.headers["Location"]


def test_users_cli_errors_are_one_line(runner):
    result = runner.invoke(args=["users", "create", "--email", "not-an-email", "--role", "guardian"])
    assert result.exit_code == 1 and "is not an email address" in result.output
    result = runner.invoke(args=["users", "disable", "--email", "nobody@example.nhs.uk"])
    assert result.exit_code == 1 and "No account" in result.output


def test_one_client_rotating_addresses_is_limited_too(app, client):
    app.config["RATELIMIT_STAFF_LOGIN_CLIENT"] = "4/minute"
    statuses = [post_form(client, "/auth/sign-in", {"email": f"u{i}@example.nhs.uk", "password": "wrong password!!",
                                                    "code": "000000"}).status_code for i in range(6)]
    assert statuses[:4] == [200] * 4 and statuses[4:] == [429, 429]
