"""Engine, one session per request, and the declarative Base.

Operations take a session explicitly (`def issue_tokens(session, ...)`), so the CLI and
tests call them without a request. Views get theirs from `get_session()`.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

from flask import current_app, g
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            # Let SQLAlchemy's BEGIN take the lock (see "Serializable isolation" in the
            # SQLAlchemy SQLite dialect docs) so racing writers queue instead of failing.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - trivial
            # A deferred BEGIN emitted by us, so SQLAlchemy owns transaction boundaries.
            # Writers that must not lose a race start with their write (e.g. the token
            # UPDATE), which takes the write lock at once; busy_timeout queues the rest.
            conn.exec_driver_sql("BEGIN")

        return engine
    engine = create_engine(url, pool_size=5, max_overflow=5)
    _ping_when_idle(engine)
    return engine


# A pooled connection that has been idle longer than this is pinged before use, so that
# a server restart or an idle timeout in between does not fail the request. Under load
# connections come back within milliseconds: pinging at every checkout (pool_pre_ping)
# cost a round trip per request, about a fifth of the PostgreSQL work of a survey page.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy):
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool throws this connection away and checks out a fresh one.
            raise DisconnectionError("idle connection failed its ping") from exc


def init_app(app) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["survey.engine"] = engine
    app.extensions["survey.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    # Close at the end of each request, and of each app context (CLI). In tests an app
    # context may outlive many requests, so the request teardown is what keeps sessions
    # from leaking state from one request into the next.
    app.teardown_request(_close_session)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    return current_app.extensions["survey.engine"]


def get_session() -> Session:
    """The request's session (created on first use, closed at teardown)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["survey.sessionmaker"]()
    return g.db_session


def _close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session for CLI commands and scripts: commit on success, roll back on error."""
    session = current_app.extensions["survey.sessionmaker"]()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
