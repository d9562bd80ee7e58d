"""The guardian's queue: filters, unread replies and the acknowledgement target.

The target is counted in working days (Monday to Friday, minus any holidays given):
a case raised on a Monday with a target of 2 is due on Wednesday and overdue from
Thursday while it is still unacknowledged.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import ELEMENTS, Concern, ConcernStatus, Organisation

# Age of a case in days since it was raised: key -> (label, min days, max days or None).
AGES: dict[str, tuple[str, int, int | None]] = {
    "week": ("Up to a week", 0, 7),
    "month": ("8 to 30 days", 8, 30),
    "quarter": ("31 to 90 days", 31, 90),
    "older": ("More than 90 days", 91, None),
}
OPEN = "open"            # every status but closed and withdrawn
NOT_STATED = "none"      # the person preferred not to say


def parse_holidays(values) -> list[dt.date]:
    """GUARDIAN_HOLIDAYS as dates (the setting holds ISO strings; a string never equals a date)."""
    out = []
    for v in values or []:
        if isinstance(v, dt.date):
            out.append(v)
        else:
            try:
                out.append(dt.date.fromisoformat(str(v).strip()))
            except ValueError:
                continue
    return out


def add_working_days(start: dt.date, days: int, holidays: Iterable[dt.date] = ()) -> dt.date:
    off = set(holidays)
    day = start
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            left -= 1
    return day


def ack_due(concern: Concern, target_days: int, holidays: Iterable[dt.date] = ()) -> dt.date:
    return add_working_days(concern.raised_on, target_days, holidays)


def is_overdue(concern: Concern, today: dt.date, target_days: int, holidays: Iterable[dt.date] = ()) -> bool:
    return (concern.acknowledged_on is None and concern.status is ConcernStatus.new
            and today > ack_due(concern, target_days, holidays))


@dataclass
class QueueFilter:
    status: str | None = OPEN     # None / "" = every status
    element: str | None = None
    org: str | None = None        # an organisation id, NOT_STATED, or None for all
    age: str | None = None

    def clean(self) -> "QueueFilter":
        status = self.status if self.status in {OPEN, *(s.value for s in ConcernStatus)} else None
        element = self.element if self.element in ELEMENTS else None
        org = self.org if (self.org == NOT_STATED or (self.org or "").isdigit()) else None
        age = self.age if self.age in AGES else None
        return QueueFilter(status, element, org, age)


@dataclass
class QueueRow:
    concern: Concern
    org_name: str | None
    age_days: int
    overdue: bool
    due_on: dt.date | None
    unread: int


def list_queue(session: Session, filt: QueueFilter, today: dt.date, target_days: int,
               holidays: Iterable[dt.date] = ()) -> list[QueueRow]:
    f = filt.clean()
    q = select(Concern, Organisation.name).outerjoin(Organisation, Organisation.id == Concern.org_id)
    if f.status == OPEN:
        q = q.where(Concern.status.not_in([ConcernStatus.closed, ConcernStatus.withdrawn]))
    elif f.status:
        q = q.where(Concern.status == ConcernStatus(f.status))
    if f.element:
        q = q.where(getattr(Concern, "el_" + f.element).is_(True))
    if f.org == NOT_STATED:
        q = q.where(Concern.org_id.is_(None))
    elif f.org:
        q = q.where(Concern.org_id == int(f.org))
    if f.age:
        _, low, high = AGES[f.age]
        q = q.where(Concern.raised_on <= today - dt.timedelta(days=low))
        if high is not None:
            q = q.where(Concern.raised_on >= today - dt.timedelta(days=high))
    q = q.order_by(Concern.raised_on, Concern.id)
    rows = []
    for concern, org_name in session.execute(q):
        due = ack_due(concern, target_days, holidays) if concern.acknowledged_on is None else None
        rows.append(QueueRow(concern, org_name, (today - concern.raised_on).days,
                             is_overdue(concern, today, target_days, holidays), due, concern.unread_by_guardian or 0))
    # Overdue first, then unread replies, then oldest.
    rows.sort(key=lambda r: (not r.overdue, r.unread == 0))
    return rows


def organisations_in_use(session: Session) -> list[tuple[int, str]]:
    q = (select(Organisation.id, Organisation.name).join(Concern, Concern.org_id == Organisation.id)
         .distinct().order_by(Organisation.name))
    return [(i, n) for i, n in session.execute(q)]


