"""Admin organisation pages: hierarchy, CSV import all-or-nothing with line numbers, rename."""
import io

from sqlalchemy import func, select

from survey.models import AuditEvent, Organisation
from tests.support.admin import admin_client, fresh, fresh_g_per_request  # noqa: F401
from tests.conftest import post_form

GOOD = """code,name,level,parent_code
ICS1,North ICS,ics,
PL1,Riverside place,place,ICS1
PCN1,Riverside PCN,pcn,PL1
P001,High Street Surgery,practice,PCN1
P002,Mill Lane Practice,practice,PCN1
"""

BAD = """code,name,level,parent_code
ICS1,North ICS,ics,
PL1,Riverside place,place,ICS1
PCN1,Riverside PCN,hospital,PL1
P001,,practice,PCN1
P002,Mill Lane Practice,practice,NOPE
"""


def upload(client, text, name="orgs.csv"):
    data = {"file": (io.BytesIO(text.encode() if isinstance(text, str) else text), name)}
    return post_form(client, "/admin/orgs/import", data, content_type="multipart/form-data")


def count(db):
    fresh(db)
    return db.scalar(select(func.count()).select_from(Organisation))


def test_import_shows_the_hierarchy(admin_client, db):
    resp = upload(admin_client, GOOD)
    assert resp.status_code == 302
    assert count(db) == 5
    html = admin_client.get("/admin/orgs").get_data(as_text=True)
    order = [html.index(n) for n in ("North ICS", "Riverside place", "Riverside PCN", "High Street Surgery")]
    assert order == sorted(order)
    assert 'app-depth-3' in html
    fresh(db)
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "orgs.import")).actor_id == admin_client.admin.id
    assert "5 organisations" in admin_client.get("/admin/").get_data(as_text=True)


def test_a_bad_file_imports_nothing_and_names_the_lines(admin_client, db):
    resp = upload(admin_client, BAD)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Nothing was imported" in html
    assert "line 4: level &#39;hospital&#39; is not one of" in html
    assert "line 5: name is empty" in html
    assert count(db) == 0
    # A problem only visible against the hierarchy (unknown parent) also stops everything.
    resp = upload(admin_client, GOOD.replace("P002,Mill Lane Practice,practice,PCN1", "P002,Mill Lane Practice,practice,NOPE"))
    assert "line 6: parent_code &#39;NOPE&#39;" in resp.get_data(as_text=True)
    assert count(db) == 0


def test_wrong_files_are_explained(admin_client, db):
    assert b"the columns must be exactly" in upload(admin_client, "a,b\n1,2\n").data
    assert b"not UTF-8" in upload(admin_client, b"code,name,level,parent_code\nX,\xff\xfe,ics,\n").data
    assert b"the file is empty" in upload(admin_client, "").data
    resp = post_form(admin_client, "/admin/orgs/import", {}, content_type="multipart/form-data")
    assert b"Choose a CSV file" in resp.data
    assert count(db) == 0


def test_rename(admin_client, db):
    upload(admin_client, GOOD)
    fresh(db)
    org = db.scalar(select(Organisation).where(Organisation.code == "P001"))
    url = f"/admin/orgs/{org.id}/edit"
    assert b"High Street Surgery" in admin_client.get(url).data
    resp = post_form(admin_client, url, {"name": "   "})
    assert resp.status_code == 200 and b"Enter the organisation" in resp.data
    resp = post_form(admin_client, url, {"name": "x" * 201})
    assert resp.status_code == 200 and b"at most 200" in resp.data
    resp = post_form(admin_client, url, {"name": "High Street Health Centre"})
    assert resp.status_code == 302
    fresh(db)
    assert db.get(Organisation, org.id).name == "High Street Health Centre"
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "org.rename")).object_id == str(org.id)
    assert admin_client.get("/admin/orgs/99999/edit").status_code == 404


def test_import_without_csrf_is_refused(admin_client, db):
    resp = admin_client.post("/admin/orgs/import", data={"file": (io.BytesIO(GOOD.encode()), "o.csv")},
                             content_type="multipart/form-data")
    assert resp.status_code == 400
    assert count(db) == 0
