"""The answering pages read and write on a pooled DBAPI connection (survey.respond.store):
each request gives its connection back, and gives it back as the ORM expects it (on
PostgreSQL not in autocommit mode, or the submit transaction would not be one)."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from survey.extensions import hash_token, keyring
from survey.models import Draft
from survey.respond.drafts import decode
from tests.conftest import PG_URL, csrf_from, post_form
from tests.respond_support import fresh_client, make_token, make_wave


def _journey(app, db):
    wave, org = make_wave(db)
    token = make_token(db, wave, org)
    client = fresh_client(app)
    assert client.get(f"/respond/t/{token}").status_code == 302
    return client, token


def test_connections_go_back_to_the_pool_as_they_came(app, db):
    client, token = _journey(app, db)
    engine = app.extensions["survey.engine"]
    for _ in range(3):
        assert client.get("/respond/page/1").status_code == 200
        assert post_form(client, "/respond/page/3", {"q14a": "2"}).status_code == 302
        assert client.get("/respond/check").status_code == 200
    assert post_form(client, "/respond/submit", {}, get_url="/respond/check").status_code == 302
    assert engine.pool.checkedout() == 0
    if PG_URL:
        held = [engine.raw_connection() for _ in range(engine.pool.checkedin())]
        try:
            assert held and all(c.dbapi_connection.autocommit is False for c in held)
        finally:
            for c in held:
                c.close()


def test_a_save_replaces_the_draft_in_one_row(app, db):
    client, token = _journey(app, db)
    key = hash_token(token)
    post_form(client, "/respond/page/3", {"q14a": "2"})
    post_form(client, "/respond/page/3", {"q14a": "4"})
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Draft).where(Draft.key_hash == key)) == 1
    assert decode(keyring(), db.get(Draft, key).payload) == {"q14a": "4"}


def test_first_saves_racing_do_not_fail(app, db):
    """Two tabs press Continue on their first page at once: both saves succeed, one row."""
    client, token = _journey(app, db)
    key = hash_token(token)
    racers = 6
    clients = [fresh_client(app) for _ in range(racers)]
    forms = []
    for c in clients:
        assert c.get(f"/respond/t/{token}").status_code == 302
        forms.append(csrf_from(c.get("/respond/page/3").get_data(as_text=True)))
    barrier = threading.Barrier(racers)
    statuses: list[int] = []

    def race(i: int) -> None:
        barrier.wait(timeout=30)
        statuses.append(clients[i].post("/respond/page/3", data={"csrf_token": forms[i], "q14a": str(1 + i % 5)}).status_code)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert statuses == [302] * racers
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Draft).where(Draft.key_hash == key)) == 1


def test_saves_leave_the_connection_committing_synchronously(app, db):
    """A page save on PostgreSQL commits without waiting for the disk; that is local to
    the save: the submit on the same pooled connection still waits."""
    client, token = _journey(app, db)
    for n in range(3):
        assert post_form(client, "/respond/page/3", {"q14a": str(n + 1)}).status_code == 302
    engine = app.extensions["survey.engine"]
    if PG_URL:
        held = [engine.raw_connection() for _ in range(engine.pool.checkedin())]
        try:
            for c in held:
                cur = c.dbapi_connection.cursor()
                cur.execute("SHOW synchronous_commit")
                assert cur.fetchone()[0] == "on"
                cur.close()
                c.dbapi_connection.rollback()
        finally:
            for c in held:
                c.close()
    db.rollback()
    assert decode(keyring(), db.get(Draft, hash_token(token)).payload) == {"q14a": "3"}
