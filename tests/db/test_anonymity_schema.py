"""A response cannot be linked to the invitation that admitted it, nor to a person.

Checked on the models' metadata and on the live database (SQLite, or PostgreSQL when
SURVEY_TEST_DATABASE_URL is set): no column or key from responses/comments to
invitations or drafts, no time of day, no token or token hash in any stored value,
random ids unrelated to arrival order, and free text not in the database in plaintext.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Date, DateTime, Time, inspect, select, text
from sqlalchemy.engine import make_url

from survey.answers import store_response
from survey.db import Base
from survey.extensions import hash_token, keyring
from survey.models import Response
from tests.conftest import post_form
from tests.respond_support import fresh_client, make_token, make_wave

ANSWER_TABLES = ("responses", "comments")
LINK_TABLES = {"invitations", "drafts", "open_links", "staff_users"}
# Words that would make a column name suspicious (matched against its "_"-separated parts).
SUSPECT_WORDS = {"token", "invitation", "draft", "key", "hash", "ip", "agent", "address", "email", "time", "at"}
SECRET = "Please keep this between us: the practice manager shouts at reception."


def test_metadata_has_no_link_and_no_time_of_day():
    for name in ANSWER_TABLES:
        table = Base.metadata.tables[name]
        for fk in table.foreign_keys:
            assert fk.column.table.name not in LINK_TABLES, f"{name}.{fk.parent.name} -> {fk.column.table.name}"
            assert fk.column.table.name in {"waves", "organisations"}
        for column in table.columns:
            assert not isinstance(column.type, (DateTime, Time)), f"{name}.{column.name} holds a time"
            assert not SUSPECT_WORDS & set(column.name.lower().split("_")), f"{name}.{column.name} looks identifying"
        if name == "responses":
            dates = [c.name for c in table.columns if isinstance(c.type, Date)]
            assert dates == ["submitted_on"]
    # ... and nothing else points at a response or a comment either.
    for table in Base.metadata.tables.values():
        for fk in table.foreign_keys:
            assert fk.column.table.name not in ANSWER_TABLES, f"{table.name} -> {fk.column.table.name}"


def test_live_schema_has_no_link_and_no_time_of_day(app):
    insp = inspect(app.extensions["survey.engine"])
    for name in ANSWER_TABLES:
        for fk in insp.get_foreign_keys(name):
            assert fk["referred_table"] in {"waves", "organisations"}, fk
        for column in insp.get_columns(name):
            kind = str(column["type"]).upper()
            assert "TIME" not in kind, f"{name}.{column['name']} is {kind}"
            assert column["name"] in {c.name for c in Base.metadata.tables[name].columns}
    for name in insp.get_table_names():
        for fk in insp.get_foreign_keys(name):
            assert fk["referred_table"] not in ANSWER_TABLES, (name, fk)


def _answer(app, token: str, comment: str) -> None:
    client = fresh_client(app)
    assert client.get(f"/respond/t/{token}").status_code == 302
    post_form(client, "/respond/page/1", {"q11d": "1"})
    post_form(client, "/respond/page/3", {"q14a": "2", "q16b": "1"})
    post_form(client, "/respond/page/5", {"comment": comment})
    post_form(client, "/respond/page/6", {"ethnicity": "14", "disability": "2"})
    resp = post_form(client, "/respond/submit", {}, get_url="/respond/check")
    assert resp.headers["Location"].endswith("/respond/done")


def _raw_values(db, table: str) -> list[str]:
    out = []
    for row in db.execute(text(f"SELECT * FROM {table}")).all():
        for value in row:
            if isinstance(value, (bytes, memoryview)):
                value = bytes(value)
                out.extend([value.hex(), value.decode("latin-1")])
            else:
                out.append(str(value))
    return out


def test_stored_rows_hold_no_token_no_hash_no_time_no_plain_text(app, db, forbid_in_logs):
    wave, org = make_wave(db)
    tokens = [make_token(db, wave, org) for _ in range(3)]
    comments = [f"{SECRET} ({i})" for i in range(3)]
    forbid_in_logs(*tokens, *[hash_token(t) for t in tokens], *comments)
    for token, comment in zip(tokens, comments):
        _answer(app, token, comment)
    db.rollback()

    stored = _raw_values(db, "responses") + _raw_values(db, "comments")
    assert len(db.execute(text("SELECT id FROM responses")).all()) == 3
    for token in tokens:
        for secret in (token, hash_token(token)):
            assert not any(secret in value for value in stored), "a token or its hash was stored with a response"
    assert not any("practice manager shouts" in value for value in stored)

    for row in db.scalars(select(Response)):
        assert type(row.submitted_on) is dt.date
        assert (row.q11d, row.q14a, row.ethnicity) == (1, 2, "14")
    raw_dates = [str(v) for (v,) in db.execute(text("SELECT submitted_on FROM responses"))]
    assert all(len(v) == 10 for v in raw_dates), raw_dates        # YYYY-MM-DD, no time

    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        app.extensions["survey.engine"].dispose()
        raw = b"".join(p.read_bytes() for p in Path(url.database).parent.glob(Path(url.database).name + "*"))
        assert b"practice manager shouts" not in raw
        for token in tokens:
            assert token.encode() not in raw


def test_response_ids_are_random_not_arrival_order(app, db):
    wave, org = make_wave(db)
    arrival: list[str] = []
    seen: set[str] = set()
    for i in range(60):
        store_response(db, keyring(), wave, org.id, {"q14a": str(1 + i % 5)}, dt.date.today(), "day")
        db.commit()
        ids = set(db.scalars(select(Response.id).where(Response.wave_id == wave.id)))
        (new,) = ids - seen
        arrival.append(new)
        seen = ids
    by_id = sorted(arrival)
    assert by_id != arrival
    rank = {rid: i for i, rid in enumerate(by_id)}
    n = len(arrival)
    d2 = sum((i - rank[rid]) ** 2 for i, rid in enumerate(arrival))
    rho = 1 - 6 * d2 / (n * (n * n - 1))
    assert abs(rho) < 0.5, f"id order follows arrival order (Spearman rho {rho:.2f})"
    assert len({len(r) for r in arrival}) == 1 and all(int(r, 16) for r in arrival)
    if app.extensions["survey.engine"].dialect.name == "sqlite":
        # WITHOUT ROWID: the table's own order is the id order, not arrival order.
        natural = [r for (r,) in db.execute(text("SELECT id FROM responses WHERE wave_id = :w"), {"w": wave.id})]
        assert natural == by_id


@pytest.mark.parametrize("resolution", ["day", "week"])
def test_response_date_resolution(app, db, resolution, forbid_in_logs):
    app.config["RESPONSE_DATE_RESOLUTION"] = resolution
    wave, org = make_wave(db)
    token = make_token(db, wave, org)
    forbid_in_logs(token, SECRET)
    _answer(app, token, SECRET)
    db.rollback()
    (day,) = db.scalars(select(Response.submitted_on).where(Response.wave_id == wave.id)).all()
    today = dt.date.today()
    assert day == (today if resolution == "day" else today - dt.timedelta(days=today.weekday()))
