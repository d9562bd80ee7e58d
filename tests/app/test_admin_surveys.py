"""Admin survey pages: list shipped and instance surveys; upload, check and save YAML."""
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from survey.models import AuditEvent
from tests.support.admin import admin_client, fresh, fresh_g_per_request  # noqa: F401
from tests.conftest import post_form

VALID = """\
id: practice-pulse
title: Practice pulse
version: "1"
sections:
  - id: safety
    title: Safety
    questions:
      - q13a
      - id: pulse_free
        type: free_text
        text: Anything else?
"""

BROKEN = """\
id: practice-pulse
title: Practice pulse
version: "1"
sections:
  - id: safety
    title: Safety
    questions:
      - id: own
        type: single
        text: How are you?
        options: a string
"""


def upload(client, name, text, action="save"):
    data = {"file": (io.BytesIO(text.encode() if isinstance(text, str) else text), name), "action": action}
    return post_form(client, "/admin/surveys/upload", data, content_type="multipart/form-data")


def saved(app):
    folder = Path(app.instance_path) / "surveys"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_list_shows_the_shipped_surveys(admin_client):
    html = admin_client.get("/admin/surveys").get_data(as_text=True)
    for sid in ("racial-discrimination", "bullying-harassment", "equal-opportunities", "staff-experience"):
        assert sid in html
    assert "Shipped" in html


def test_broken_yaml_lists_file_path_problem_and_saves_nothing(app, admin_client, db):
    resp = upload(admin_client, "pulse.yaml", BROKEN)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "surveys/pulse.yaml: sections[0].questions[0].options: expected a list of {code, label}, got a string" in html
    assert saved(app) == []
    resp = upload(admin_client, "pulse.yaml", "id: [unclosed\n")
    assert "surveys/pulse.yaml: line 2, column 1" in resp.get_data(as_text=True) and "not valid YAML" in resp.get_data(as_text=True)
    resp = upload(admin_client, "pulse.yaml", "[" * 50000 + "]" * 50000)
    assert resp.status_code == 200 and b"nested too deeply" in resp.data
    resp = upload(admin_client, "pulse.yaml", b"\xff\xfe\x00bad")
    assert b"not UTF-8 text" in resp.data
    assert saved(app) == []
    fresh(db)
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "survey.upload")) is None


def test_valid_yaml_is_saved_and_listed(app, admin_client, db):
    resp = upload(admin_client, "pulse.yaml", VALID)
    assert resp.status_code == 302
    assert saved(app) == ["practice-pulse.yaml"]
    html = admin_client.get("/admin/surveys").get_data(as_text=True)
    assert "practice-pulse" in html and "Practice pulse" in html and "Instance" in html
    fresh(db)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "survey.upload"))
    assert event.object_id == "practice-pulse" and event.actor_id == admin_client.admin.id
    # Uploading it again replaces the file.
    assert upload(admin_client, "pulse-v2.yml", VALID.replace('version: "1"', 'version: "2"')).status_code == 302
    assert saved(app) == ["practice-pulse.yaml"]
    assert "2" in (Path(app.instance_path) / "surveys" / "practice-pulse.yaml").read_text()


def test_check_only_saves_nothing(app, admin_client):
    resp = upload(admin_client, "pulse.yaml", VALID, action="check")
    assert resp.status_code == 200 and b"The definition is valid" in resp.data
    assert saved(app) == []


def test_a_shipped_id_is_refused(app, admin_client):
    text = VALID.replace("id: practice-pulse", "id: staff-experience")
    resp = upload(admin_client, "mine.yaml", text)
    assert b"is a shipped survey" in resp.data
    assert saved(app) == []


@pytest.mark.parametrize("name", ["../evil.yaml", "sub/dir.yaml", "..\\evil.yaml", ".hidden.yaml", "notes.txt", "a:b.yaml"])
def test_file_names_with_path_characters_are_refused(app, admin_client, name):
    resp = upload(admin_client, name, VALID)
    assert resp.status_code == 200
    assert b"was not saved" in resp.data
    assert saved(app) == []


def test_no_file_is_explained(admin_client):
    resp = post_form(admin_client, "/admin/surveys/upload", {"action": "save"}, content_type="multipart/form-data")
    assert resp.status_code == 200 and b"Choose a YAML file to upload" in resp.data


def test_oversized_upload_gets_413(app, admin_client):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    resp = upload(admin_client, "big.yaml", "# " + "x" * 20_000 + "\n" + VALID)
    assert resp.status_code == 413
    assert saved(app) == []


def test_upload_without_csrf_is_refused(app, admin_client):
    resp = admin_client.post("/admin/surveys/upload", data={"file": (io.BytesIO(VALID.encode()), "p.yaml")},
                             content_type="multipart/form-data")
    assert resp.status_code == 400
    assert saved(app) == []


def test_the_upload_page_lists_every_problem(app, admin_client):
    """Issue 21 item 21: only the first problem of a broken definition was reported."""
    import html
    text = ("id: pulse\ntitle: Pulse\nversion: '1'\nsections:\n"
            "  - id: one\n    title: One\n    questions: [q99z, q11d]\n"
            "  - id: two\n    questions: [q98y]\n")
    resp = upload(admin_client, "pulse.yaml", text, action="check")
    page = html.unescape(resp.get_data(as_text=True))
    items = page.split('class="nhsuk-list nhsuk-error-summary__list app-problems"')[1].split("</ul>")[0]
    for problem in ("surveys/pulse.yaml: sections[0].questions[0]: unknown question 'q99z'",
                    "surveys/pulse.yaml: sections[1].title: expected text",
                    "surveys/pulse.yaml: sections[1].questions[0]: unknown question 'q98y'"):
        assert problem in items, (problem, items)
    assert items.count("<li>") == 3
    assert saved(app) == []
