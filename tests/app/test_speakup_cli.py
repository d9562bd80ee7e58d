"""The speak-up commands: audit verify (and a tampered row), keys rotate/list/retire,
purge, the quarterly return, and the guardian e-mail digest against a fake SMTP server."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select, text

from survey.concerns import ConcernInput, raise_concern as op_raise
from survey.crypto import KeyRing, KeyRingError
from survey.extensions import access_key_hasher, keyring
from survey.models import Concern, ConcernStatus, Role, StaffUser
from tests.support.mail import smtp_server  # noqa: F401  (a fixture)
from tests.support.speakup import csrf_token_per_request, open_case, raise_concern  # noqa: F401
from tests.conftest import base_test_config


@pytest.fixture
def app_config(tmp_path, database_url):
    """Keys in instance/keys.json (as `init` writes them), so `keys rotate` can add one."""
    config = base_test_config(tmp_path, database_url)
    config.pop("ENCRYPTION_KEYS")
    (tmp_path / "instance").mkdir(exist_ok=True)
    (tmp_path / "instance" / "keys.json").write_text(json.dumps({"keys": [KeyRing.generate_key()]}))
    return config


def _case(db, text_="A concern", on=None, **kw) -> Concern:
    case = op_raise(db, keyring(), access_key_hasher(), ConcernInput(text=text_, elements=["bullying"], **kw), on=on)
    db.commit()
    return case.concern


def test_audit_verify_reports_the_first_broken_link(app, runner, db, make_staff, sign_in):
    desk = app.test_client()
    sign_in(desk, make_staff("guardian"))
    concern = _case(db)
    for _ in range(3):
        assert desk.get(f"/guardian/cases/{concern.id}").status_code == 200
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    ids = [row[0] for row in db.execute(text("SELECT id FROM audit_events ORDER BY id"))]
    assert len(ids) >= 4
    target = ids[2]
    with app.extensions["survey.engine"].begin() as conn:
        conn.execute(text("UPDATE audit_events SET action = 'concern.nothing_to_see' WHERE id = :id"), {"id": target})
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert f"BROKEN at event {target}" in broken.output and "altered" in broken.output
    # Deleting an event breaks the next one's link instead.
    with app.extensions["survey.engine"].begin() as conn:
        conn.execute(text("UPDATE audit_events SET action = 'concern.view' WHERE id = :id"), {"id": target})
    assert runner.invoke(args=["audit", "verify"]).exit_code in (0, 1)
    with app.extensions["survey.engine"].begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[1]})
    gone = runner.invoke(args=["audit", "verify"])
    assert gone.exit_code == 1 and "link" in gone.output


def test_keys_rotate_keeps_every_case_readable(app, runner, client, db, make_staff, forbid_in_logs):
    texts = ["Rotation case one kr01", "Rotation case two kr02"]
    forbid_in_logs(*texts)
    opened = []
    for t in texts:
        ref, key = raise_concern(client, t, mode="confidential", contact="Contact " + t)
        forbid_in_logs(ref, key)
        opened.append((ref, key))
    guardian = make_staff("guardian")
    old_keys = list(app.extensions["survey.keys"])

    listing = runner.invoke(args=["keys", "list"])
    assert listing.exit_code == 0 and "1 key(s)" in listing.output and old_keys[0] not in listing.output

    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "concerns: 4" in result.output and "staff TOTP secrets: 1" in result.output
    stored = json.loads((Path(app.instance_path) / "keys.json").read_text())["keys"]
    assert len(stored) == 2 and stored[1] == old_keys[0]
    for k in stored:
        assert k not in result.output

    db.rollback()
    db.expire_all()
    only_old = KeyRing(old_keys)
    only_new = KeyRing(stored[:1])
    for concern in db.scalars(select(Concern)):
        assert only_new.decrypt(concern.text) in texts
        with pytest.raises(KeyRingError):
            only_old.decrypt(concern.text)
        with pytest.raises(KeyRingError):
            only_old.decrypt(concern.contact)
    assert only_new.decrypt(db.get(StaffUser, guardian.id).totp_secret) == guardian.totp_plain
    # The running app reads every case through the web with the new ring.
    ref, key = opened[0]
    assert open_case(client, ref, key).status_code == 303
    assert texts[0] in client.get("/speakup/case").get_data(as_text=True)

    retired = runner.invoke(args=["keys", "retire"])
    assert retired.exit_code == 0 and "Removed 1 old key" in retired.output
    assert runner.invoke(args=["keys", "list"]).output.startswith("1 key(s)")


def test_keys_rotate_refuses_environment_keys(app, runner):
    app.config["ENCRYPTION_KEYS"] = [KeyRing.generate_key()]
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 1 and "SURVEY_ENCRYPTION_KEYS" in result.output and "Traceback" not in result.output


def test_purge_command(app, runner, db, make_staff):
    guardian = make_staff("guardian")
    from survey.concerns import workflow as wf
    old = _case(db, "purge me", on=dt.date(2020, 1, 6))
    wf.close_case(db, keyring(), old, guardian.id, "resolved", "lesson", on=dt.date(2020, 2, 1))
    keep = _case(db, "keep me")
    db.commit()
    first = runner.invoke(args=["purge"])
    assert first.exit_code == 0 and "Erased the text of 1 case(s)" in first.output
    second = runner.invoke(args=["purge"])
    assert second.exit_code == 0 and "Erased the text of 0 case(s)" in second.output
    db.rollback()
    db.expire_all()
    assert db.get(Concern, old.id).text is None and db.get(Concern, old.id).outcome == "resolved"
    assert keyring().decrypt(db.get(Concern, keep.id).text) == "keep me"


def test_return_command(app, runner, db, tmp_path):
    for _ in range(5):
        _case(db, on=dt.date(2025, 4, 10))
    out = tmp_path / "q1.csv"
    result = runner.invoke(args=["speakup", "return", "--quarter", "2025Q1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0] == "quarter,section,category,label,count,status"
    assert "2025Q1,cases,all,Cases raised in the quarter,5,ok" in lines
    bad = runner.invoke(args=["speakup", "return", "--quarter", "2025-Q5", "--out", str(out)])
    assert bad.exit_code == 1 and "like 2025Q1" in bad.output and "Traceback" not in bad.output
    nowhere = runner.invoke(args=["speakup", "return", "--quarter", "2025Q1", "--out", str(tmp_path / "no" / "x.csv")])
    assert nowhere.exit_code == 1 and "does not exist" in nowhere.output


# --- e-mail ------------------------------------------------------------------------------

def test_guardians_get_a_digest_without_case_content(app, runner, client, db, make_staff, smtp_server, forbid_in_logs):
    text_ = "Digest must not carry this text em55"
    forbid_in_logs(text_)
    # Off by default: nothing is sent and nothing is lost.
    ref, key = raise_concern(client, text_, mode="confidential", contact="reporter@example.org")
    forbid_in_logs(ref, key)
    g1, g2 = make_staff("guardian"), make_staff("guardian")
    make_staff("edi_lead")
    make_staff("guardian", active=False)
    off = runner.invoke(args=["speakup", "notify"])
    assert off.exit_code == 0 and "off" in off.output and smtp_server.received == []

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.server_address[1], BASE_URL="https://ftsu.example")
    sent = runner.invoke(args=["speakup", "notify"])
    assert sent.exit_code == 0 and "1 new case(s)" in sent.output and "2 e-mail(s) sent" in sent.output
    assert sorted(r for m in smtp_server.received for r in m["to"]) == sorted([g1.email, g2.email])
    for message in smtp_server.received:
        body = message["data"]
        assert "a new case" in body and "https://ftsu.example/guardian/" in body
        assert text_ not in body and ref not in body and "reporter@example.org" not in body
    # Nothing new: no second e-mail.
    assert "0 e-mail(s) sent" in runner.invoke(args=["speakup", "notify"]).output
    assert len(smtp_server.received) == 2
    # A reply from the person triggers the next digest ("a reply or update").
    from tests.support.speakup import post_on_page
    assert open_case(client, ref, key).status_code == 303
    assert post_on_page(client, "/speakup/case", "/speakup/case/message", {"body": "more em56"}).status_code == 303
    forbid_in_logs("more em56")
    again = runner.invoke(args=["speakup", "notify"])
    assert "1 update(s)" in again.output and len(smtp_server.received) == 4
    assert "a reply or update" in smtp_server.received[-1]["data"]


def test_a_dead_mail_server_keeps_the_digest_for_later(app, runner, db):
    _case(db)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)   # nothing listens there
    from survey.models import StaffUser as SU
    db.add(SU(email="g@example.nhs.uk", role=Role.guardian, created_at=dt.datetime.now(dt.timezone.utc)))
    db.commit()
    result = runner.invoke(args=["speakup", "notify"])
    assert result.exit_code == 0 and "0 e-mail(s) sent" in result.output
    db.rollback()
    db.expire_all()
    assert db.scalar(select(Concern.notify_pending))
    assert ConcernStatus.new is db.scalar(select(Concern)).status
