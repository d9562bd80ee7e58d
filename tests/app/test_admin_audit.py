"""Admin audit trail: all events, newest first, paginated, filtered by action; access by role;
and a walk over every admin page, so each one renders for an administrator."""
import pytest
from sqlalchemy import select

from survey import audit
from survey.models import Organisation
from tests.support.admin import admin_client, fresh_g_per_request  # noqa: F401
from tests.support.admin import create, get_wave, orgs  # noqa: F401  (orgs: a fixture)
from tests.conftest import csrf_from


def test_events_newest_first_and_filtered(admin_client, db):
    for i in range(3):
        audit.record(db, None, "demo.first", "thing", i)
    audit.record(db, admin_client.admin.id, "demo.second", "thing", 99, {"note": "latest"})
    db.commit()
    html = admin_client.get("/admin/audit").get_data(as_text=True)
    assert html.index("demo.second</code>") < html.index("demo.first</code>")
    assert admin_client.admin.email in html and "Command line" in html and "note: latest" in html
    assert "staff.sign_in" in html
    filtered = admin_client.get("/admin/audit?action=demo.first").get_data(as_text=True)
    assert "3 events with the action" in filtered and "demo.second</code>" not in filtered.split("<table")[1]
    # An unknown filter or page shows everything rather than failing.
    assert admin_client.get("/admin/audit?action=nope&page=abc").status_code == 200
    assert admin_client.get("/admin/audit?page=-4").status_code == 200


def test_pagination(admin_client, db):
    for i in range(120):
        audit.record(db, None, "demo.bulk", "thing", i)
    db.commit()
    first = admin_client.get("/admin/audit?action=demo.bulk").get_data(as_text=True)
    assert "page 1 of 3" in first and "thing 119" in first and "thing 69" not in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    last = admin_client.get("/admin/audit?action=demo.bulk&page=3").get_data(as_text=True)
    assert "thing 0" in last and "thing 119" not in last and 'rel="prev"' in last
    beyond = admin_client.get("/admin/audit?action=demo.bulk&page=40").get_data(as_text=True)
    assert "page 3 of 3" in beyond


ADMIN_PAGES = ["/admin/", "/admin/staff", "/admin/staff/new", "/admin/orgs", "/admin/orgs/import", "/admin/surveys",
               "/admin/surveys/upload", "/admin/waves", "/admin/waves/new", "/admin/audit"]


def test_every_admin_page_renders_for_an_admin(app, admin_client, orgs, db):  # noqa: F811
    create(admin_client)
    wave = get_wave(db)
    org_id = db.scalar(select(Organisation.id).limit(1))
    pages = ADMIN_PAGES + [f"/admin/waves/{wave.id}", f"/admin/waves/{wave.id}/close", f"/admin/orgs/{org_id}/edit",
                           f"/admin/staff/{admin_client.admin.id}/reset"]
    for url in pages:
        resp = admin_client.get(url)
        assert resp.status_code == 200, url
        html = resp.get_data(as_text=True)
        assert "style=" not in html and "<script>" not in html, url
    # Every GET route of the blueprint is covered by this walk (or is POST-only).
    rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.") and "GET" in r.methods}
    covered = {"/admin/", "/admin/staff", "/admin/staff/new", "/admin/orgs", "/admin/orgs/import", "/admin/surveys",
               "/admin/surveys/upload", "/admin/waves", "/admin/waves/new", "/admin/audit",
               "/admin/waves/<int:wave_id>", "/admin/waves/<int:wave_id>/close", "/admin/orgs/<int:org_id>/edit",
               "/admin/staff/<int:user_id>/<any(disable, enable, reset):action>"}
    assert rules <= covered, rules - covered


@pytest.mark.parametrize("role", ["guardian", "edi_lead"])
def test_other_roles_get_403_everywhere(app, client, make_staff, sign_in, role):
    sign_in(client, make_staff(role))
    for url in ADMIN_PAGES + ["/admin/waves/1", "/admin/orgs/1/edit"]:
        assert client.get(url).status_code == 403, url
    # Even with a real CSRF token (from the sign-out form on the refusal page) a POST is refused.
    token = csrf_from(client.get("/admin/").get_data(as_text=True))
    for url in ["/admin/waves/1/tokens", "/admin/waves/1/close", "/admin/staff/new", "/admin/orgs/import",
                "/admin/surveys/upload", "/admin/staff/1/disable", "/admin/waves/1/invited"]:
        assert client.post(url, data={"csrf_token": token}).status_code == 403, url


def test_anonymous_is_redirected_everywhere(client):
    for url in ADMIN_PAGES + ["/admin/waves/1", "/admin/orgs/1/edit"]:
        resp = client.get(url)
        assert resp.status_code == 302 and "/auth/sign-in" in resp.headers["Location"], url
