"""The answering pages' own reads and writes: one statement each, on the DBAPI connection.

Every page of a journey needs the wave's dates, whether the token is still unused and
the saved draft. Through the ORM session that was a BEGIN, two SELECTs, a COMMIT (and a
ping on PostgreSQL), and SQLAlchemy's statement machinery cost several times the queries
themselves. Here it is one SELECT, and saving a page is one INSERT ... ON CONFLICT DO
UPDATE, each a transaction of its own (autocommit), on a connection taken from the pool
of the engine the request's sessions use (so a test or a fault that points sessions at
another database points these statements there too).

Submitting (the token UPDATE, the draft DELETE and the INSERTs in one transaction) stays
with the ORM session in survey.respond.submission.

Errors come out as SQLAlchemy's exceptions (OperationalError when the database cannot
be reached), without parameters, as they would from a session.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask import current_app, g
from sqlalchemy.exc import DBAPIError

_G_KEY = "respond_dbapi"


@dataclass(frozen=True)
class WaveDates:
    """What the journey needs of a wave on every page (not an ORM object)."""
    id: int
    opens_on: dt.date
    closes_on: dt.date
    is_closed: bool

    def is_open_on(self, day: dt.date) -> bool:
        return (not self.is_closed) and self.opens_on <= day <= self.closes_on

    def is_finished(self, day: dt.date) -> bool:
        return self.is_closed or day > self.closes_on


@dataclass(frozen=True)
class JourneyRow:
    wave: WaveDates
    is_used: bool | None           # None: no such token (or not a token journey)
    payload: bytes | None          # the encrypted draft, None if nothing is saved
    definition_json: str | None    # only when asked for


@dataclass(frozen=True)
class InvitationRow:
    token_hash: str
    wave_id: int
    org_id: int
    is_used: bool
    wave: WaveDates


# Statements in the named style (:name); PostgreSQL's driver gets %(name)s.
_SQL = {
    "journey": "SELECT w.opens_on, w.closes_on, w.is_closed, "
               "(SELECT i.is_used FROM invitations i WHERE i.token_hash = :token), "
               "(SELECT d.payload FROM drafts d WHERE d.key_hash = :key) "
               "FROM waves w WHERE w.id = :wave",
    "journey+definition": "SELECT w.opens_on, w.closes_on, w.is_closed, "
                          "(SELECT i.is_used FROM invitations i WHERE i.token_hash = :token), "
                          "(SELECT d.payload FROM drafts d WHERE d.key_hash = :key), "
                          "w.definition_json "
                          "FROM waves w WHERE w.id = :wave",
    "invitation": "SELECT i.wave_id, i.org_id, i.is_used, w.opens_on, w.closes_on, w.is_closed "
                  "FROM invitations i JOIN waves w ON w.id = i.wave_id WHERE i.token_hash = :token",
    # One statement, so two first saves of one draft (a double-clicked Continue, two
    # tabs) cannot both INSERT; the later save wins, as with UPDATE. The wave stays.
    "save_draft": "INSERT INTO drafts (key_hash, wave_id, payload, updated_on) "
                  "VALUES (:key, :wave, :payload, :day) "
                  "ON CONFLICT (key_hash) DO UPDATE SET payload = excluded.payload, updated_on = excluded.updated_on",
}
_NAMED = re.compile(r":(\w+)")
_PYFORMAT = {name: _NAMED.sub(r"%(\1)s", sql) for name, sql in _SQL.items()}
# On PostgreSQL a page save does not wait for its WAL to reach the disk (that wait was
# 0.2-3 ms per save on the development machine, with the worker idle): the setting is
# local to the save's own transaction, so the submit (token, draft, response) still
# commits synchronously, and its commit flushes every earlier save with it. A crash of
# the database server can lose the last fraction of a second of page saves (the person
# answers that page again), never a submitted response; SQLite, with synchronous=NORMAL
# in WAL mode (survey.db), makes the same trade for every commit.
_PYFORMAT["save_draft"] = (
    "INSERT INTO drafts (key_hash, wave_id, payload, updated_on) "
    "SELECT %(key)s::varchar, %(wave)s::integer, %(payload)s::bytea, %(day)s::date "
    "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS save_without_waiting_for_disk "
    "ON CONFLICT (key_hash) DO UPDATE SET payload = excluded.payload, updated_on = excluded.updated_on")


class _Conn:
    """A pooled DBAPI connection held for one request, in autocommit mode."""

    __slots__ = ("engine", "fairy", "sqlite", "statements")

    def __init__(self, engine):
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self.statements = _SQL if self.sqlite else _PYFORMAT
        dbapi_error = engine.dialect.loaded_dbapi.Error
        try:
            self.fairy = engine.raw_connection()
        except dbapi_error as exc:
            raise _wrap(exc, engine, None) from exc
        if not self.sqlite:
            # SQLite connections are in autocommit mode already (survey.db). psycopg:
            # a lone statement needs no BEGIN/COMMIT round trips; put back at release.
            try:
                self.fairy.dbapi_connection.autocommit = True
            except dbapi_error as exc:
                self._discard()
                raise _wrap(exc, engine, None) from exc

    def execute(self, name: str, params: dict):
        """Run one statement; (cursor result rows or rowcount)."""
        sql = self.statements[name]
        cursor = None
        try:
            cursor = self.fairy.dbapi_connection.cursor()
            cursor.execute(sql, params)
            rows = cursor.fetchall() if cursor.description is not None else cursor.rowcount
            cursor.close()
            return rows
        except self.engine.dialect.loaded_dbapi.Error as exc:
            disconnected = self.engine.dialect.is_disconnect(exc, self.fairy.dbapi_connection, cursor)
            if disconnected:
                self._discard(exc)
            raise _wrap(exc, self.engine, sql, disconnected) from exc

    def release(self) -> None:
        if self.fairy is None:
            return
        try:
            if not self.sqlite:
                self.fairy.dbapi_connection.autocommit = False
        except Exception:   # a broken connection: do not return it to the pool
            self._discard()
            return
        self.fairy.close()
        self.fairy = None

    def _discard(self, exc=None) -> None:
        if self.fairy is not None:
            self.fairy.invalidate(exc)
            self.fairy.close()
            self.fairy = None


def _wrap(exc, engine, sql, invalidated: bool = False) -> DBAPIError:
    return DBAPIError.instance(sql, None, exc, engine.dialect.loaded_dbapi.Error, hide_parameters=True,
                               connection_invalidated=invalidated, dialect=engine.dialect)


def _conn() -> _Conn:
    conn = g.get(_G_KEY)
    if conn is None or conn.fairy is None:
        engine = current_app.extensions["survey.sessionmaker"].kw["bind"]
        conn = _Conn(engine)
        setattr(g, _G_KEY, conn)
    return conn


def release(_exc=None) -> None:
    """Give the request's connection back to the pool (teardown)."""
    conn = g.pop(_G_KEY, None)
    if conn is not None:
        conn.release()


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _wave(wave_id: int, opens_on, closes_on, is_closed) -> WaveDates:
    return WaveDates(wave_id, _date(opens_on), _date(closes_on), bool(is_closed))


def journey(wave_id: int, key: str, token: bool, with_definition: bool) -> JourneyRow | None:
    """The wave's dates, the token's flag (token journeys) and the draft, in one SELECT;
    None for an unknown wave."""
    conn = _conn()
    rows = conn.execute("journey+definition" if with_definition else "journey",
                        {"wave": wave_id, "key": key, "token": key if token else None})
    if not rows:
        return None
    row = rows[0]
    payload = row[4]
    return JourneyRow(_wave(wave_id, row[0], row[1], row[2]), None if row[3] is None else bool(row[3]),
                      None if payload is None else bytes(payload), row[5] if with_definition else None)


def invitation(token_hash: str) -> InvitationRow | None:
    rows = _conn().execute("invitation", {"token": token_hash})
    if not rows:
        return None
    wave_id, org_id, is_used, opens_on, closes_on, is_closed = rows[0]
    return InvitationRow(token_hash, wave_id, org_id, bool(is_used), _wave(wave_id, opens_on, closes_on, is_closed))


def save_draft(key: str, wave_id: int, payload: bytes, today: dt.date) -> None:
    conn = _conn()
    conn.execute("save_draft", {"key": key, "wave": wave_id, "payload": payload,
                                "day": today.isoformat() if conn.sqlite else today})
