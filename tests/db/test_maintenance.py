"""`flask --app survey maintenance` removes the physical traces that could link a response
to its invitation: on PostgreSQL the shared transaction id (xmin) and the heap order; on
SQLite it rebuilds the file. The PostgreSQL checks run when SURVEY_TEST_DATABASE_URL is set.
"""
from __future__ import annotations

import pytest
from sqlalchemy import text

from survey.definitions.model import SurveyDefinition
from survey.extensions import hash_token, keyring
from survey.respond.drafts import save_draft
from survey.respond.submission import Outcome, submit
from tests.conftest import PG_URL
from tests.respond_support import make_token, make_wave

SUBMITS = 6


def _submit_several(app, db) -> int:
    wave, org = make_wave(db)
    definition = SurveyDefinition.from_json(wave.definition_json)
    maker = app.extensions["survey.sessionmaker"]
    for i in range(SUBMITS):
        token = make_token(db, wave, org)
        make_token(db, wave, org)                       # an unused one beside it
        session = maker()
        try:
            save_draft(session, keyring(), hash_token(token), wave.id, {"q14a": str(1 + i % 5), "comment": f"comment {i}"},
                       wave.opens_on)
            session.commit()
            assert submit(session, keyring(), kind="token", key=hash_token(token), wave_id=wave.id, org_id=org.id,
                          definition=definition, today=wave.opens_on, resolution="day") is Outcome.stored
        finally:
            session.close()
    return wave.id


def _xmins(conn, sql: str) -> set[str]:
    return {row[0] for row in conn.execute(text(sql))}


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (SURVEY_TEST_DATABASE_URL)")
def test_postgresql_transaction_ids_and_heap_order_no_longer_line_up(app, db, runner):
    wave_id = _submit_several(app, db)
    engine = app.extensions["survey.engine"]
    with engine.connect() as conn:
        responses = _xmins(conn, "SELECT xmin::text FROM responses")
        comments = _xmins(conn, "SELECT xmin::text FROM comments")
        used = _xmins(conn, "SELECT xmin::text FROM invitations WHERE is_used")
    # the risk, shown: each response shares its transaction id with one used invitation
    assert len(responses) == SUBMITS and responses == used == comments

    result = runner.invoke(args=["maintenance"])
    assert result.exit_code == 0, result.output
    assert "invitations: 6 row(s) rewritten" in result.output and "clustered" in result.output

    with engine.connect() as conn:
        everything = _xmins(conn, "SELECT xmin::text FROM responses UNION SELECT xmin::text FROM comments "
                                  "UNION SELECT xmin::text FROM invitations WHERE is_used")
        # one transaction id for all of them: it says nothing about which goes with which
        assert len(everything) == 1
        # physical order is the order of the random (or keyed-hash) primary keys, not arrival
        for table, key in (("responses", "id"), ("comments", "id"), ("invitations", "token_hash")):
            physical = [r[0] for r in conn.execute(text(f"SELECT {key} FROM {table} ORDER BY ctid"))]
            assert physical == sorted(physical), table
        assert conn.execute(text("SELECT count(*) FROM responses WHERE wave_id = :w"), {"w": wave_id}).scalar_one() == SUBMITS
    # and it can run again at any time
    assert runner.invoke(args=["maintenance"]).exit_code == 0


def test_maintenance_runs_on_sqlite_and_keeps_everything(app, db, runner):
    if PG_URL:
        pytest.skip("the SQLite variant (this run is on PostgreSQL)")
    wave_id = _submit_several(app, db)
    result = runner.invoke(args=["maintenance"])
    assert result.exit_code == 0, result.output
    assert "VACUUM" in result.output
    db.rollback()
    assert db.execute(text("SELECT count(*) FROM responses WHERE wave_id = :w"), {"w": wave_id}).scalar_one() == SUBMITS
    assert db.execute(text("SELECT count(*) FROM comments WHERE wave_id = :w"), {"w": wave_id}).scalar_one() == SUBMITS
