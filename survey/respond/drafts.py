"""Answers in progress, kept on the server, encrypted, keyed by the token's hash (or by
a random open-link session key). No Flask: views, tests and scripts call these.

A save starts with a write (UPDATE, then INSERT if there was no row), so on SQLite it
takes the write lock at once and queues behind other writers instead of failing.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.exc import IntegrityError

from survey.models import Draft

PAYLOAD_VERSION = 1


CHECK = "check"      # `reached` when the person has got as far as "Check your answers"


def encode(keyring, answers: dict[str, Any], reached: int | str | None = None) -> bytes:
    """`reached`: the page the person was sent on to after their last save (a page number
    or CHECK), so "Continue where you left off" goes back there. Drafts saved before it was
    kept have none."""
    data: dict[str, Any] = {"v": PAYLOAD_VERSION, "answers": answers}
    if reached is not None:
        data["reached"] = reached
    return keyring.encrypt(json.dumps(data, sort_keys=True))


def decode_with_reached(keyring, payload: bytes | None) -> tuple[dict[str, Any] | None, int | str | None]:
    if payload is None:
        return None, None
    data = json.loads(keyring.decrypt(payload))
    reached = data.get("reached")
    if not (reached == CHECK or (isinstance(reached, int) and not isinstance(reached, bool) and reached >= 1)):
        reached = None
    return dict(data.get("answers", {})), reached


def decode(keyring, payload: bytes | None) -> dict[str, Any] | None:
    return decode_with_reached(keyring, payload)[0]


def save_draft(session, keyring, key: str, wave_id: int, answers: dict[str, Any], today: dt.date) -> None:
    """Replace the saved answers. The caller commits."""
    payload = encode(keyring, answers)
    replace = (update(Draft).where(Draft.key_hash == key).values(payload=payload, updated_on=today)
               .execution_options(synchronize_session=False))
    if session.execute(replace).rowcount == 0:
        # Two first saves of one draft can race (a double-clicked Continue, two tabs): on
        # PostgreSQL both UPDATEs find no row and the second INSERT hits the primary key.
        # That one then replaces the row the other has just committed.
        try:
            with session.begin_nested():
                session.execute(insert(Draft).values(key_hash=key, wave_id=wave_id, payload=payload, updated_on=today))
        except IntegrityError:
            session.execute(replace)


def take_draft(session, keyring, key: str) -> dict[str, Any] | None:
    """Delete the draft and return its answers (None if there was none): one statement."""
    # A Core statement on the session's connection (its transaction): see consume_token.
    rows = session.connection().execute(_TAKE, {"key": key}).all()
    return decode(keyring, rows[0][0]) if rows else None


_drafts = Draft.__table__
_TAKE = delete(_drafts).where(_drafts.c.key_hash == bindparam("key")).returning(_drafts.c.payload)
