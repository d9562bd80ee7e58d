"""PostgreSQL connections are pinged before use only after being idle (survey.db): a
connection the server has dropped meanwhile is replaced, and a busy one costs no ping."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine

import survey.db
from survey.db import make_engine
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (SURVEY_TEST_DATABASE_URL)")


@pytest.fixture
def engine(app):
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine, monkeypatch):
    calls = []
    real = engine.dialect.do_ping

    def counted(dbapi_conn):
        calls.append(1)
        return real(dbapi_conn)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return calls


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def test_an_idle_connection_dropped_by_the_server_is_replaced(engine, pings, monkeypatch):
    pid = _backend_pid(engine)
    admin = create_engine(PG_URL)
    with admin.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar_one()
    admin.dispose()
    monkeypatch.setattr(survey.db, "PING_AFTER_IDLE_SECONDS", 0.0)   # it has been idle long enough
    assert _backend_pid(engine) != pid                                # a fresh connection, no error
    assert pings


def test_a_busy_connection_is_not_pinged(engine, pings, monkeypatch):
    monkeypatch.setattr(survey.db, "PING_AFTER_IDLE_SECONDS", 3600.0)
    first = _backend_pid(engine)
    assert [_backend_pid(engine) for _ in range(5)] == [first] * 5
    assert pings == []
