"""Property tests: whatever an administrator uploads or types, the admin pages answer with a
page that says what was wrong (never a 5xx), and a refused file stores nothing."""
import io

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from survey.models import Organisation, Wave
from tests.support.admin import admin_client, fresh, fresh_g_per_request  # noqa: F401
from tests.conftest import csrf_from

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

csv_cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
csv_text = st.one_of(
    st.binary(max_size=300),
    st.lists(st.lists(csv_cells, min_size=0, max_size=6), max_size=6).map(
        lambda rows: "code,name,level,parent_code\n" + "\n".join(",".join(r) for r in rows)),
    st.text(max_size=300),
)
yaml_text = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300),
    st.recursive(st.one_of(st.none(), st.booleans(), st.text(max_size=8), st.integers()),
                 lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(
                     ["id", "title", "version", "sections", "questions", "type", "options", "show_if", "code"]),
                     children, max_size=4), max_leaves=15).map(repr),
)
file_names = st.one_of(st.just("upload.csv"), st.just("survey.yaml"),
                       st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20))


def post_with_token(client, url, data, **kw):
    data = dict(data, csrf_token=csrf_from(client.get(url).get_data(as_text=True)))
    return client.post(url, data=data, **kw)


@SETTINGS
@given(body=csv_text, name=file_names)
def test_org_upload_never_fails(admin_client, db, body, name):
    raw = body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")
    fresh(db)
    before = db.scalar(select(func.count()).select_from(Organisation))
    resp = post_with_token(admin_client, "/admin/orgs/import", {"file": (io.BytesIO(raw), name)},
                           content_type="multipart/form-data")
    assert resp.status_code in (200, 302)
    if resp.status_code == 200:
        assert b"There is a problem" in resp.data or b"Nothing was imported" in resp.data
        fresh(db)
        assert db.scalar(select(func.count()).select_from(Organisation)) == before


@SETTINGS
@given(body=yaml_text, name=file_names)
def test_survey_upload_never_fails(app, admin_client, body, name):
    raw = body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")
    resp = post_with_token(admin_client, "/admin/surveys/upload", {"file": (io.BytesIO(raw), name), "action": "save"},
                           content_type="multipart/form-data")
    assert resp.status_code in (200, 302)
    if resp.status_code == 200:
        assert b"There is a problem" in resp.data or b"was not saved" in resp.data


@SETTINGS
@given(fields=st.fixed_dictionaries({k: st.text(max_size=15) for k in ("survey", "name", "orgs", "opens", "closes", "mode")}))
def test_wave_form_never_fails(admin_client, db, fields):
    resp = post_with_token(admin_client, "/admin/waves/new", fields)
    if any("\x00" in v for v in fields.values()):
        # A NUL cannot come from typing: refused up front with a page that says so.
        assert resp.status_code == 400 and b"NUL character" in resp.data
    else:
        assert resp.status_code == 200 and b"There is a problem" in resp.data
    fresh(db)
    assert db.scalar(select(func.count()).select_from(Wave)) == 0
