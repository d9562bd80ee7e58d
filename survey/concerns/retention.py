"""Retention: erase the text of cases closed (or withdrawn) longer ago than the
retention period; keep the anonymous facts the returns need. Safe to run daily: a
purged case is skipped, and a run finds only cases that crossed the line since.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from survey import audit
from survey.concerns.workflow import erase_text
from survey.models import Concern, ConcernMessage, ConcernNote, ConcernStatus


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier (the month's last day if it has fewer days)."""
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(d, day.day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass
class PurgeResult:
    cutoff: dt.date
    purged: int


def purge(session: Session, today: dt.date, retention_months: int) -> PurgeResult:
    if retention_months < 0:
        raise ValueError("RETENTION_MONTHS must be 0 or more")
    cutoff = months_before(today, retention_months)
    due = list(session.scalars(
        select(Concern).where(
            Concern.purged_on.is_(None),
            or_((Concern.status == ConcernStatus.closed) & (Concern.closed_on < cutoff),
                (Concern.status == ConcernStatus.withdrawn) & (Concern.withdrawn_on < cutoff)),
        ).order_by(Concern.id)))
    for concern in due:
        erase_text(concern, keep_lessons=False)
        session.flush()
        session.execute(delete(ConcernMessage).where(ConcernMessage.concern_id == concern.id))
        session.execute(delete(ConcernNote).where(ConcernNote.concern_id == concern.id))
        concern.access_key_hash = None      # the key opens nothing any more
        concern.purged_on = today
        audit.record(session, None, "concern.purge", "concern", concern.id, {"cutoff": cutoff.isoformat()})
    session.flush()
    session.expire_all()
    return PurgeResult(cutoff, len(due))
