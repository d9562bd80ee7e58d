"""Submit a concern, contact details, messages both ways, notes, lessons and feedback,
then read the raw SQLite file bytes (and, on PostgreSQL, every text and bytea value of
every table through SQL) and find none of it; nor the access key, nor the client."""
from __future__ import annotations

import html
import os
import re
from pathlib import Path

from sqlalchemy import inspect, select, text

from survey.models import Concern
from tests.support.speakup import csrf_token_per_request, open_case, post_on_page, raise_concern  # noqa: F401

PG_URL = os.environ.get("SURVEY_TEST_DATABASE_URL")

CONCERN = "Plaintext-scan concern: the practice manager shreds incident forms PSX01 Zoë"
CONTACT = "Plaintext-scan contact: Robin Example 07700 900777 PSX02"
REPLY = "Plaintext-scan guardian reply PSX03"
ANSWER = "Plaintext-scan reporter answer PSX04"
NOTE = "Plaintext-scan internal note PSX05"
LESSONS = "Plaintext-scan lessons learned PSX06"
FEEDBACK = "Plaintext-scan feedback comment PSX07"
NOTIFY = "plaintext-scan.psx08@example.org"      # where a confidential reporter asked to be told of replies
SECRETS = [CONCERN, CONTACT, REPLY, ANSWER, NOTE, LESSONS, FEEDBACK, NOTIFY]


def _submit_everything(app, client, db, make_staff, sign_in) -> tuple[str, str]:
    reference, key = raise_concern(client, CONCERN, elements=("bullying", "detriment"), mode="confidential", contact=CONTACT,
                                     notify_address=NOTIFY)
    guardian = make_staff("guardian")
    desk = app.test_client()
    sign_in(desk, guardian)
    concern = db.scalar(select(Concern).where(Concern.reference == reference))
    url = f"/guardian/cases/{concern.id}"
    assert post_on_page(desk, url, url + "/reveal", {}).status_code == 200
    assert post_on_page(desk, url, url + "/reply", {"reply-body": REPLY}).status_code == 303
    assert post_on_page(desk, url, url + "/note", {"note-body": NOTE}).status_code == 303
    assert open_case(client, reference, key).status_code == 303
    assert post_on_page(client, "/speakup/case", "/speakup/case/message", {"body": ANSWER}).status_code == 303
    assert post_on_page(desk, url, url + "/close", {"close-outcome": "referred", "close-lessons": LESSONS,
                                                          "close-confirm": "yes"}).status_code == 303
    assert post_on_page(client, "/speakup/case", "/speakup/case/feedback", {"answer": "maybe", "comment": FEEDBACK}).status_code == 303
    # Everything is there, readable through the app.
    page = html.unescape(desk.get(url).get_data(as_text=True))
    for value in (CONCERN, REPLY, NOTE, ANSWER, LESSONS, FEEDBACK):
        assert value in page
    return reference, key


def _needles(key: str) -> list[bytes]:
    values = SECRETS + [key, key.replace("-", ""), "werkzeug/"]
    needles = []
    for v in values:
        needles.append(v.encode("utf-8"))
        needles.append(v.encode("utf-16-le"))
    # Distinctive fragments too, in case a value were stored in pieces.
    needles += [m.encode() for s in SECRETS for m in re.findall(r"PSX\d\d", s)]
    return needles


def _dump_every_value(engine) -> list[bytes]:
    """Every text, varchar and binary value of every table, read through SQL."""
    out: list[bytes] = []
    insp = inspect(engine)
    with engine.connect() as conn:
        for table in insp.get_table_names():
            cols = [c["name"] for c in insp.get_columns(table)]
            for row in conn.execute(text(f'SELECT {", ".join(chr(34) + c + chr(34) for c in cols)} FROM "{table}"')):
                for value in row:
                    if isinstance(value, (bytes, bytearray, memoryview)):
                        out.append(bytes(value))
                    elif isinstance(value, str):
                        out.append(value.encode("utf-8"))
    return out


def test_no_plaintext_in_the_database(app, client, db, make_staff, sign_in, forbid_in_logs):
    forbid_in_logs(*SECRETS)
    reference, key = _submit_everything(app, client, db, make_staff, sign_in)
    forbid_in_logs(reference, key)
    needles = _needles(key)
    engine = app.extensions["survey.engine"]
    values = _dump_every_value(engine)
    assert len(values) > 20
    for value in values:
        for needle in needles:
            assert needle not in value, f"{needle[:30]!r} found in a column"
    url = str(engine.url)
    if url.startswith("sqlite"):
        db.close()
        engine.dispose()
        path = Path(engine.url.database)
        files = [p for p in (path, Path(str(path) + "-wal"), Path(str(path) + "-shm")) if p.exists()]
        raw = b"".join(p.read_bytes() for p in files)
        assert len(raw) > 10000 and reference.encode() in raw   # the scan does see the file's contents
        for needle in needles:
            assert needle not in raw, f"{needle[:30]!r} found in {path.name}"
    else:
        assert PG_URL and url.startswith("postgresql")


def test_withdrawn_and_purged_cases_keep_no_text_either(app, client, db, forbid_in_logs):
    """Erasing replaces ciphertext, so even deleted pages never held plaintext."""
    text_ = "Plaintext-scan withdrawn concern PSX09"
    forbid_in_logs(text_)
    reference, key = raise_concern(client, text_)
    forbid_in_logs(reference, key)
    assert open_case(client, reference, key).status_code == 303
    assert post_on_page(client, "/speakup/case/withdraw", "/speakup/case/withdraw", {"confirm": "y"}).status_code == 303
    engine = app.extensions["survey.engine"]
    for value in _dump_every_value(engine):
        assert text_.encode() not in value
    if str(engine.url).startswith("sqlite"):
        db.close()
        engine.dispose()
        path = Path(engine.url.database)
        raw = b"".join(p.read_bytes() for p in (path, Path(str(path) + "-wal")) if p.exists())
        assert text_.encode() not in raw
