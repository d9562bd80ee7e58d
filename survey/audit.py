"""The audit trail: append-only and tamper-evident.

Each event stores the SHA-256 of (previous event's hash, its own fields); `verify`
recomputes the chain and reports the first event whose hash or link does not match.
Events name a staff account, an action and an object; never a respondent or reporter,
never case content.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from survey.models import AuditEvent

GENESIS = "0" * 64


def _digest(prev_hash: str, at: dt.datetime, actor_id, action, object_type, object_id, detail) -> str:
    at_utc = at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)
    body = json.dumps([prev_hash, at_utc.astimezone(dt.timezone.utc).isoformat(timespec="microseconds"),
                       actor_id, action, object_type, object_id, detail], separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def record(session: Session, actor_id: int | None, action: str, object_type: str | None = None,
           object_id: str | int | None = None, detail: dict | None = None) -> AuditEvent:
    """Append an event in the caller's transaction.

    On PostgreSQL the table is locked for the append so two writers cannot both chain to
    the same predecessor; on SQLite the database write lock does the same.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE audit_events IN EXCLUSIVE MODE"))
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    prev = last.hash if last else GENESIS
    at = dt.datetime.now(dt.timezone.utc)
    detail_json = json.dumps(detail, sort_keys=True, default=str) if detail else None
    oid = None if object_id is None else str(object_id)
    event = AuditEvent(at=at, actor_id=actor_id, action=action, object_type=object_type, object_id=oid,
                       detail=detail_json, prev_hash=prev,
                       hash=_digest(prev, at, actor_id, action, object_type, oid, detail_json))
    session.add(event)
    session.flush()
    return event


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str | None = None


def verify(session: Session) -> VerifyResult:
    prev = GENESIS
    n = 0
    for ev in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        n += 1
        if ev.prev_hash != prev:
            return VerifyResult(False, n, ev.id, "its link to the previous event does not match (an event was removed or reordered)")
        if _digest(ev.prev_hash, ev.at, ev.actor_id, ev.action, ev.object_type, ev.object_id, ev.detail) != ev.hash:
            return VerifyResult(False, n, ev.id, "its contents do not match its hash (the event was altered)")
        prev = ev.hash
    return VerifyResult(True, n)
