"""Admin pages: access by role, staff accounts (create, set-up link once, disable, reset), CSRF."""
import re

import pyotp
import pytest
from sqlalchemy import select

from survey.models import AuditEvent, StaffUser
from tests.support.admin import admin_client, fresh, fresh_g_per_request  # noqa: F401
from tests.conftest import TEST_PASSWORD, post_form

LINK_RE = re.compile(r"https?://[^\s<\"]+/auth/setup/([A-Za-z0-9_\-]+)")


def _actions(db):
    fresh(db)
    return [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_anonymous_is_sent_to_sign_in(client):
    for url in ("/admin/", "/admin/staff", "/admin/staff/new"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/auth/sign-in" in resp.headers["Location"]


@pytest.mark.parametrize("role", ["guardian", "edi_lead"])
def test_other_roles_get_403(app, client, make_staff, sign_in, role):
    sign_in(client, make_staff(role))
    for url in ("/admin/", "/admin/staff", "/admin/staff/new"):
        assert client.get(url).status_code == 403


def test_index_shows_status_and_links(admin_client):
    page = admin_client.get("/admin/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Staff accounts" in html and "1 active account" in html


def test_create_account_shows_a_link_that_works_once(app, admin_client, db, forbid_in_logs):
    resp = post_form(admin_client, "/admin/staff/new", {"email": "New.Guardian@example.nhs.uk", "role": "guardian"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    match = LINK_RE.search(html)
    assert match, html
    token = match.group(1)
    forbid_in_logs(token)
    user = db.scalar(select(StaffUser).where(StaffUser.email == "new.guardian@example.nhs.uk"))
    assert user is not None and user.role.value == "guardian"
    assert token not in (user.setup_token_hash or "")
    # The list does not show the link again.
    assert token not in admin_client.get("/admin/staff").get_data(as_text=True)
    # The link works once.
    other = app.test_client()
    path = "/auth/setup/" + token
    assert other.get(path).status_code == 200
    with other.session_transaction() as sess:
        secret = sess["setup_secret"]
    done = post_form(other, path, {"password": TEST_PASSWORD, "confirm": TEST_PASSWORD, "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302
    assert other.get(path).status_code == 404
    assert "staff.create" in _actions(db)


def test_create_account_bad_input_is_explained(admin_client, db):
    resp = post_form(admin_client, "/admin/staff/new", {"email": "not-an-email", "role": "guardian"})
    assert resp.status_code == 200 and b"is not an email address" in resp.data
    resp = post_form(admin_client, "/admin/staff/new", {"email": "", "role": ""})
    assert b"Enter the email address" in resp.data and b"Choose the account" in resp.data
    resp = post_form(admin_client, "/admin/staff/new", {"email": "x@example.nhs.uk", "role": "superuser"})
    assert resp.status_code == 200 and b"There is a problem" in resp.data
    resp = post_form(admin_client, "/admin/staff/new", {"email": admin_client.admin.email, "role": "admin"})
    assert b"exists already" in resp.data
    assert db.scalar(select(StaffUser).where(StaffUser.email == "x@example.nhs.uk")) is None


def test_disabling_signs_the_account_out_and_enabling_lets_it_back(app, admin_client, make_staff, sign_in, db):
    other_admin = make_staff("admin")
    c2 = app.test_client()
    sign_in(c2, other_admin)
    assert c2.get("/admin/").status_code == 200
    url = f"/admin/staff/{other_admin.id}/disable"
    assert b"Disable account" in admin_client.get(url).data
    resp = post_form(admin_client, url, {})
    assert resp.status_code == 302
    assert c2.get("/admin/").status_code == 302            # signed out
    fresh(db)
    assert db.get(StaffUser, other_admin.id).is_active is False
    resp = post_form(admin_client, f"/admin/staff/{other_admin.id}/enable", {})
    assert resp.status_code == 302
    fresh(db)
    assert db.get(StaffUser, other_admin.id).is_active is True
    actions = _actions(db)
    assert "staff.disable" in actions and "staff.enable" in actions


def test_an_admin_cannot_disable_themself(admin_client, db):
    url = f"/admin/staff/{admin_client.admin.id}/disable"
    resp = admin_client.get(url)
    assert resp.status_code == 302
    resp = admin_client.post(url, data={}, follow_redirects=True)
    assert b"cannot disable your own account" in resp.data
    fresh(db)
    assert db.get(StaffUser, admin_client.admin.id).is_active is True
    assert admin_client.get("/admin/").status_code == 200


def test_reset_factors_shows_a_new_link_once(app, admin_client, make_staff, sign_in, db, forbid_in_logs):
    guardian = make_staff("guardian")
    c2 = app.test_client()
    sign_in(c2, guardian)
    resp = post_form(admin_client, f"/admin/staff/{guardian.id}/reset", {})
    assert resp.status_code == 200
    token = LINK_RE.search(resp.get_data(as_text=True)).group(1)
    forbid_in_logs(token)
    fresh(db)
    user = db.get(StaffUser, guardian.id)
    assert user.password_hash is None and user.totp_secret is None
    assert app.test_client().get("/auth/setup/" + token).status_code == 200
    assert "staff.reset_factors" in _actions(db)


def test_unknown_account_is_404(admin_client):
    assert admin_client.get("/admin/staff/99999/disable").status_code == 404


def test_post_without_csrf_token_is_refused(admin_client, make_staff, db):
    guardian = make_staff("guardian")
    resp = admin_client.post(f"/admin/staff/{guardian.id}/disable", data={})
    assert resp.status_code == 400
    resp = admin_client.post("/admin/staff/new", data={"email": "y@example.nhs.uk", "role": "admin"})
    assert resp.status_code == 400
    fresh(db)
    assert db.get(StaffUser, guardian.id).is_active is True
