"""Submitting a response: consume the invitation and store the answers in ONE transaction.

    UPDATE invitations SET is_used = true WHERE token_hash = :h AND is_used = false
    -- exactly one row, or the token was used: roll back, nothing stored
    DELETE FROM drafts WHERE key_hash = :h RETURNING payload
    INSERT INTO responses ...; INSERT INTO comments ...
    COMMIT

Both or neither. The token UPDATE is the first statement of the transaction, so on
SQLite it takes the write lock at once (racing submits queue on busy_timeout and then
find the row used); on PostgreSQL the row lock makes the others wait and re-check.
An open-link response has no token: deleting its draft is the one-time step instead.
No Flask here; the caller passes plain values and handles OperationalError.
"""
from __future__ import annotations

import datetime as dt
import enum
from types import SimpleNamespace

from sqlalchemy import bindparam, update

from survey.answers import drop_hidden, store_response
from survey.definitions.model import SurveyDefinition
from survey.models import Invitation
from survey.respond.drafts import take_draft


class Outcome(str, enum.Enum):
    stored = "stored"
    used = "used"            # the token was used (or the open-link draft already submitted)


def consume_token(session, token_hash: str) -> bool:
    """Mark the invitation used; True only for the one caller that flips it."""
    # On the session's connection (its transaction) as a Core statement: the ORM's
    # UPDATE-by-WHERE machinery cost several times the statement, and no object in the
    # session needs synchronising.
    return session.connection().execute(_CONSUME, {"hash": token_hash}).rowcount == 1


_invitations = Invitation.__table__
_CONSUME = (update(_invitations)
            .where(_invitations.c.token_hash == bindparam("hash"), _invitations.c.is_used == False)  # noqa: E712
            .values(is_used=True))


def submit(session, keyring, *, kind: str, key: str, wave_id: int, org_id: int,
           definition: SurveyDefinition, today: dt.date, resolution: str) -> Outcome:
    """Store the response for the draft under `key` and use up the token. Commits."""
    # End any read transaction, so that the first statement of ours is a write.
    session.commit()
    try:
        if kind == "token" and not consume_token(session, key):
            session.rollback()
            return Outcome.used
        answers = take_draft(session, keyring, key)
        if answers is None and kind != "token":
            session.rollback()
            return Outcome.used
        store_response(session, keyring, SimpleNamespace(id=wave_id), org_id,
                       drop_hidden(definition, answers or {}), today, resolution, definition=definition)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return Outcome.stored
